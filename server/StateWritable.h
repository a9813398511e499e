// StateWritable: can the story's state folder be written? Asked before any model call.
//
// A manuscript in a read-only folder (a mounted share, a checkout the writer may not change) used to
// spend model calls on a step or an adoption and fail only when saving it. The server asks first:
// the state folder if it exists, else the nearest folder above it that does (where it would be
// created), must be writable and searchable.
//
// Thread-safety: a free function over the file system; any thread.
#pragma once

#include "support/Error.h"

#include <filesystem>

namespace recurrent::server {

/// Ok when `stateDir` can be written (or created); else an Io error naming the folder and the reason.
Status checkStateWritable(const std::filesystem::path &stateDir);

} // namespace recurrent::server
