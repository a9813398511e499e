#include "engine/continuity/CheckContext.h"

#include "engine/book/BookSnapshot.h"

#include <algorithm>
#include <cstdio>

namespace recurrent::engine::continuity {

ChapterView chapterView(const BookSnapshot &book, std::size_t chapter, std::size_t first, std::size_t count) {
  const auto &c = book.chapters().at(chapter);
  ChapterView view{chapter, book.chapterText(chapter), c.file.path, {}};
  auto last = std::min(c.paragraphCount, first + std::min(count, c.paragraphCount));
  for (auto p = first; p < last; ++p)
    if (auto place = book.place(book.bookParagraph(chapter, p)))
      view.paragraphs.push_back({place->begin, place->end});
  return view;
}

std::string fingerprintOf(std::string_view code, std::string_view entry, std::string_view quote) {
  std::string key;
  key.append(code).push_back('\x1f');
  key.append(entry).push_back('\x1f');
  key.append(quote);
  auto h = hashParagraphText(key);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::vector<Mention> mentionsIn(const MentionIndex &index, std::size_t chapter, std::size_t begin,
                                std::size_t end) {
  std::vector<Mention> out;
  if (chapter >= index.chapterCount())
    return out;
  const auto &all = index.chapterMentions(chapter);
  auto lo = std::lower_bound(all.begin(), all.end(), begin,
                             [](const Mention &m, std::size_t v) { return m.begin < v; });
  for (auto it = lo; it != all.end() && it->begin < end; ++it)
    out.push_back(*it);
  return out;
}

std::uint32_t lineAt(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return static_cast<std::uint32_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

} // namespace recurrent::engine::continuity
