// replaceName: whole-word replacement of a name (see RenameText.h).
#include "engine/bible/RenameText.h"

namespace recurrent::engine {

namespace {
bool wordByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || c == '_';
}
} // namespace

std::string replaceName(std::string_view text, std::string_view oldName, std::string_view newName) {
  if (oldName.empty())
    return std::string(text);
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = text.find(oldName); at != std::string_view::npos; at = text.find(oldName, at + 1)) {
    std::size_t end = at + oldName.size();
    if ((at > 0 && wordByte(text[at - 1])) || (end < text.size() && wordByte(text[end])) || at < from)
      continue;
    out.append(text.substr(from, at - from)).append(newName);
    from = end;
  }
  out.append(text.substr(from));
  return out;
}

} // namespace recurrent::engine
