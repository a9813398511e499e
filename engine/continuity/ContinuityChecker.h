// The deterministic continuity checks of a book, kept current with its edits: the entry point for the
// server and `recurrent check`.
//
// Three checks, each in its own file, all offline and instant (War and Peace whole in well under a second):
//   name-misspelling     NearMissNames.h      Warning, replacement = the bible's spelling
//   dead-character-acts  DeadCharacterActs.h  Warning, source = the fact comment (or bible detail)
//   pov-drift            PovDrift.h           Hint, source = the chapter's `pov:` line
// Findings are in chapter byte offsets (Finding.h); the caller maps them to lines or LSP ranges.
//
// How the server uses it (one checker per book, owned by the book's strand):
//   ContinuityChecker checker(book.bible());         // a new checker when the bible changes (reloadBible)
//   checker.build(*snapshot);                        // once: mentions, facts, the book's word counts
//   auto all = checker.checkBook(*snapshot);         // a book-wide pass (closed chapters too)
//   // on didChange of chapter i (bytes [begin, begin+oldLength) became newLength bytes):
//   checker.applyEdit(*snapshot, i, begin, oldLength, newLength);   // `snapshot` already holds the new text
//   auto some = checker.checkParagraphs(*snapshot, i, firstLocal, count); // the edited paragraphs only
//   // a chapter file re-read, added or removed: updateChapter(snapshot, i), or build(snapshot) again
// A check of a paragraph range looks only at those paragraphs' text, but reads the whole book's indexes
// (a fact three chapters back, how often a word occurs), so an edit elsewhere can change a verdict: a
// word used a third time becomes a name of its own. A full chapter check after an edit is cheap too.
// The model checks (Model*.h) run after this pass and append their own findings.
//
// Thread-safety: not synchronised. One owner calls build/update/applyEdit; the const check methods may run
// on several threads at once while nobody updates.
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/continuity/CheckContext.h"
#include "engine/continuity/DeadCharacterActs.h"
#include "engine/continuity/Finding.h"
#include "engine/continuity/NameCensus.h"
#include "engine/continuity/NameDictionary.h"
#include "engine/continuity/NearMissNames.h"
#include "engine/continuity/PovDrift.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace recurrent::engine {
class BookSnapshot;
}

namespace recurrent::engine::continuity {

class ContinuityChecker {
public:
  struct Options {
    NearMissNames::Options names;
    /// The word list; null with useSystemDictionary: systemDictionary() (Debian's wamerican).
    std::shared_ptr<const NameDictionary> dictionary;
    bool useSystemDictionary = true;
  };
  explicit ContinuityChecker(std::shared_ptr<const Bible> bible) : ContinuityChecker(std::move(bible), Options{}) {}
  ContinuityChecker(std::shared_ptr<const Bible> bible, Options options);

  /// Indexes every chapter of `book` (mentions, facts, word counts).
  void build(const BookSnapshot &book);
  /// Chapter `chapter` of `book` changed (re-read from disk, replaced by the editor's text).
  void updateChapter(const BookSnapshot &book, std::size_t chapter);
  /// Chapter `chapter` had bytes [begin, begin + oldLength) replaced by `newLength` bytes; `book` holds the
  /// new text. Mentions are re-scanned around the edit only; facts and word counts for the chapter.
  void applyEdit(const BookSnapshot &book, std::size_t chapter, std::size_t begin, std::size_t oldLength,
                 std::size_t newLength);

  /// Every chapter, in book order.
  std::vector<Finding> checkBook(const BookSnapshot &book) const;
  std::vector<Finding> checkChapter(const BookSnapshot &book, std::size_t chapter) const;
  /// The chapter's prose paragraphs [firstLocal, firstLocal + count) (its own paragraph indices).
  std::vector<Finding> checkParagraphs(const BookSnapshot &book, std::size_t chapter, std::size_t firstLocal,
                                       std::size_t count) const;
  /// The paragraphs of `view` (see CheckContext.h): findings sorted by position.
  std::vector<Finding> check(const ChapterView &view) const;

  const Bible &bible() const { return *bible_; }
  const MentionIndex &mentions() const { return mentions_; }
  const BookFacts &facts() const { return facts_; }
  /// Non-empty when there is no word list: say it once ("name checks run without the dictionary filter").
  const std::string &dictionaryNotice() const { return dictionaryNotice_; }

private:
  CheckContext context() const;
  std::shared_ptr<const Bible> bible_;
  std::string dictionaryNotice_; ///< before dictionary_: chooseDictionary() fills it
  std::shared_ptr<const NameDictionary> dictionary_;
  MentionIndex mentions_;
  BookFacts facts_;
  NameCensus census_;
  std::vector<std::filesystem::path> chapterFiles_;
  NearMissNames names_;
  DeadCharacterActs dead_;
  PovDrift pov_;
};

} // namespace recurrent::engine::continuity
