// The memory's upkeep: each open story's memory follows its text, a moment after the last edit;
// a story without its state is adopted first; a paid model's many new summaries wait for the writer's yes.
#include "server/Services.h"

#include "protocol/Uri.h"
#include "server/LspServer.h"
#include "server/Progress.h"
#include "server/StateWritable.h"
#include "server/SummaryCost.h"

#include <spdlog/spdlog.h>

#include <atomic>

namespace recurrent::server {

using protocol::json;

void Services::scheduleIndex(const std::string &uri, std::chrono::milliseconds delay) {
  OpenBook *st = workspace.bookOf(uri);
  if (!st || stopping)
    return;
  // A document just opened: its recurrent.autoAdopt and model come with its settings.
  st->jobs.scheduleIndex(delay, [this, uri] {
    server.whenSettingsKnown([this, uri] { workspace.whenOpen(uri, [this, uri] { runIndex(uri); }); });
  });
}

void Services::runIndex(const std::string &uri) {
  OpenBook *st = workspace.bookOf(uri);
  const Document *doc = server.documents().find(uri);
  if (!st || !doc || stopping)
    return;
  if (!st->jobs.mayIndex())
    return; // owed: it runs when the job, the index or the question ends
  auto path = protocol::uriToPath(uri);
  if (!path)
    return; // a scratch or untitled buffer: no memory to keep, and nothing the writer asked for
  if (!st->story) {
    // Opt-in: a file becomes a story on the writer's word, or on open with recurrent.autoAdopt.
    if (!server.settingsFor(uri).autoAdopt.value_or(false) || insideStateFolder(*path)) {
      sendStatus(uri, "idle", "not a story yet: Adopt it to make it one");
      return;
    }
    st->story = true;
    workspace.whenOpen(uri, [this, uri] { runIndex(uri); }); // its memory is read first
    return;
  }
  auto session = workspace.writableSession(uri);
  if (!session) {
    if (st->readOnly)
      return; // said once by claimWriter; hover and search use the memory as loaded
    if (st->sessionError != session.error().message) {
      st->sessionError = session.error().message;
      showError("cannot use this document's story memory", session.error());
    }
    return;
  }
  if (auto writable = checkStateWritable((*session)->paths().dir); !writable) {
    if (st->sessionError != writable.error().message) { // said once, not at every edit
      st->sessionError = writable.error().message;
      showError("cannot keep this manuscript's memory", writable.error());
    }
    return;
  }
  auto bookSnapshot = workspace.snapshot(*st);
  auto snapshot = bookSnapshot->manuscriptPtr();
  // The first index of a session can take a while (a long book, or a model writing summaries):
  // show it, cancellable. Later ones follow small edits and stay quiet.
  std::shared_ptr<Progress> progress;
  if (!st->indexedOnce)
    progress = Progress::begin(server, "Recurrent: reading the manuscript", true);
  std::vector<CancelToken> parents;
  if (progress)
    parents.push_back(progress->token());
  auto token = st->jobs.startIndex(std::move(parents));
  sendStatus(uri, "indexing");
  auto lastPercent = std::make_shared<std::atomic<int>>(-1);
  engine::ProgressFn onProgress = [this, progress, lastPercent](std::string_view stage, std::size_t done,
                                                                std::size_t total) {
    if (!progress || total == 0)
      return;
    int percent = static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    if (lastPercent->exchange(percent) == percent)
      return;
    std::string message = std::string(stage) + " " + std::to_string(done) + "/" + std::to_string(total);
    server.post(
        [progress, message, percent] { progress->report(message, static_cast<std::uint32_t>(percent)); });
  };
  // A story without its state yet (adopted with autoAdopt, or an adoption stopped midway) is
  // adopted (summaries, a synopsis, a short-term memory and three plans), so its plans are ready
  // when the writer asks. With a paid model, many new paragraphs at once wait for the writer's yes.
  std::string language = server.settingsFor(uri).language.value_or("");
  std::size_t askAbove = costQuestionThreshold(uri, **session);
  if (st->summariesApproved)
    askAbove = 0;
  st->summariesApproved = false;
  struct Outcome {
    Status status = okStatus();
    std::optional<SummaryEstimate> ask; ///< nothing was sent: the writer must agree first
  };
  background<Outcome>(
      [session = *session, book = st->book, bookSnapshot, snapshot, token, onProgress, language,
       askAbove]() -> Outcome {
        if (askAbove > 0) {
          SummaryEstimate estimate = book->estimateSummaries(*bookSnapshot);
          if (estimate.paragraphs > askAbove)
            return {okStatus(), estimate};
        }
        if (!session->state().initialised() && !snapshot->paragraphs().empty())
          return {session->adopt(*snapshot, "", language, engine::StoryMode::Novel, token, onProgress), {}};
        return {session->refreshMemory(*snapshot, token, onProgress), {}};
      },
      [this, uri, progress, session = *session](Outcome outcome) {
        Status status = outcome.status;
        if (progress)
          progress->end(outcome.ask ? "waiting for your answer" : status ? "memory ready" : "stopped");
        OpenBook *st = workspace.bookOf(uri);
        if (!st)
          return;
        st->jobs.finishIndex();
        if (outcome.ask) {
          sendStatus(uri, "idle");
          askBeforeSummarising(uri, *session, *outcome.ask, [this, uri](bool yes) {
            OpenBook *st = workspace.bookOf(uri);
            if (!st)
              return;
            st->summariesApproved = yes;
            st->summariesDeclined = !yes;
            if (yes)
              scheduleIndex(uri, std::chrono::milliseconds(0));
          });
          return;
        }
        if (status) {
          st->indexedOnce = true;
        } else if (status.error().kind != ErrorKind::Cancelled) {
          showError("could not update the story's memory", status.error());
        }
        sendStatus(uri, "idle");
        if (st->jobs.takeOwedIndex())
          scheduleIndex(uri);
      });
}

std::size_t Services::costQuestionThreshold(const std::string &uri, const engine::StorySession &session) const {
  if (session.offline())
    return 0; // extractive summaries cost nothing
  const OpenBook *st = workspace.bookOf(uri);
  // A model on this machine costs nothing but time: asked about only with recurrent.confirmLocal, as the
  // CLI's --confirm-local.
  if (!st || !st->book || (!st->book->paid() && !server.settingsFor(uri).confirmLocal.value_or(false)))
    return 0;
  int above = server.settingsFor(uri).confirmSummariesAbove.value_or(static_cast<int>(engine::kDefaultConfirmAbove));
  return above > 0 ? static_cast<std::size_t>(above) : 0;
}

void Services::askBeforeSummarising(const std::string &uri, const engine::StorySession &session,
                                    const SummaryEstimate &estimate, std::function<void(bool)> answer) {
  OpenBook *st = workspace.bookOf(uri);
  if (!st)
    return;
  if (st->summariesDeclined) { // asked once already: the next question is an explicit Adopt
    answer(false);
    return;
  }
  st->jobs.setAsking(true);
  auto path = protocol::uriToPath(uri);
  std::string file = path ? path->filename().string() : uri;
  askToSummarise(server, file, session.modelDescription(), estimate,
                 [this, uri, estimate, answer = std::move(answer)](bool yes) {
                   if (OpenBook *st = workspace.bookOf(uri))
                     st->jobs.setAsking(false);
                   if (!yes)
                     server.notify("window/showMessage",
                                    json(protocol::ShowMessageParams{
                                        protocol::MessageType::Info,
                                        "recurrent: nothing was sent to the model; the " +
                                            std::to_string(estimate.paragraphs) +
                                            " new paragraphs stay without memory until you run Recurrent: Adopt"}));
                   answer(yes);
                 });
}

} // namespace recurrent::server
