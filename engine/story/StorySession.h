// The recurrence for one manuscript: the LSP-free facade the CLI and the language server use.
//
// A session owns a manuscript's story state (StateStore), its long-term memory and
// indexer, and a RecordingChatModel around the configured model. It never owns the
// manuscript's text: callers pass the current Manuscript (the editor's buffer, or the
// file `recurrent write` keeps), and a step is two-phase so that memory follows only
// text that really reached the manuscript:
//   prepareStep()  -> a PendingStep (paragraph, rationale, new short-term memory,
//                     summary, three plans); nothing is written;
//   commitStep()   -> with the text the editor actually applied and the manuscript
//                     after it: snapshot for undo, new state saved, memory indexed.
// The Markdown state files are re-read before every step, so a writer's edit of the
// short-term memory or the plans is what the next step uses. For `recurrent write`,
// recordJournal() + reconcile() make a crash between the manuscript write and the
// state write recoverable (see StepJournal).
//
// Thread-safety: one operation at a time per session (init, adopt, prepare, commit,
// undo, suggest, select, reconcile are serialised by an internal mutex; a second
// caller waits, so the server should refuse a second continuation itself with busy()).
// state(), lastCall(), totals() and busy() may be called from any thread at any time.
// Callbacks (onDelta, progress) run on the calling thread.
#pragma once

#include "engine/StatePaths.h"
#include "engine/bible/BiblePrompt.h"
#include "engine/llm/ChatModel.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/Embedder.h"
#include "engine/memory/MemoryIndexer.h"
#include "engine/memory/Summarizer.h"
#include "engine/story/CallLog.h"
#include "engine/story/Prompts.h"
#include "engine/story/StoryState.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace recurrent::engine {

class LongTermMemory;
class MemoryIndexer;

struct SessionOptions {
  PromptOptions prompt;
  std::size_t topK = 3;                  ///< long-term memories retrieved per step
  int recentParagraphs = 3;              ///< paragraphs before the cursor put in the prompt
  double newCharacterProbability = 0.1;  ///< the paper's chance of inviting a new character
  /// A message the writer must see once (an `always` bible entry cut from a prompt). Called on the thread
  /// of the operation, at most once per distinct message in the session's life. May be empty.
  std::function<void(const std::string &message)> onWarning;
  /// False: calls are recorded in memory only, not in calls.jsonl (a book that is not a story gets no
  /// state folder from a one-off model check).
  bool logCalls = true;
};

/// A step written by the model and not yet applied.
struct PendingStep {
  long step = 0;                 ///< the step number it becomes when committed
  std::string plan;
  std::string paragraph, rationale, shortTermMemory, summary;
  std::vector<std::string> plans;
  std::size_t insertAt = 0;      ///< byte offset where the paragraph belongs (after the cursor's paragraph)
  bool newCharacterInvited = false;
  std::string model;             ///< who wrote it
  bool offline = false;
  BudgetReport budget;
};

struct StepCommit {
  long step = 0;
  std::size_t words = 0;         ///< of the applied text
};

/// A new story's opening, not yet in the manuscript.
struct PendingInit {
  InitAnswer answer;
  std::string markdown;          ///< "# Title\n\n" + the opening paragraphs
  std::string model;
  bool offline = false;
};

struct SelectedPlan {
  int index = 0;
  std::string plan;
  std::string reason;
};

enum class SelectMode { Llm, Random, First };

struct ReconcileReport {
  bool journalCompleted = false; ///< a step found in the manuscript but not the state was finished
  bool journalDropped = false;   ///< a step never written to the manuscript was dropped
  bool manuscriptChanged = false;///< the manuscript differs from what the state recorded (edited by hand)
  std::string message;           ///< one line for the user, empty when nothing happened
};

using ProgressFn = std::function<void(std::string_view stage, std::size_t done, std::size_t total)>;
/// Streaming: the new text as it arrives (for a step, the paragraph's text only, decoded
/// from the JSON answer), and retries (after one, the streamed text starts over).
struct StreamCallbacks {
  std::function<void(std::string_view delta)> onText;
  /// The streamed text is whole while the model goes on with the rest of its answer (a step's
  /// memory and plans); called at most once per attempt.
  std::function<void()> onTextDone;
  std::function<void(const RetryNotice &)> onRetry;
};

