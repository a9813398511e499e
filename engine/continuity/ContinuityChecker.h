// The deterministic continuity checks of a book, kept current with its snapshots: the entry point for the
// server and `recurrent check`.
//
// Three checks, each in its own file, all offline and instant (War and Peace whole in a quarter second):
//   name-misspelling     NearMissNames.h      Warning, replacement = the bible's spelling
//   dead-character-acts  DeadCharacterActs.h  Warning, source = the fact comment (or bible detail)
//   pov-drift            PovDrift.h           Hint, source = the chapter's `pov:` line
// Findings are in chapter byte offsets (Finding.h); the caller maps them to lines or LSP ranges.
//
// Mentions and facts come from the book's BookBible (the one the editor's bible navigation keeps); the
// checker adds what only it needs: the book's capitalised-word counts and the compiled name words. Both
// follow the same snapshots. How the server uses it (one per book, on the book's strand):
//   BookBible names(bible, *snapshot);                // already there for hover, references, ...
//   ContinuityChecker checker(names, *snapshot);      // a new one with each new BookBible (bible changed)
//   auto all = checker.checkBook(names, *snapshot);   // a book-wide pass (closed chapters too)
//   // after an edit: snapshot = book.snapshot();
//   names.update(*snapshot); checker.update(*snapshot);      // both re-read only changed chapters
//   auto some = checker.checkParagraphs(names, *snapshot, chapter, firstLocal, count); // edited paragraphs
// A check of a paragraph range reads only those paragraphs' text, but the whole book's indexes (a fact
// three chapters back, how often a word occurs), so an edit elsewhere can change a verdict: a word used a
// third time becomes a name of its own. Re-checking a whole chapter after an edit is cheap too (~0.1 ms).
// The model checks (Model*.h) run after this pass and append their own findings.
//
// Thread-safety: not synchronised. One owner calls update; the const check methods may run on several
// threads at once while neither the checker nor the BookBible is updated.
#pragma once

#include "engine/bible/BookBible.h"
#include "engine/continuity/CheckContext.h"
#include "engine/continuity/DeadCharacterActs.h"
#include "engine/continuity/Finding.h"
#include "engine/continuity/NameCensus.h"
#include "engine/continuity/NameDictionary.h"
#include "engine/continuity/NearMissNames.h"
#include "engine/continuity/PovDrift.h"

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
  /// Compiles `bible`'s names and counts the words of `snapshot`'s chapters. Check with this BookBible
  /// (or another of the same bible) only.
  ContinuityChecker(const BookBible &bible, const BookSnapshot &snapshot)
      : ContinuityChecker(bible, snapshot, Options{}) {}
  ContinuityChecker(const BookBible &bible, const BookSnapshot &snapshot, Options options);

  /// Brings the word counts to `snapshot`: chapters whose text changed are re-counted; a changed chapter
  /// list re-counts all.
  void update(const BookSnapshot &snapshot);

  /// Every chapter, in book order.
  std::vector<Finding> checkBook(const BookBible &bible, const BookSnapshot &book) const;
  std::vector<Finding> checkChapter(const BookBible &bible, const BookSnapshot &book, std::size_t chapter) const;
  /// The chapter's prose paragraphs [firstLocal, firstLocal + count) (its own paragraph indices).
  std::vector<Finding> checkParagraphs(const BookBible &bible, const BookSnapshot &book, std::size_t chapter,
                                       std::size_t firstLocal, std::size_t count) const;
  /// The paragraphs of `view` (see CheckContext.h): findings sorted by position.
  std::vector<Finding> check(const BookBible &bible, const ChapterView &view) const;

  /// Non-empty when there is no word list: say it once ("name checks run without the dictionary filter").
  const std::string &dictionaryNotice() const { return dictionaryNotice_; }

private:
  void recount(const BookSnapshot &snapshot);
  std::string dictionaryNotice_; ///< before dictionary_: chooseDictionary() fills it
  std::shared_ptr<const NameDictionary> dictionary_;
  NameCensus census_;
  std::vector<std::filesystem::path> files_;
  std::vector<std::shared_ptr<const std::string>> texts_;
  NearMissNames names_;
  DeadCharacterActs dead_;
  PovDrift pov_;
};

} // namespace recurrent::engine::continuity
