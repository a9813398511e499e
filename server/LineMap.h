// LineMap: LSP positions for a text that is not an open document (a closed chapter, a bible file).
//
// Open documents convert through their Manuscript (DocumentStore.h); a chapter on disk has no Manuscript,
// and building one to place a few mentions would segment the whole file. This keeps line starts only.
// Thread-safety: immutable after construction; the text must outlive it.
#pragma once

#include "protocol/Encoding.h"
#include "protocol/Lsp.h"

#include <cstddef>
#include <string_view>
#include <vector>

namespace recurrent::server {

class LineMap {
public:
  explicit LineMap(std::string_view text);
  protocol::Position position(std::size_t offset, protocol::PositionEncoding enc) const;
  protocol::Range range(std::size_t begin, std::size_t end, protocol::PositionEncoding enc) const;
  /// Lines past the end clamp to the text's end, columns to the line's end.
  std::size_t offset(const protocol::Position &p, protocol::PositionEncoding enc) const;

private:
  std::string_view line(std::size_t index) const; ///< without its terminator
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

} // namespace recurrent::server
