#include "server/ContinuityCheck.h"

#include "protocol/Results.h"
#include "protocol/Uri.h"
#include "server/BibleFeatures.h"
#include "server/LspServer.h"
#include "server/Progress.h"
#include "server/SummaryCost.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace recurrent::server {

using protocol::json;

void ContinuityCheck::run(const protocol::CheckArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  auto session = s_.sessionOrReply(uri, "the continuity check", reply);
  if (!session)
    return;
  auto snapshot = s_.workspace.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *snapshot);
  if (!chapter) {
    reply.error(requestFailed(chapter.error().message));
    return;
  }
  const std::string &scope = args.scope;
  std::vector<std::size_t> paragraphs;
  if (scope == "book")
    paragraphs = engine::continuity::allParagraphs(*snapshot);
  else if (scope == "chapter")
    paragraphs = engine::continuity::chapterParagraphs(*snapshot, *chapter);
  else if (scope == "paragraph" && args.position) {
    std::size_t at = toOffset(s_.server.documents().find(uri)->manuscript, *args.position, s_.server.positionEncoding());
    paragraphs = engine::continuity::paragraphsIn(*snapshot, *chapter, at, at);
  } else if (scope == "selection" && args.range) {
    const protocol::Range &range = *args.range;
    const auto &text = s_.server.documents().find(uri)->manuscript;
    paragraphs = engine::continuity::paragraphsIn(*snapshot, *chapter,
                                                  toOffset(text, range.start, s_.server.positionEncoding()),
                                                  toOffset(text, range.end, s_.server.positionEncoding()));
  } else {
    reply.error(invalidParams("invalid params: arguments[0].scope: \"paragraph\" (with a position), \"selection\" "
                              "(with a range), \"chapter\" or \"book\""));
    return;
  }
  const bool wholeBook = scope == "book";
  // Many paragraphs with a paid model: the writer agrees to the cost first, as for adopting a book.
  std::size_t askAbove = s_.costQuestionThreshold(uri, *session);
  auto model = st->book->recordedModel();
  if (askAbove == 0 || paragraphs.size() <= askAbove || !engine::continuity::ModelChecker::usable(model.get())) {
    start(*st, uri, snapshot, std::move(paragraphs), std::move(reply), wholeBook);
    return;
  }
  st->jobs.hold(); // no other job while the estimate is made and the question is open
  auto checker = std::make_shared<engine::continuity::ModelChecker>(model, s_.server.bible().checkCache(uri),
                                                                     optionsFor(uri));
  auto book = std::make_shared<engine::continuity::CheckBook>(engine::continuity::checkBookOf(*st->book, snapshot));
  s_.background<engine::continuity::ModelCheckEstimate>(
      [checker, book, owner = st->book, paragraphs] { return checker->estimate(*book, paragraphs); },
      [this, uri, snapshot, paragraphs, reply, wholeBook, askAbove,
       model = session->modelDescription()](engine::continuity::ModelCheckEstimate estimate) mutable {
        OpenBook *st = s_.workspace.bookOf(uri);
        if (!st) {
          reply.error(requestFailed("the document was closed before its check began"));
          return;
        }
        if (estimate.paragraphs <= askAbove) {
          st->jobs.finishWriting();
          start(*st, uri, snapshot, std::move(paragraphs), std::move(reply), wholeBook);
          return;
        }
        auto path = protocol::uriToPath(uri);
        std::string question = "Recurrent: checking " + std::to_string(estimate.paragraphs) + " paragraphs of " +
                               (path ? path->filename().string() : uri) + (wholeBook ? "'s book" : "") + " with " +
                               model + " takes " + std::to_string(estimate.calls) + " calls, about " +
                               std::to_string(estimate.tokens) + " prompt tokens. Check them now?";
        askBeforeSpending(s_.server, question, kCheckAction,
                          [this, uri, snapshot, paragraphs, reply, wholeBook, estimate](bool yes) mutable {
                            OpenBook *st = s_.workspace.bookOf(uri);
                            if (!st) {
                              reply.error(requestFailed("the document was closed before its check began"));
                              return;
                            }
                            st->jobs.finishWriting();
                            if (!yes) {
                              reply.error(protocol::ResponseError{
                                  protocol::RequestCancelled,
                                  "not checked: the " + std::to_string(estimate.paragraphs) +
                                      " paragraphs were not sent to the model",
                                  std::nullopt});
                              return;
                            }
                            start(*st, uri, snapshot, std::move(paragraphs), std::move(reply), wholeBook);
                          });
      });
}

engine::continuity::ModelCheckOptions ContinuityCheck::optionsFor(const std::string &uri) const {
  engine::continuity::ModelCheckOptions options;
  if (auto tokens = s_.server.settingsFor(uri).contextTokens)
    options.contextTokens = std::max(1024, *tokens);
  return options;
}

