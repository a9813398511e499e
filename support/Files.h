// Whole-file reads and crash-safe writes.
//
// Every state file is written through writeFileAtomically: the bytes go to a
// temporary file in the same folder, are flushed to disk, and the temporary is
// renamed over the target, so a crash leaves either the old or the new file,
// never half of one. hardLinkAtomically gives such a file a second name the same
// way, without writing it again. Thread-safe (no shared state).
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

/// Makes `link` a second name (a hard link) of the regular file `existing`, replacing
/// whatever `link` named atomically (link to a temporary name, then rename). Nothing
/// is written or flushed: the link shares the contents `existing` already has on disk.
/// Fails where hard links cannot be made (EXDEV across filesystems, EPERM on a
/// filesystem without them), or when `existing` is missing or not a regular file.
Status hardLinkAtomically(const std::filesystem::path &existing, const std::filesystem::path &link);

/// Creates `dir` (and parents) with owner-only permissions (0700) if missing.
Status ensurePrivateDirectory(const std::filesystem::path &dir);

} // namespace recurrent