class StorySession {
public:
  /// `summarizer` writes the long-term-memory summaries when indexing (ExtractiveSummarizer
  /// offline); null means an LlmSummarizer over `model`, its calls logged like the others. Loads the state leniently; notes()
  /// says what had to be repaired.
  static Result<std::unique_ptr<StorySession>> open(const std::filesystem::path &manuscript,
                                                    std::shared_ptr<ChatModel> model,
                                                    std::shared_ptr<Embedder> embedder,
                                                    std::shared_ptr<Summarizer> summarizer, SessionOptions options);
  /// The same, on the state at `paths` (a folder book's BOOK/.recurrent/book/).
  static Result<std::unique_ptr<StorySession>> openAt(const StatePaths &paths, std::shared_ptr<ChatModel> model,
                                                      std::shared_ptr<Embedder> embedder,
                                                      std::shared_ptr<Summarizer> summarizer, SessionOptions options);
  ~StorySession();

  const StatePaths &paths() const { return paths_; }
  /// A copy of the state as last loaded or saved.
  StoryState state() const;
  std::vector<std::string> notes() const;
  bool busy() const;
  std::size_t memoryEntries() const;
  /// The long-term memory (internally synchronised): hover summaries, workspace search.
  const LongTermMemory &memory() const { return *memory_; }
  /// LongTermMemory::flush(): not while an update runs.
  Status flushMemory();

  /// Re-reads the state files (a writer's edits). prepareStep() does this itself.
  Status reload();

  // --- New story ---
  Result<PendingInit> prepareInit(const InitInput &input, const CancelToken &cancel, const StreamCallbacks &stream = {});
  /// Records the opening as the state once `manuscript` holds it, and indexes it.
  Status commitInit(const PendingInit &init, const InitInput &input, const Manuscript &manuscript,
                    const CancelToken &cancel);

  /// Builds the state from an existing manuscript: summaries of every paragraph (resumable:
  /// the memory is saved per batch), then a synopsis, a short-term memory and three plans.
  Status adopt(const Manuscript &manuscript, const std::string &genre, const std::string &language,
               StoryMode mode, const CancelToken &cancel, const ProgressFn &progress = {});

  // --- The step ---
  struct StepRequest {
    std::optional<std::size_t> cursor; ///< byte offset; the paragraph goes after the paragraph before it (end by default)
    std::string plan;                  ///< empty: the first current plan
    /// Summaries of the chapters before the cursor's (a folder book's; Book::stepRequest fills it).
    std::vector<ContextParagraph> previously;
    /// The story bible where the paragraph goes (Book::stepRequest fills it). Null with no cursor: the
    /// bible source's (the end of the book); null with a cursor: no bible.
    std::shared_ptr<const BibleContext> bible;
  };
  Result<PendingStep> prepareStep(const Manuscript &manuscript, const StepRequest &request, const CancelToken &cancel,
                                  const StreamCallbacks &stream = {});
  /// `applied` is the text that reached the manuscript (may differ from pending.paragraph
  /// if the writer or editor changed it; empty commits nothing); `after` is the manuscript
  /// holding it.
  Result<StepCommit> commitStep(const PendingStep &pending, std::string_view applied, const Manuscript &after,
                                const CancelToken &cancel);
  /// Restores the state before the last committed step. Returns the step count now.
  Result<long> undoStep();

  // --- Plans ---
  Result<std::vector<std::string>> suggestPlans(const Manuscript &manuscript, const CancelToken &cancel);
  Status setPlans(std::vector<std::string> plans);
  Status setShortTermMemory(std::string memory);
  /// A bible name was renamed in the manuscript: the story's own text follows (short-term memory, plans,
  /// memory summaries), so the old name cannot come back through a prompt. Returns the pieces changed.
  Result<std::size_t> renameInState(const std::string &oldName, const std::string &newName);
  /// The human simulator: picks one of the current plans (reloaded from plans.md).
  Result<SelectedPlan> selectPlan(SelectMode mode, const Manuscript &manuscript, const CancelToken &cancel);