void ContinuityCheck::afterStep(const std::string &uri, std::size_t at, const std::string &inserted) {
  OpenBook *st = s_.workspace.bookOf(uri);
  if (!st || !st->book || s_.stopping || st->jobs.checking() || !s_.server.settingsFor(uri).checkAfterStep.value_or(true))
    return;
  st->pendingCheck.reset();
  const Document *doc = s_.server.documents().find(uri);
  if (!doc)
    return;
  const std::string &text = doc->manuscript.text();
  if (at > text.size() || text.compare(at, inserted.size(), inserted) != 0) {
    // The editor applied the edit but has not sent its didChange yet (Neovim sends it after answering).
    st->pendingCheck = OpenBook::PendingCheck{at, inserted};
    return;
  }
  auto snapshot = s_.workspace.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *snapshot);
  if (!chapter)
    return;
  auto paragraphs = engine::continuity::paragraphsIn(*snapshot, *chapter, at, at + inserted.size());
  if (!paragraphs.empty())
    start(*st, uri, snapshot, std::move(paragraphs), std::nullopt);
}

void ContinuityCheck::saved(const std::string &uri) {
  OpenBook *st = s_.workspace.bookOf(uri);
  if (!st || !st->story || !st->book || s_.stopping || st->jobs.checking() || !s_.server.settingsFor(uri).checkOnSave.value_or(false))
    return;
  auto snapshot = s_.workspace.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *snapshot);
  if (!chapter)
    return;
  auto paragraphs = engine::continuity::chapterParagraphs(*snapshot, *chapter);
  if (!paragraphs.empty())
    start(*st, uri, snapshot, std::move(paragraphs), std::nullopt);
}

void ContinuityCheck::start(OpenBook &st, const std::string &uri, std::shared_ptr<const engine::BookSnapshot> snapshot,
                          std::vector<std::size_t> paragraphs, std::optional<ReplyOnce> reply, bool wholeBook) {
  // The book's recorded model: calls.jsonl, lastPrompt and the call counts see the check's calls too.
  std::shared_ptr<engine::RecordingChatModel> model = st.book->recordedModel();
  if (!engine::continuity::ModelChecker::usable(model.get())) {
    if (reply && wholeBook) { // the offline checks, of the closed chapters too
      std::size_t findings = s_.server.bible().findingsChanged(uri, true);
      protocol::CheckResult result;
      result.findings = findings;
      result.paragraphs = paragraphs.size();
      result.offline = true;
      (*reply)(result);
      return;
    }
    // After a step this is the usual case offline: the offline checks already run as the writer types.
    if (reply)
      reply->error(requestFailed("the offline stand-in cannot judge continuity: configure a model "
                                 "(recurrent.provider, recurrent.baseUrl) for the model's check; the offline "
                                 "checks (names, dead characters, point of view) already run as you write, and over every chapter "
                                 "when you check the whole book"));
    return;
  }
  auto checker = std::make_shared<engine::continuity::ModelChecker>(model, s_.server.bible().checkCache(uri),
                                                                     optionsFor(uri));
  auto book = std::make_shared<engine::continuity::CheckBook>(engine::continuity::checkBookOf(*st.book, snapshot));
  // The writer's request is the book's one job, with a cancellable progress; the check after a step runs
  // beside writing (a next Continue need not wait for it) and shows nothing until it has findings.
  std::shared_ptr<Progress> progress;
  std::shared_ptr<CancelSource> cancel;
  if (reply) {
    Services::Job job = s_.beginJob(st, uri, "Checking continuity", reply->token(), "checking");
    progress = job.progress;
    cancel = job.cancel;
    progress->report("0/" + std::to_string(paragraphs.size()) + " paragraphs");
  } else {
    cancel = st.jobs.startCheck();
  }
  const bool asJob = reply.has_value();
  auto shared = std::make_shared<std::optional<ReplyOnce>>(std::move(reply));
  s_.background<Result<engine::continuity::ModelCheckReport>>(
      // `owner` keeps the memory CheckBook points into alive, should the session be reopened meanwhile.
      [this, checker, book, owner = st.book, paragraphs = std::move(paragraphs), token = cancel->token(),
       progress]() mutable {
        return checker->check(*book, std::move(paragraphs), token, [this, progress](std::size_t done, std::size_t total) {
          if (!progress)
            return;
          // Progress belongs to the server's thread; the check runs on the pool.
          std::string message = std::to_string(done) + "/" + std::to_string(total) + " paragraphs";
          auto percent = static_cast<std::uint32_t>(total ? 100 * done / total : 100);
          s_.server.post([progress, message = std::move(message), percent] { progress->report(message, percent); });
        });
      },
      [this, uri, progress, shared, book, asJob, wholeBook](Result<engine::continuity::ModelCheckReport> report) mutable {
        if (asJob)
          s_.endJob(uri);
        else if (OpenBook *now = s_.workspace.bookOf(uri))
          now->jobs.finishCheck();
        if (!progress) { // after a step: quiet unless it found something or failed
          if (!report)
            spdlog::warn("the continuity check of the new paragraph failed: {}", report.error().message);
          else if (!report->findings.empty())
            s_.server.bible().findingsChanged(uri);
          return;
        }
        if (!report) {
          progress->end("failed");
          s_.showError("the continuity check", report.error());
          if (*shared)
            (*shared)->error(report.error());
          return;
        }
        progress->end(std::to_string(report->findings.size()) + " finding" +
                      (report->findings.size() == 1 ? "" : "s") + (report->cancelled ? " (cancelled)" : ""));
        s_.server.bible().findingsChanged(uri);
        if (*shared)
          (**shared)(protocol::CheckResult{report->findings.size(), report->paragraphs, report->fromCache,
                                           report->calls, report->dropped, report->cancelled, std::nullopt});
      });
}
} // namespace recurrent::server
