#include "engine/bible/BookFacts.h"

#include "engine/book/BookSnapshot.h"

#include <algorithm>

namespace recurrent::engine {

BookFacts BookFacts::collect(const Bible &bible, const BookSnapshot &book) {
  std::vector<std::string_view> texts;
  for (std::size_t i = 0; i < book.chapters().size(); ++i)
    texts.push_back(book.chapterText(i));
  return collect(bible, texts);
}

BookFacts BookFacts::collect(const Bible &bible, const std::vector<std::string_view> &chapters) {
  BookFacts facts;
  facts.chapters_.resize(chapters.size());
  facts.problems_.resize(chapters.size());
  for (std::size_t i = 0; i < chapters.size(); ++i)
    facts.updateChapter(bible, i, chapters[i]);
  return facts;
}

void BookFacts::updateChapter(const Bible &bible, std::size_t chapter, std::string_view text) {
  auto &out = chapters_.at(chapter);
  auto &problems = problems_.at(chapter);
  out.clear();
  problems.clear();
  for (auto &f : parseFactComments(text, &problems)) {
    if (auto target = bible.resolveFact(f))
      out.push_back(
          {target->entry, std::move(target->detail), std::move(f.text), chapter, f.begin, f.end, f.line});
    else
      problems.push_back({{},
                          f.line,
                          BibleDiagnostic::Severity::Warning,
                          "the fact about '" + f.target + "' names no bible entry"});
  }
}

void BookFacts::insertChapter(const Bible &bible, std::size_t chapter, std::string_view text) {
  chapter = std::min(chapter, chapters_.size());
  chapters_.insert(chapters_.begin() + static_cast<std::ptrdiff_t>(chapter), std::vector<BookFact>());
  problems_.insert(problems_.begin() + static_cast<std::ptrdiff_t>(chapter), std::vector<BibleDiagnostic>());
  updateChapter(bible, chapter, text);
  renumberFrom(chapter + 1);
}

void BookFacts::removeChapter(std::size_t chapter) {
  if (chapter >= chapters_.size())
    return;
  chapters_.erase(chapters_.begin() + static_cast<std::ptrdiff_t>(chapter));
  problems_.erase(problems_.begin() + static_cast<std::ptrdiff_t>(chapter));
  renumberFrom(chapter);
}

void BookFacts::renumberFrom(std::size_t chapter) {
  for (auto c = chapter; c < chapters_.size(); ++c)
    for (auto &f : chapters_[c])
      f.chapter = c;
}

std::size_t BookFacts::countFor(std::size_t entry) const {
  std::size_t n = 0;
  for (const auto &c : chapters_)
    for (const auto &f : c)
      n += f.entry == entry;
  return n;
}

EntryState BookFacts::at(const Bible &bible, std::size_t entry, std::size_t chapter,
                         std::size_t offset) const {
  EntryState state;
  state.entry = entry;
  if (entry >= bible.entries.size())
    return state;
  const auto &e = bible.entries[entry];
  state.description = e.description;
  state.details = e.details;
  for (std::size_t c = 0; c < chapters_.size() && c <= chapter; ++c)
    for (const auto &f : chapters_[c]) {
      if (c == chapter && f.end > offset)
        break;
      if (f.entry != entry)
        continue;
      if (f.detail.empty()) {
        state.facts.push_back(f);
        continue;
      }
      auto it = std::find_if(state.details.begin(), state.details.end(),
                             [&](const BibleDetail &d) { return d.key == f.detail; });
      if (it != state.details.end())
        it->value = f.text;
      else // a detail the entry did not have: it becomes one from here on
        state.details.push_back({f.detail, f.text, f.line});
      state.replaced.push_back(f);
    }
  return state;
}

} // namespace recurrent::engine
