// Whole-file reads and crash-safe writes.
//
// Every state file is written through writeFileAtomically: the bytes go to a
// temporary file in the same folder, are flushed to disk, and the temporary is
// renamed over the target, so a crash leaves either the old or the new file,
// never half of one. Thread-safe (no shared state).
#pragma once

#include "support/Error.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace recurrent {

Result<std::string> readFile(const std::filesystem::path &path);

/// Writes `contents` to `path` atomically (temp file + fsync + rename).
/// Creates missing parent folders with owner-only permissions.
Status writeFileAtomically(const std::filesystem::path &path, std::string_view contents);

/// Creates `dir` (and parents) with owner-only permissions (0700) if missing.
Status ensurePrivateDirectory(const std::filesystem::path &dir);

} // namespace recurrent
