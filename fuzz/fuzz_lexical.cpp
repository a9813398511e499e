// Fuzzes the word index: any bytes as paragraphs and queries (invalid UTF-8, CJK, apostrophes),
// with replacements and removals; no crash, no undefined behaviour, hits ranked and bounded.
#include "engine/memory/LexicalIndex.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  recurrent::engine::LexicalIndex index;
  // Paragraphs are separated by blank bytes; ids repeat so some adds replace.
  std::size_t start = 0, n = 0;
  while (start <= bytes.size()) {
    std::size_t end = bytes.find('\0', start);
    if (end == std::string_view::npos)
      end = bytes.size();
    std::string_view part = bytes.substr(start, end - start);
    std::uint64_t id = n++ % 5;
    if (!part.empty() && part[0] == '-')
      index.remove(id);
    else
      index.add(id, part, part.substr(part.size() / 2));
    start = end + 1;
  }
  auto hits = index.search(bytes, 3);
  if (hits.size() > 3 || hits.size() > index.size())
    std::abort();
  for (std::size_t i = 1; i < hits.size(); ++i)
    if (hits[i - 1].score < hits[i].score)
      std::abort();
  return 0;
}
