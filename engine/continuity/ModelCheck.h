// The model's continuity check: one model call per passage, against the evidence the book has, cached per paragraph.
//
// For a passage (one paragraph, or for a chapter or the whole book a batch of consecutive paragraphs), the
// evidence is gathered under a token budget, most important first: the bible entries mentioned in the passage as
// they stand at its place (BookFacts::at: facts written later are not yet true), the short-term memory when the
// passage is at the end of the book (where it describes the story), the top memory summaries of EARLIER
// paragraphs about the same entries, then those paragraphs' own text while room is left. The model answers
// issues under a JSON schema (CheckPrompt.h). An issue is kept only when its quote is an exact substring of the
// passage paragraph and its source names an item of the evidence given (or an earlier passage paragraph); every
// other issue is dropped and counted. Kept issues become Findings: Warning when the source is a bible entry or a
// fact, Hint for narrative style, Information otherwise (memory); `sources` point at the bible line (a detail's
// own line when the source quote is one), the fact comment, or the paragraph's chapter file and line.
//
// Batches: a chapter or book check packs unchecked paragraphs, in book order, into calls of up to
// Options::batchTokens of passage, with evidence up to evidenceRatio of that, so a whole-book check costs about
// (1 + evidenceRatio) times the book's own tokens plus a fixed part per call (measured by bench_continuity_model:
// target at most 1.5x). A batch may run on into the next chapter but never spans a fact comment (the bible differs
// on either side of it).
//
// Cache (CheckCache.h): each paragraph's result is stored under (paragraph hash, bible version, its evidence
// hash); a paragraph found there is not sent, so a second check of an unchanged chapter sends nothing, and an
// edited paragraph is the only one sent again. The offline stand-in cannot judge continuity: usable() is false
// for it, and callers run only the deterministic checks.
//
// For the server (the lead's wiring), on its pool, with an immutable snapshot:
//   auto checker = ModelChecker(model, CheckCache::open(CheckCache::fileFor(layout.paths())), options);
//   CheckBook in = checkBookOf(book, snapshot);          // snapshot + bible + memory + short-term memory
//   in.names = &bookBible;                               // optional: the BookBible current with `snapshot`
//   checker.check(in, paragraphsIn(*snapshot, chapter, begin, end) / chapterParagraphs / allParagraphs,
//                 cancel, progress)  -> findings (chapter byte ranges), calls and tokens spent
//   checker.stored(in, paragraphs)  -> the cached findings only, no call (publish on open; closed chapters)
//   checker.estimate(in, paragraphs) -> what a check would send (ask before a paid book-wide check)
// A finding's range is in BookSnapshot::chapterText(finding.chapter); editing the paragraph changes its hash, so
// its findings are no longer returned until it is checked again.
//
// Thread-safety: a ModelChecker may be used from several threads at once (the model and the cache are
// thread-safe; a check keeps its state on its stack). CheckBook's pointers must outlive the call.
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/book/BookSnapshot.h"
#include "engine/continuity/CheckCache.h"
#include "engine/continuity/Finding.h"
#include "engine/llm/ChatModel.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace recurrent::engine {
class Book;
class BookBible;
class LongTermMemory;
} // namespace recurrent::engine

namespace recurrent::engine::continuity {

struct ModelCheckOptions {
  int contextTokens = 8192;        ///< the model's context window
  int answerTokens = 1200;         ///< kept free for the answer
  int batchTokens = 3500;          ///< passage tokens per call in chapter and book checks
  double evidenceRatio = 0.25;     ///< evidence tokens per passage token in a batch
  int paragraphEvidenceTokens = 1500; ///< evidence room when one paragraph is checked alone
  std::size_t summariesPerEntry = 3;
  std::size_t entriesSearched = 6; ///< memory is searched for at most this many mentioned entries per call
  std::size_t shortTermTail = 3;   ///< the short-term memory joins a passage within this many paragraphs of the end
};

/// What a check reads. Everything is shared and immutable for the call.
struct CheckBook {
  std::shared_ptr<const BookSnapshot> snapshot;
  std::shared_ptr<const Bible> bible;      ///< may be empty (no bible: memory evidence only)
  /// The book's mentions and facts, current with `snapshot` (the server's, shared with the deterministic
  /// checks); null: computed for the call from `bible`. When set, its bible is the one used.
  const BookBible *names = nullptr;
  const LongTermMemory *memory = nullptr;  ///< null: no memory evidence
  std::string shortTermMemory;
  std::filesystem::path shortTermMemoryFile; ///< where a finding citing it points
  std::string language;
};

/// The check's view of an open book: its snapshot (given), bible, memory and short-term memory.
CheckBook checkBookOf(Book &book, std::shared_ptr<const BookSnapshot> snapshot);

/// Book-wide paragraph indices (BookSnapshot::manuscript().paragraphs()) to check.
std::vector<std::size_t> allParagraphs(const BookSnapshot &snapshot);
std::vector<std::size_t> chapterParagraphs(const BookSnapshot &snapshot, std::size_t chapter);
/// The paragraphs of chapter `chapter` overlapping bytes [begin, end) (begin == end: the one holding begin).
std::vector<std::size_t> paragraphsIn(const BookSnapshot &snapshot, std::size_t chapter, std::size_t begin,
                                      std::size_t end);

struct ModelCheckReport {
  std::vector<Finding> findings;   ///< in book order; ranges in the chapters' texts
  std::size_t paragraphs = 0;      ///< asked for
  std::size_t fromCache = 0;       ///< answered by the cache
  std::size_t checked = 0;         ///< sent to the model
  std::size_t calls = 0;           ///< model requests made
  std::size_t dropped = 0;         ///< issues dropped: quote not in the passage, unknown source, unknown subtype
  long promptTokens = 0, completionTokens = 0;
  bool cancelled = false;          ///< stopped early; what was checked is cached and reported
};

struct ModelCheckEstimate {
  std::size_t paragraphs = 0;      ///< not in the cache: would be sent
  std::size_t calls = 0;
  long tokens = 0;                 ///< estimated prompt tokens
};

class ModelChecker {
public:
  /// done, total: paragraphs (cached ones count as done at once).
  using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

  ModelChecker(std::shared_ptr<ChatModel> model, std::shared_ptr<CheckCache> cache, ModelCheckOptions options = {});

  /// False for the offline stand-in (it cannot judge continuity) and for no model.
  static bool usable(const ChatModel *model) { return model && !model->isOffline(); }

  /// Checks `paragraphs` (book-wide indices, any order; checked in book order). Cancelled: the report so far with
  /// `cancelled` set. A model or prompt error stops the check (what was done stays cached).
  Result<ModelCheckReport> check(const CheckBook &book, std::vector<std::size_t> paragraphs,
                                 const CancelToken &cancel = {}, const ProgressFn &progress = {});
  /// The cached findings of `paragraphs`, no model call (paragraphs never checked have none).
  ModelCheckReport stored(const CheckBook &book, std::vector<std::size_t> paragraphs) const;
  /// What check() would send for `paragraphs`.
  ModelCheckEstimate estimate(const CheckBook &book, std::vector<std::size_t> paragraphs) const;

  CheckCache &cache() { return *cache_; }

private:
  std::shared_ptr<ChatModel> model_;
  std::shared_ptr<CheckCache> cache_;
  ModelCheckOptions options_;
};

/// A hash of everything in the bible a check reads (names, types, descriptions, details, files and lines).
std::uint64_t bibleVersion(const Bible &bible);

} // namespace recurrent::engine::continuity
