// CoWriter: co-writing in the editor. Keeps each open story's book (one memory, one state) current,
// and turns plans, continuations, ghost text and memory queries into engine calls.
//
// The open books are the Workspace's (Workspace.h): a document's book, its session and writer
// lock; each book's BookScheduler runs one writing job at a time, the debounced index and the
// ghost text; a job reads a BookSnapshot with every open chapter's text in it.
//
// The surface is docs/LSP.md: commands (`recurrent.continue`, `recurrent.newStory`, ...), code
// actions, code lenses, inline completion, workspace symbols, `recurrent/storyState`,
// `recurrent/lastPrompt` and `recurrent/status`. The model and the indexer run on a small pool;
// handlers answer from the main strand without waiting for them. A continuation reaches the
// document through `workspace/applyEdit` (EditStream) and is committed to the story only for the
// text the editor applied. One writing operation per book at a time; a second is refused.
//
// Thread-safety: everything runs on the server's main strand, except the pool jobs, which touch
// only their own copies and the (internally synchronised) StorySession, and post results back.
#pragma once

#include "engine/book/Book.h"
#include "engine/continuity/ModelCheck.h"
#include "engine/llm/BackendConfig.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/story/StorySession.h"
#include "protocol/LspEditing.h"
#include "server/HandlerTable.h"
#include "server/Settings.h"
#include "server/StepWatch.h"
#include "server/Workspace.h"

#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace recurrent::server {

class LspServer;
class Progress;
class EditStream;
struct SummaryEstimate;

/// `{uri}`: the params of recurrent/storyState and recurrent/lastPrompt.
struct UriParams {
  std::string uri;
};
bool fromJson(const protocol::json &v, UriParams &out, const std::string &path, protocol::ParseIssue &issue);

/// workspace/didChangeWatchedFiles: the URIs of the files created, changed or deleted.
struct WatchedFilesParams {
  std::vector<std::string> uris;
};
bool fromJson(const protocol::json &v, WatchedFilesParams &out, const std::string &path,
              protocol::ParseIssue &issue);

class CoWriter {
public:
  struct Options {
    std::chrono::milliseconds indexDebounce{600};
    std::size_t workers = 2;
    /// Where the API key and backend defaults come from (tests pass their own).
    engine::EnvLookup environment = engine::processEnvironment();
  };

  CoWriter(LspServer &server, Options options);
  ~CoWriter();
  CoWriter(const CoWriter &) = delete;
  CoWriter &operator=(const CoWriter &) = delete;

  /// Registers the co-writing methods in the server's table.
  void bind(HandlerTable &table);
  /// Capabilities to merge into the initialize result.
  protocol::json capabilities() const;

  // Document events, from the server (main strand).
  void documentOpened(const std::string &uri);
  void documentChanged(const std::string &uri);
  void documentClosed(const std::string &uri);
  /// A chapter was saved: with checkOnSave, the model checks its paragraphs quietly (the cache skips
  /// those already checked as they are).
  void documentSaved(const std::string &uri);
  void settingsChanged();
  /// Called by HandlerTable when a notification's params do not parse.
  void reportBadNotification(const std::string &method, const protocol::ParseIssue &issue);

  /// The editor applied a bible rename in `book`: the story's short-term memory, plans and summaries follow.
  void nameRenamed(const engine::BookLayout &book, const std::string &oldName, const std::string &newName);
  /// The long-term memory summary of a paragraph (for hover), if indexed.
  std::optional<std::string> summaryFor(const std::string &uri, std::size_t paragraph) const;
  /// Stops pool work (cancels running jobs) before the server exits.
  void shutdown();

private:

  // Handlers.
  void onExecuteCommand(const protocol::ExecuteCommandParams &params, ReplyOnce reply);
  void onCodeAction(const protocol::CodeActionParams &params, ReplyOnce reply);
  void onCodeLens(const protocol::CodeLensParams &params, ReplyOnce reply);
  void onInlineCompletion(const protocol::InlineCompletionParams &params, ReplyOnce reply);
  void onWorkspaceSymbol(const protocol::WorkspaceSymbolParams &params, ReplyOnce reply);
  void onStoryState(const UriParams &params, ReplyOnce reply);
  void onLastPrompt(const UriParams &params, ReplyOnce reply);