  // --- Crash safety for `recurrent write` ---
  /// Writes the step into story.json as a journal before the manuscript is written.
  Status recordJournal(const PendingStep &pending, const ManuscriptMark &before, const ManuscriptMark &after);
  /// Compares the state with the manuscript on disk and finishes or drops a journalled
  /// step; also notices hand edits (the memory then catches up on the next index).
  Result<ReconcileReport> reconcile(const Manuscript &manuscript, const CancelToken &cancel);

  /// Brings the long-term memory up to date with `manuscript`.
  Status refreshMemory(const Manuscript &manuscript, const CancelToken &cancel, const ProgressFn &progress = {});
  /// The same, saying what it did (serialised with the other operations).
  Result<IndexReport> indexMemory(const Manuscript &manuscript, const CancelToken &cancel,
                                  const std::function<void(const IndexProgress &)> &progress = {});

  /// Where plans, select and a step at the end of the book find the story bible (the book sets it; it is
  /// called on the operation's thread, and clearing it waits for a call in progress). Empty: no bible.
  using BibleSource = std::function<std::shared_ptr<const BibleContext>()>;
  void setBibleSource(BibleSource source);

  // --- For the context viewer and summaries ---
  std::optional<CallRecord> lastCall() const;
  CallTotals totals() const;
  std::string modelDescription() const;
  bool offline() const;
  /// The model every call of this story goes through (calls.jsonl, lastCall(), totals()): a feature
  /// that calls a model (the continuity check) uses this one, never one of its own.
  std::shared_ptr<RecordingChatModel> recordedModel() const { return model_; }

private:
  /// The prompt options, with the context cut to the model server's own when it is smaller (learnt from
  /// its model list or an overflow): the next prompt fits instead of failing again.
  PromptOptions promptOptions() const;
  StorySession(StatePaths paths, std::shared_ptr<RecordingChatModel> model, std::shared_ptr<Summarizer> summarizer,
               std::unique_ptr<LongTermMemory> memory, SessionOptions options);
  Status reloadLocked();
  Status saveLocked(StoryState next);
  Status applyCommitLocked(long step, const std::string &plan, const std::string &applied, const std::string &summary,
                           const std::string &memory, const std::string &rationale,
                           const std::vector<std::string> &plans, const std::string &model, bool offline,
                           const Manuscript &after, const CancelToken &cancel);
  std::uint64_t stepSeed(long step, std::uint64_t salt) const;
  Result<ChatResult> call(const PreparedRequest &prepared, const CancelToken &cancel, const StreamCallbacks &stream,
                          const char *streamField);
  void addStatsLocked(StoryState &next);
  std::shared_ptr<const BibleContext> bibleAtEnd() const;
  /// The writer's one message when an `always` bible entry was cut from the prompt.
  void warnAboutCutEntries(const BudgetReport &report);

  StatePaths paths_;
  StateStore store_;
  std::shared_ptr<RecordingChatModel> model_;
  std::shared_ptr<Summarizer> summarizer_;
  std::unique_ptr<LongTermMemory> memory_;
  SessionOptions options_;

  mutable std::mutex operation_; ///< one operation at a time
  mutable std::mutex stateMutex_;///< guards state_ and notes_
  StoryState state_;
  std::vector<std::string> notes_;
  CallTotals savedTotals_; ///< totals already added to state_.stats
  std::set<std::string> warned_; ///< onWarning messages already given (guarded by stateMutex_)
  mutable std::mutex bibleMutex_; ///< guards bibleSource_, held while it runs
  BibleSource bibleSource_;
};

ManuscriptMark markOf(const Manuscript &manuscript);
const char *selectModeName(SelectMode mode);
std::optional<SelectMode> parseSelectMode(std::string_view text);

} // namespace recurrent::engine
