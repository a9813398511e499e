// Fuzz target: a text and a sequence of edits; after each edit the incremental model must equal a full parse.
//
// Input layout: the text, then for each edit a 0xFF byte, a 4-byte header (begin and length as
// 16-bit little-endian numbers, taken modulo the text's size) and the replacement bytes up to the next
// 0xFF. 0xFF never occurs in UTF-8, so any input splits cleanly; invalid UTF-8 is fair game.
#include "engine/manuscript/Manuscript.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using recurrent::engine::Manuscript;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  std::size_t cut = input.find('\xFF');
  Manuscript m(std::string(input.substr(0, cut)));
  if (!(m == Manuscript(m.text())))
    std::abort();
  while (cut != std::string_view::npos) {
    std::string_view rest = input.substr(cut + 1);
    cut = rest.find('\xFF');
    std::string_view edit = rest.substr(0, cut);
    if (cut != std::string_view::npos)
      cut += static_cast<std::size_t>(rest.data() - input.data());
    if (edit.size() < 4)
      continue;
    auto u16 = [&](std::size_t i) {
      return static_cast<std::size_t>(static_cast<std::uint8_t>(edit[i])) |
             static_cast<std::size_t>(static_cast<std::uint8_t>(edit[i + 1])) << 8;
    };
    std::size_t n = m.text().size() + 1;
    std::size_t begin = u16(0) % n;
    std::size_t end = begin + u16(2) % (n - begin);
    m.replace(begin, end, edit.substr(4));
    if (!(m == Manuscript(m.text())))
      std::abort();
  }
  return 0;
}
