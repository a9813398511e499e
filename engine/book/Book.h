// A book: its chapter files (disk plus the editor's open documents), one story state, one memory, one model.
// Its texts (chapters and bible) are a BookText (BookText.h), which the methods under "The text" forward to.
//
// API summary (stable; later additions only):
//   engine::openBook(layout, config, options)   (engine/Backends.h) the one way to open a book
//   book.layout()                    which book, where its state lives
//   book.snapshot()                  the current BookSnapshot (cheap when nothing changed)
//   book.setOverlay(path, text)      an open document's text replaces the file's for the
//   book.clearOverlay(path)          book (clear: back to the file on disk)
//   book.reloadFromDisk()            re-lists the chapters and re-reads the files not open
//                                    (a checkout, a deleted or renamed chapter)
//   book.isStory()                   the state says this is a story (adopted or begun)
//   book.estimateSummaries(snap)     how many paragraph texts an index would summarise,
//                                    the estimated tokens, and whether a paid model would
//                                    do it: needsConfirmation() is the question to ask
//   book.refreshMemory(snap, ...)    brings the one memory up to date with the snapshot
//   book.adoptOrRefresh(snap, ...)   the one place a book becomes a story: adopt when the
//                                    state is not initialised, else refresh the memory
//   book.chapterSummary(snap, i)     a one-paragraph extractive summary of chapter i
//                                    (cached by the chapter's text)
//   book.stepRequest(snap, i, offset, plan)  a continuation at byte `offset` of chapter i
//                                    (none: its end) as a StorySession::StepRequest: the
//                                    cursor in the book's manuscript, and "previously"
//                                    (summaries of the chapters before i); a step's
//                                    insertAt maps back with snap.chapterOffset()
//   book.bible()                     the book's story bible (BibleFile.h), read from its
//                                    folder on first use and cached; reloadBible() makes
//                                    the next call read it again (a bible file changed);
//                                    setBibleOverlay: an open entry file's editor text
//   book.bibleAt(snap, i, offset)    the bible as it stands at byte `offset` of chapter i
//                                    (BiblePrompt.h): the prompt's entries and facts there;
//                                    null when the bible has no entries. stepRequest
//                                    fills it; bibleAtEnd() (the end of the current
//                                    snapshot) is what plans and select see
//   book.session()                   the StorySession (steps, plans, undo, calls) on the
//                                    book's state: one step counter, short-term memory
//                                    and plans per book
//   book.recordedModel()             the session's recorded model: every model call of the
//                                    book (summaries, steps, checks) goes through it
//
// Memory entries are keyed by paragraph hash over the book's one manuscript (see
// BookSnapshot), so a paragraph moved between chapter files keeps its summary (no new
// summary call), a renamed chapter keeps its entries, and a deleted chapter's
// paragraphs leave the memory at the next refresh.
//
// Thread-safety: every method may be called from any thread. Overlays and snapshots are
// guarded by an internal mutex (a snapshot is immutable once handed out); memory and
// story operations are serialised by the StorySession. The server keeps the policy of
// which thread mutates (its main strand) and which jobs read snapshots (its pool).
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/bible/BiblePrompt.h"
#include "engine/book/BookLayout.h"
#include "engine/book/BookSnapshot.h"
#include "engine/book/BookText.h"
#include "engine/memory/MemoryIndexer.h"
#include "engine/story/StorySession.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace recurrent::engine {

class BookFacts;
class LongTermMemory;
class MentionIndex;

/// Summarising (or checking) more new paragraphs than this with a paid model asks first: the CLI's
/// --confirm-above and the editor's recurrent.confirmSummariesAbove default to it.
inline constexpr std::size_t kDefaultConfirmAbove = 40;

struct BookOptions {
  SessionOptions session;
  /// Summarising more new paragraph texts than this with a paid model asks first.
  std::size_t confirmAbove = kDefaultConfirmAbove;
  /// Ask about a model on this machine too (a local model summarising a book takes hours).
  bool confirmLocal = false;
};

