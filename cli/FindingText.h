// How a continuity finding reads on a terminal: the compiler-style lines `recurrent check` and
// `recurrent write --check` print, and the names their JSON uses.
//
//   07-storm.md:12:5: warning: ‘Natsaha’ looks like a misspelling of ‘Natasha’ [name-misspelling]
//   bible/natasha.md:1: note: Natasha Rostova
//
// Paths are shown relative to the book's folder, lines and columns are 1-based, columns count characters.
// Pure functions; thread-safe.
#pragma once

#include "engine/book/BookSnapshot.h"
#include "engine/continuity/Finding.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace recurrent::cli {

/// "warning", "info", "hint".
const char *severityLabel(engine::FindingSeverity severity);
/// "bible", "fact", "paragraph".
const char *sourceKindLabel(engine::FindingSource::Kind kind);
/// `path` relative to `base` when it is inside it, else as given; '/'-separated.
std::string shownPath(const std::filesystem::path &path, const std::filesystem::path &base);
/// 1-based line and column (in characters) of byte `offset` of `text`.
std::pair<std::size_t, std::size_t> lineColumn(std::string_view text, std::size_t offset);
/// The finding's line and one `note:` line per source, each ending in '\n'.
std::string compilerLines(const engine::Finding &finding, const engine::BookSnapshot &book);

} // namespace recurrent::cli
