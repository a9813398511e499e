// A book's bible as the editor navigates it: the entries, every mention of them and the facts, kept current
// with the book's snapshots.
//
// update(snapshot) compares each chapter's text with the one it last saw (the snapshot shares unchanged
// chapters' strings, so most are skipped by pointer) and hands the changed span to MentionIndex::applyEdit,
// which re-scans only the paragraphs around it; a changed chapter list (a chapter added, removed or
// reordered) rebuilds. A new bible (an entry file changed) needs a new BookBible.
//
// Thread-safety: not synchronised; one owner (the server's main strand) updates and reads it.
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine {

class BookSnapshot;

class BookBible {
public:
  BookBible(std::shared_ptr<const Bible> bible, const BookSnapshot &snapshot);

  /// Brings mentions and facts to `snapshot` (a later snapshot of the same book).
  void update(const BookSnapshot &snapshot);

  const Bible &bible() const { return *bible_; }
  const std::shared_ptr<const Bible> &biblePtr() const { return bible_; }
  const MentionIndex &mentions() const { return mentions_; }
  const BookFacts &facts() const { return facts_; }
  /// The chapter files, in the index's chapter order.
  const std::vector<std::filesystem::path> &chapterFiles() const { return files_; }
  std::string_view chapterText(std::size_t chapter) const { return *texts_.at(chapter); }

  /// The mention whose name covers byte `offset` of `chapter` (its end counts: a cursor just after a name).
  std::optional<Mention> mentionAt(std::size_t chapter, std::size_t offset) const;
  /// The entry whose heading is on `line` of bible file `file` (navigation from inside the bible).
  std::optional<std::size_t> entryAtHeading(const std::filesystem::path &file, std::uint32_t line) const;

private:
  void rebuild(const BookSnapshot &snapshot);

  std::shared_ptr<const Bible> bible_;
  MentionIndex mentions_;
  BookFacts facts_;
  std::vector<std::filesystem::path> files_;
  std::vector<std::shared_ptr<const std::string>> texts_;
};

} // namespace recurrent::engine
