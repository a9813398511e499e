// Services: what the co-writing features share: the server, the open books (Workspace), the pool
// the model and the indexer run on, and the writing job's life (refuse a second one, progress,
// status, the index it pauses and owes, the step whose text the writer may undo).
//
// The features (Continue, GhostText, Plans, StoryCommands, ModelCheck, BibleExtraction, MemoryViews)
// each hold a Services& and only translate between LSP and the engine; CoWriter builds them and
// routes requests, commands and document events to them.
//
// Thread-safety: main strand only, except background()'s job, which runs on the pool and must touch
// only what it captured (snapshots, sessions, which are internally synchronised).
#pragma once

#include "engine/manuscript/Manuscript.h"
#include "engine/story/StorySession.h"
#include "protocol/Lsp.h"
#include "server/ReplyOnce.h"
#include "server/StepWatch.h"
#include "server/SummaryCost.h"
#include "server/Workspace.h"

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace recurrent::server {

class LspServer;
class Progress;

/// Only spaces, tabs and line ends.
bool isBlank(std::string_view text);
/// The plan comment on `line`, if the line belongs to one.
std::optional<std::string> planCommentAt(const engine::Manuscript &m, std::uint32_t line);
/// A manuscript opened moments ago may not be adopted yet (that runs in the background): writing in
/// it adopts it first, so the first Continue just works.
Status ensureAdopted(engine::StorySession &session, const engine::Manuscript &manuscript,
                     const std::string &language, const CancelToken &cancel);

class Services {
public:
  struct Options {
    std::chrono::milliseconds indexDebounce{600};
    std::size_t workers = 2;
    /// Where the API key and backend defaults come from (tests pass their own).
    engine::EnvLookup environment = engine::processEnvironment();
  };

  Services(LspServer &server, Options options);

  LspServer &server;
  const Options options;
  asio::thread_pool pool;
  Workspace workspace;
  StepWatch stepWatch;
  bool stopping = false;

  /// Runs `job` on the pool; `then` runs on the main strand with its result.
  template <typename T> void background(std::function<T()> job, std::function<void(T)> then) {
    asio::post(pool, [this, job = std::move(job), then = std::move(then)]() mutable {
      auto result = std::make_shared<T>(job());
      onMainStrand([then = std::move(then), result]() mutable { then(std::move(*result)); });
    });
  }
  void onMainStrand(std::function<void()> fn);

  // The book's one writing job (continue, new story, adopt, suggest plans, a check, an extraction).
  struct Job {
    std::shared_ptr<Progress> progress;
    std::shared_ptr<CancelSource> cancel; ///< cancelled by the request or the progress's button
  };
  /// The open document's book, or null after replying why not (not open, or already writing).
  OpenBook *idleDocument(const std::string &uri, ReplyOnce &reply);
  /// The document's session, or null after telling the writer that `what` failed and why.
  std::shared_ptr<engine::StorySession> sessionOrReply(const std::string &uri, const std::string &what,
                                                       ReplyOnce &reply);
  /// Marks the book busy, pauses its indexing and opens a cancellable progress.
  Job beginJob(OpenBook &book, const std::string &uri, const std::string &title, const CancelToken &request,
               const std::string &status = "writing");
  /// The book is idle again; indexing catches up with edits made meanwhile (or now, if `reindex`).
  void endJob(const std::string &uri, bool reindex = false);
  /// Asks the client to fetch the code lenses again (the plans hide while a job runs).
  void refreshCodeLenses();

  // The memory's upkeep (Indexing.cpp).
  void scheduleIndex(const std::string &uri, std::chrono::milliseconds delay);
  void scheduleIndex(const std::string &uri) { scheduleIndex(uri, options.indexDebounce); }
  /// Paragraphs above which summarising with this session's model asks first (0: never asks).
  std::size_t costQuestionThreshold(const std::string &uri, const engine::StorySession &session) const;
  /// Asks the writer about the cost (once; a declined question stays declined until Adopt).
  void askBeforeSummarising(const std::string &uri, const engine::StorySession &session,
                            const SummaryEstimate &estimate, std::function<void(bool)> answer);

  // A step whose text the writer removed (StepUndo.cpp).
  /// The last step's text left the manuscript: offer (or run, by setting) the state's undo.
  void stepTextVanished(const std::string &uri, long step);

  void sendStatus(const std::string &uri, const std::string &state, const std::string &message = {});
  /// One actionable message for the writer, and the same in the log.
  void showError(const std::string &what, const Error &error);
  void showMessage(protocol::MessageType type, std::string message);

private:
  void runIndex(const std::string &uri);
  /// Undoes `step` in the story's memory if its text is still missing and it is still the last.
  void undoVanishedStep(const std::string &uri, long step);
};

} // namespace recurrent::server
