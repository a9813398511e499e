// Outline: a manuscript's chapters, scenes and paragraphs as LSP symbols, folding ranges and hovers.
//
// Pure functions from an engine::Manuscript to protocol types; ranges are in the negotiated
// position encoding. Thread-safety: pure (the manuscript must not change during a call).
#pragma once

#include "engine/manuscript/Manuscript.h"
#include "protocol/Lsp.h"

#include <optional>
#include <vector>

namespace recurrent::server {

/// Chapters (kind Module) with their scenes (kind Namespace) as children when they have more than one;
/// scenes before the first chapter come first, at the top level ("Opening" when there is one). Three or
/// more empty chapter lines in a row that are not Markdown headings (a book's table of contents) are one
/// "Contents" symbol.
std::vector<protocol::DocumentSymbol> documentSymbols(const engine::Manuscript &m, protocol::PositionEncoding enc);

/// One range per chapter (heading to its last paragraph), per scene of a chapter with several, and per
/// table of contents.
std::vector<protocol::FoldingRange> foldingRanges(const engine::Manuscript &m);

/// The paragraph under `position`: its number, chapter and word count.
std::optional<protocol::Hover> paragraphHover(const engine::Manuscript &m, const protocol::Position &position,
                                              protocol::PositionEncoding enc, bool markdown);

} // namespace recurrent::server
