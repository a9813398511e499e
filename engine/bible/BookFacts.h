// The bible's facts across a book, and what an entry says at one point of it.
//
// Facts are `<!-- fact: Ana: ... -->` comments in the chapters (BibleFile.h). A fact is true from the end of
// its comment on, in book order: continuing chapter 5 must not see a fact written in chapter 9, and a
// `Name.detail` fact replaces that detail only from there. BookFacts keeps every chapter's facts resolved
// against the bible, updated one chapter at a time, and answers `at(entry, chapter, offset)`: the entry's
// description, its details with the replacements made so far, and the facts added so far (the input of
// hover and of the prompt's bible entries).
//
// Thread-safety: not synchronised; one owner updates it, const methods may run concurrently otherwise.
#pragma once

#include "engine/bible/BibleFile.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

class BookSnapshot;

struct BookFact {
  std::size_t entry = 0;
  std::string detail;              ///< the detail it replaces; empty: it adds a fact
  std::string text;
  std::size_t chapter = 0;
  std::size_t begin = 0, end = 0;  ///< the comment's bytes in the chapter's text
  std::uint32_t line = 0;
  bool operator==(const BookFact &) const = default;
};

/// An entry as it stands at one point of the book.
struct EntryState {
  std::size_t entry = 0;
  std::string description;
  std::vector<BibleDetail> details;  ///< replacements applied (a replaced detail keeps its place)
  std::vector<BookFact> facts;       ///< facts added before the point, in book order
  std::vector<BookFact> replaced;    ///< the replacements that applied, in book order
};

class BookFacts {
public:
  /// The facts of every chapter of `book`, resolved against `bible`.
  static BookFacts collect(const Bible &bible, const BookSnapshot &book);
  static BookFacts collect(const Bible &bible, const std::vector<std::string_view> &chapters);
  /// Re-reads chapter `chapter` (which must exist) from its new text.
  void updateChapter(const Bible &bible, std::size_t chapter, std::string_view text);
  /// A chapter file added at `chapter` (0..count), or one that left the book; the later ones renumbered.
  void insertChapter(const Bible &bible, std::size_t chapter, std::string_view text);
  void removeChapter(std::size_t chapter);

  /// The facts of one chapter, in text order.
  const std::vector<BookFact> &chapter(std::size_t chapter) const { return chapters_.at(chapter); }
  /// Fact comments that are malformed or name no entry (file left empty: the chapter's file).
  const std::vector<std::vector<BibleDiagnostic>> &problems() const { return problems_; }
  /// How many facts name `entry`.
  std::size_t countFor(std::size_t entry) const;

  /// `entry` at byte `offset` of chapter `chapter`: only facts whose comment ends at or before the point.
  EntryState at(const Bible &bible, std::size_t entry, std::size_t chapter, std::size_t offset) const;

private:
  void renumberFrom(std::size_t chapter);
  std::vector<std::vector<BookFact>> chapters_;
  std::vector<std::vector<BibleDiagnostic>> problems_;
};

} // namespace recurrent::engine
