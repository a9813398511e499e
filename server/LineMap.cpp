// LineMap: byte offsets <-> LSP positions over plain text (see LineMap.h).
#include "server/LineMap.h"

#include <algorithm>
#include <cstring>

namespace recurrent::server {

LineMap::LineMap(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (const char *p = text.data(), *end = text.data() + text.size();
       (p = static_cast<const char *>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))); )
    starts_.push_back(static_cast<std::size_t>(++p - text.data()));
}

std::string_view LineMap::line(std::size_t index) const {
  std::size_t begin = starts_[index];
  std::size_t end = index + 1 < starts_.size() ? starts_[index + 1] : text_.size();
  std::string_view out = text_.substr(begin, end - begin);
  if (!out.empty() && out.back() == '\n')
    out.remove_suffix(1);
  if (!out.empty() && out.back() == '\r')
    out.remove_suffix(1);
  return out;
}

protocol::Position LineMap::position(std::size_t offset, protocol::PositionEncoding enc) const {
  offset = std::min(offset, text_.size());
  auto index = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  return {static_cast<std::uint32_t>(index), protocol::byteToColumn(line(index), offset - starts_[index], enc)};
}

protocol::Range LineMap::range(std::size_t begin, std::size_t end, protocol::PositionEncoding enc) const {
  return {position(begin, enc), position(end, enc)};
}

std::size_t LineMap::offset(const protocol::Position &p, protocol::PositionEncoding enc) const {
  if (p.line >= starts_.size())
    return text_.size();
  return starts_[p.line] + protocol::columnToByte(line(p.line), p.character, enc);
}

} // namespace recurrent::server
