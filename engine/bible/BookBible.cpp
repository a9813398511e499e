// BookBible: mentions and facts kept current with the book's snapshots (see BookBible.h).
#include "engine/bible/BookBible.h"

#include "engine/book/BookSnapshot.h"

#include <algorithm>

namespace recurrent::engine {

BookBible::BookBible(std::shared_ptr<const Bible> bible, const BookSnapshot &snapshot)
    : bible_(std::move(bible)), mentions_(*bible_) {
  rebuild(snapshot);
}

void BookBible::rebuild(const BookSnapshot &snapshot) {
  files_.clear();
  texts_.clear();
  for (const auto &c : snapshot.chapters()) {
    files_.push_back(c.file.path);
    texts_.push_back(c.text);
  }
  mentions_.build(snapshot);
  facts_ = BookFacts::collect(*bible_, snapshot);
}

void BookBible::update(const BookSnapshot &snapshot) {
  const auto &chapters = snapshot.chapters();
  bool sameFiles = chapters.size() == files_.size();
  for (std::size_t i = 0; sameFiles && i < chapters.size(); ++i)
    sameFiles = chapters[i].file.path == files_[i];
  if (!sameFiles) {
    rebuild(snapshot);
    return;
  }
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    const auto &now = chapters[i].text;
    if (now == texts_[i] || *now == *texts_[i]) {
      texts_[i] = now;
      continue;
    }
    // The one span that differs: the common prefix and suffix are untouched.
    std::string_view before = *texts_[i], after = *now;
    std::size_t prefix = 0, limit = std::min(before.size(), after.size());
    while (prefix < limit && before[prefix] == after[prefix])
      ++prefix;
    std::size_t suffix = 0;
    while (suffix < limit - prefix && before[before.size() - 1 - suffix] == after[after.size() - 1 - suffix])
      ++suffix;
    mentions_.applyEdit(i, after, prefix, before.size() - prefix - suffix, after.size() - prefix - suffix);
    facts_.updateChapter(*bible_, i, after);
    texts_[i] = now;
  }
}

std::optional<Mention> BookBible::mentionAt(std::size_t chapter, std::size_t offset) const {
  if (chapter >= mentions_.chapterCount())
    return std::nullopt;
  const auto &list = mentions_.chapterMentions(chapter);
  // The first mention ending at or after the offset; it covers the offset if it starts at or before it.
  auto it = std::lower_bound(list.begin(), list.end(), offset,
                             [](const Mention &m, std::size_t at) { return m.end < at; });
  if (it != list.end() && it->begin <= offset)
    return *it;
  return std::nullopt;
}

std::optional<std::size_t> BookBible::entryAtHeading(const std::filesystem::path &file, std::uint32_t line) const {
  for (std::size_t i = 0; i < bible_->entries.size(); ++i) {
    const auto &e = bible_->entries[i];
    if (e.line == line && e.file == file)
      return i;
  }
  return std::nullopt;
}

} // namespace recurrent::engine