/// What indexing a snapshot would cost.
struct SummaryEstimate {
  std::size_t paragraphs = 0;  ///< distinct paragraph texts without a summary yet
  std::size_t words = 0;       ///< in them
  std::size_t tokens = 0;      ///< estimated prompt + answer tokens of summarising them
  bool paid = false;           ///< the summarizer is a model on a non-loopback server
  std::size_t threshold = 0;   ///< BookOptions::confirmAbove
  bool model = false;          ///< a model (not the offline summarizer) would summarise
  bool askLocal = false;       ///< BookOptions::confirmLocal
  /// Paid (or any model with askLocal), and more than the threshold: ask before indexing.
  bool needsConfirmation() const { return (paid || (askLocal && model)) && paragraphs > threshold; }
  /// "412 new paragraphs to summarise with openai gpt-4o at ..., about 96,000 tokens".
  std::string describe(const std::string &model) const;
};

struct AdoptRequest {
  std::string genre, language;     ///< empty: keep or detect
  StoryMode mode = StoryMode::Novel;
};

struct AdoptOutcome {
  bool adopted = false;            ///< the state was built now (else the memory was refreshed)
  IndexReport index;
};

class Book {
public:
  /// Opens the book's state and memory (creates nothing until something is saved).
  /// Prefer engine::openBook (Backends.h), which builds the models.
  static Result<std::unique_ptr<Book>> open(BookLayout layout, std::shared_ptr<ChatModel> model,
                                            std::shared_ptr<Embedder> embedder, std::shared_ptr<Summarizer> summarizer,
                                            BookOptions options, bool paidModel);
  ~Book();

  const BookLayout &layout() const { return layout_; }
  const BookOptions &options() const { return options_; }

  // --- The text ---
  std::shared_ptr<const BookSnapshot> snapshot();
  void setOverlay(const std::filesystem::path &chapter, std::string text);
  void clearOverlay(const std::filesystem::path &chapter);
  void reloadFromDisk();

  // --- The story bible ---
  std::shared_ptr<const Bible> bible();
  void reloadBible();
  void setBibleOverlay(const std::filesystem::path &file, std::string text);
  void clearBibleOverlay(const std::filesystem::path &file);
  std::shared_ptr<const BibleContext> bibleAt(const BookSnapshot &snapshot, std::size_t chapter, std::size_t offset);
  std::shared_ptr<const BibleContext> bibleAtEnd();

  // --- State and memory ---
  StorySession &session() const { return *session_; }
  std::shared_ptr<StorySession> sessionPtr() const { return session_; }
  std::shared_ptr<RecordingChatModel> recordedModel() const { return session_->recordedModel(); }
  const LongTermMemory &memory() const;
  /// Saves the memory's caches that changed (LongTermMemory::flush()); the destructor does too.
  Status flushMemory();
  bool isStory() const;
  /// The model is on a non-loopback server (engine::isPaidBackend): its calls cost money.
  bool paid() const { return paid_; }
  SummaryEstimate estimateSummaries(const BookSnapshot &snapshot) const;
  Result<IndexReport> refreshMemory(const BookSnapshot &snapshot, const CancelToken &cancel,
                                    const MemoryIndexer::ProgressFn &progress = {});
  Result<AdoptOutcome> adoptOrRefresh(const BookSnapshot &snapshot, const AdoptRequest &request,
                                      const CancelToken &cancel, const MemoryIndexer::ProgressFn &progress = {});
  std::string chapterSummary(const BookSnapshot &snapshot, std::size_t chapter);
  /// Summaries of up to kPreviouslyChapters chapters before `chapter`, oldest first.
  std::vector<ContextParagraph> previouslyBefore(const BookSnapshot &snapshot, std::size_t chapter);
  StorySession::StepRequest stepRequest(const BookSnapshot &snapshot, std::size_t chapter,
                                        std::optional<std::size_t> offset, std::string plan);
  static constexpr std::size_t kPreviouslyChapters = 6;

private:
  Book(BookLayout layout, std::shared_ptr<StorySession> session, BookOptions options, bool paid);

  BookLayout layout_;
  std::shared_ptr<StorySession> session_;
  BookOptions options_;
  bool paid_ = false;

  BookText text_;
  mutable std::mutex mutex_; ///< guards summaryCache_ and the bible caches below
  std::map<std::uint64_t, std::string> summaryCache_; ///< chapter text hash -> its summary
  std::shared_ptr<const Bible> namesBible_;          ///< the bible bibleNames_ was compiled from
  std::shared_ptr<const MentionIndex> bibleNames_;
  std::shared_ptr<const BookFacts> facts_;            ///< factsBible_'s facts in snapshot factsVersion_
  std::shared_ptr<const Bible> factsBible_;
  std::uint64_t factsVersion_ = 0;
};

} // namespace recurrent::engine
