// file:// URIs <-> filesystem paths (RFC 8089 as editors send them: percent-encoded UTF-8).
// Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace recurrent::protocol {

/// The path of a `file://` URI; nullopt for other schemes (untitled:, vscode-remote:, ...) or a malformed one.
std::optional<std::filesystem::path> uriToPath(std::string_view uri);
/// `file:///...` for an absolute path, percent-encoding what must be.
std::string pathToUri(const std::filesystem::path &path);

} // namespace recurrent::protocol