  // Commands.
  void runContinue(const protocol::json &args, ReplyOnce reply);
  void runNewStory(const protocol::json &args, ReplyOnce reply);
  void runAdopt(const protocol::json &args, ReplyOnce reply);
  void runSuggestPlans(const protocol::json &args, ReplyOnce reply);
  void runUndoStep(const protocol::json &args, ReplyOnce reply);
  void runAcceptInline(const protocol::json &args, ReplyOnce reply);
  void runSetPlans(const protocol::json &args, ReplyOnce reply);
  void runSetShortTermMemory(const protocol::json &args, ReplyOnce reply);
  void runMakeBook(const protocol::json &args, ReplyOnce reply);
  void runNewChapter(const protocol::json &args, ReplyOnce reply);
  /// recurrent.check {uri, scope?: "paragraph"|"selection"|"chapter"|"book", position?, range?}: the model's
  /// continuity check; with the offline stand-in, scope "book" shows the offline checks of every chapter.
  void runCheck(const protocol::json &args, ReplyOnce reply);
  /// The model's check of a new paragraph (`inserted` at byte `at` of the chapter), after its step: no reply.
  /// Waits for the next didChange when the editor's text does not have it yet.
  void checkNewParagraph(const std::string &uri, std::size_t at, const std::string &inserted);
  /// The model check's options for the document's settings (its context window).
  engine::continuity::ModelCheckOptions checkOptionsFor(const std::string &uri) const;
  /// Starts a model check of `paragraphs` (book-wide indices) as the book's one job; `reply` may be empty.
  /// After a `wholeBook` check the closed chapters' findings are published too.
  void startCheck(OpenBook &book, const std::string &uri, std::shared_ptr<const engine::BookSnapshot> snapshot,
                  std::vector<std::size_t> paragraphs, std::optional<ReplyOnce> reply, bool wholeBook = false);
  /// recurrent.extractBibleEntries {uri}: with a model, one call for the chapter's characters, places and things
  /// (engine/bible/ExtractPrompt), as the book's one job; offline, or not a story yet, BibleFeatures' names.
  void runExtractEntries(const protocol::json &args, ReplyOnce reply);
  void onBookOutline(const UriParams &params, ReplyOnce reply);
  void onWatchedFilesChanged(const WatchedFilesParams &params);

  // Memory upkeep.
  /// nameRenamed for a story with none of its chapters open: its state is opened for the rename alone.
  void renameInClosedBook(const engine::BookLayout &book, const std::string &oldName, const std::string &newName);
  /// Paragraphs above which summarising with this session's model asks first (0: never asks).
  std::size_t costQuestionThreshold(const std::string &uri, const engine::StorySession &session) const;
  /// Asks the writer about the cost (once; a declined question stays declined until Adopt).
  void askBeforeSummarising(const std::string &uri, const engine::StorySession &session,
                            const SummaryEstimate &estimate, std::function<void(bool)> answer);
  void startAdopt(const std::string &uri, const protocol::json &args, std::shared_ptr<const engine::Manuscript> snapshot,
                  ReplyOnce reply);
  void scheduleIndex(const std::string &uri, std::chrono::milliseconds delay);
  void runIndex(const std::string &uri);

  /// Runs `job` on the pool; `then` runs on the main strand with its result.
  template <typename T> void background(std::function<T()> job, std::function<void(T)> then);

  // Writing jobs (continue, new story, adopt, suggest plans): one per document at a time.
  struct Job {
    std::shared_ptr<Progress> progress;
    std::shared_ptr<CancelSource> cancel; ///< cancelled by the request or the progress's button
  };
  /// The open document's book, or null after replying why not (not open, or already writing).
  OpenBook *idleDocument(const std::string &uri, ReplyOnce &reply);
  /// The document's session, or null after telling the writer that `what` failed and why.
  std::shared_ptr<engine::StorySession> sessionOrReply(const std::string &uri, const std::string &what,
                                                       ReplyOnce &reply);
  /// Marks the document busy, pauses its indexing and opens a cancellable progress.
  Job beginJob(OpenBook &book, const std::string &uri, const std::string &title, const CancelToken &request,
               const std::string &status = "writing");
  /// The document is idle again; indexing catches up with edits made meanwhile (or now, if `reindex`).
  void endJob(const std::string &uri, bool reindex = false);
  /// Asks the client to fetch the code lenses again (the plans hide while a job runs).
  void refreshCodeLenses();

  /// The last step's text left the manuscript: offer (or run, by setting) the state's undo.
  void stepTextVanished(const std::string &uri, long step);
  /// Undoes `step` in the story's memory if its text is still missing and it is still the last.
  void undoVanishedStep(const std::string &uri, long step);

  void sendStatus(const std::string &uri, const std::string &state, const std::string &message = {});
  /// One actionable message for the writer, and the same in the log.
  void showError(const std::string &what, const Error &error);
  /// Insert position (byte offset) and the text around the paragraph for a continuation at `cursor`.
  struct Placement {
    std::size_t offset = 0;
    std::string prefix, suffix;
  };
  static Placement placeAfter(const engine::Manuscript &m, std::size_t cursor);

  LspServer &server_;
  Options options_;
  asio::thread_pool pool_;
  Workspace workspace_;
  StepWatch stepWatch_;
  std::uint64_t nextInlineId_ = 1;
  bool stopping_ = false;
};

} // namespace recurrent::server
