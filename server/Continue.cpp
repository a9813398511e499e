#include "server/Continue.h"

#include "engine/manuscript/Wrapping.h"
#include "protocol/LspEditing.h"
#include "protocol/Results.h"
#include "server/ContinuityCheck.h"
#include "server/EditStream.h"
#include "server/LspServer.h"
#include "server/Progress.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace recurrent::server {

using protocol::json;

namespace {

constexpr const char *kUpdatingMemory = "updating memory and plans"; // a step's status once its paragraph is whole

/// Where a continuation asked for at `cursor` goes: after the paragraph the cursor is in (any
/// column), else after the paragraph before it.
std::size_t continuationPoint(const engine::Manuscript &m, std::size_t cursor) {
  cursor = std::min(cursor, m.text().size());
  if (auto inside = m.paragraphAtLine(m.lineOf(cursor)))
    return m.paragraphs()[*inside].end;
  return cursor;
}

} // namespace

ContinueFeature::Placement ContinueFeature::placeAfter(const engine::Manuscript &m, std::size_t cursor) {
  Placement p;
  auto before = m.paragraphBefore(std::min(cursor, m.text().size()));
  if (!before) {
    // Nothing written before the cursor: the paragraph opens the prose (after any heading).
    p.offset = std::min(cursor, m.text().size());
    std::string_view rest = std::string_view(m.text()).substr(p.offset);
    if (!isBlank(rest))
      p.suffix = "\n\n";
    if (p.offset > 0 && m.text()[p.offset - 1] != '\n')
      p.prefix = "\n\n";
    else if (p.offset > 0 && (p.offset < 2 || m.text()[p.offset - 2] != '\n'))
      p.prefix = "\n";
    return p;
  }
  p.offset = m.paragraphs()[*before].end;
  p.prefix = "\n\n";
  return p;
}

void ContinueFeature::run(const protocol::ContinueArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  if (!s_.server.clientCapabilities().applyEdit) {
    reply.error(requestFailed("this editor cannot apply edits from the server (workspace/applyEdit)"));
    return;
  }
  auto session = s_.sessionOrReply(uri, "cannot continue", reply);
  if (!session)
    return;
  const engine::Manuscript &m = s_.server.documents().find(uri)->manuscript;
  const auto encoding = s_.server.positionEncoding();
  std::size_t cursor = m.text().size();
  std::optional<std::uint32_t> cursorLine;
  if (args.position) {
    cursor = continuationPoint(m, toOffset(m, *args.position, encoding));
    cursorLine = args.position->line;
  }
  // The plan: free text wins, then planIndex, then the plan comment at the cursor, else plan 1.
  std::string plan = args.plan;
  if (plan.empty()) {
    if (args.planIndex) {
      auto plans = session->state().plans;
      if (*args.planIndex < 0 || static_cast<std::size_t>(*args.planIndex) >= plans.size()) {
        reply.error(invalidParams("invalid params: arguments[0].planIndex: there are " +
                                  std::to_string(plans.size()) + " plans"));
        return;
      }
      plan = plans[static_cast<std::size_t>(*args.planIndex)];
    } else if (cursorLine) {
      plan = planCommentAt(m, *cursorLine).value_or("");
    }
  }

  st->offer.reset();
  auto book = s_.workspace.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *book);
  if (!chapter) {
    reply.error(chapter.error());
    return;
  }
  auto snapshot = book->manuscriptPtr();
  Placement place = placeAfter(m, cursor);
  // The cursor and the plan as the book sees them (the chapters before this one lead up to it).
  engine::StorySession::StepRequest request = st->book->stepRequest(*book, *chapter, cursor, plan);
  const std::size_t insertAt = book->bookOffset(*chapter, place.offset); // in the book's text
  Services::Job job = s_.beginJob(*st, uri, "Recurrent: writing the next paragraph", reply.token());
  auto progress = job.progress;
  auto cancel = job.cancel;
  bool streaming = s_.server.settingsFor(uri).streaming.value_or(true);
  auto stream = EditStream::create(s_.server, uri, toPosition(m, place.offset, encoding), encoding,
                                   "Recurrent: continue");
  auto streamedAny = std::make_shared<bool>(false);
  // A hard-wrapped manuscript gets its paragraph wrapped at the same column, as it streams.
  const std::optional<std::size_t> wrapAt = engine::hardWrapWidth(*snapshot);
  auto wrapper = std::make_shared<std::optional<engine::StreamWrapper>>();
  if (wrapAt)
    wrapper->emplace(*wrapAt);

  engine::StreamCallbacks callbacks;
  if (streaming) {
    callbacks.onText = [this, stream, place, streamedAny, wrapper, cancel](std::string_view delta) {
      std::string piece(delta);
      s_.server.post([stream, place, piece, streamedAny, wrapper, cancel] {
        if (cancel->cancelled())
          return;
        if (!*streamedAny) {
          *streamedAny = true;
          stream->append(place.prefix);
        }
        stream->append(*wrapper ? (*wrapper)->feed(piece) : piece);
      });
    };
    // The paragraph is whole, the model still writes the memory and the plans: say so, or the
    // writer sees "writing" over a paragraph that no longer grows.
    callbacks.onTextDone = [this, uri, progress, cancel] {
      s_.server.post([this, uri, progress, cancel] {
        if (cancel->cancelled())
          return;
        progress->report(kUpdatingMemory);
        s_.sendStatus(uri, "updating", kUpdatingMemory);
      });
    };
  }
  callbacks.onRetry = [this, uri, stream, streamedAny, wrapper, wrapAt, progress](const engine::RetryNotice &notice) {
    std::string message = notice.reason.message + "; retrying in " +
                          std::to_string(static_cast<int>(std::ceil(notice.delaySeconds))) + " s (attempt " +
                          std::to_string(notice.attempt + 1) + " of " + std::to_string(notice.maxAttempts) +
                          ")";
    s_.server.post([this, uri, stream, streamedAny, wrapper, wrapAt, progress, message] {
      if (*streamedAny)
        s_.sendStatus(uri, "writing"); // the paragraph streams again
      *streamedAny = false;
      stream->restart();
      if (wrapAt)
        wrapper->emplace(*wrapAt);
      progress->report(message); // in the progress, not as a message per retry
      spdlog::warn("{}", message);
    });
  };

  std::string language = s_.server.settingsFor(uri).language.value_or("");
  s_.background<Result<engine::PendingStep>>(
      [session, snapshot, request, cancel, callbacks, language]() -> Result<engine::PendingStep> {
        if (auto ready = ensureAdopted(*session, *snapshot, language, cancel->token()); !ready)
          return ready.error();
        return session->prepareStep(*snapshot, request, cancel->token(), callbacks);
      },
      [this, uri, session, snapshot, place, insertAt, wrapAt, stream, progress, cancel,
       reply](Result<engine::PendingStep> pending) mutable {
        if (!pending || cancel->cancelled()) {
          Error error = pending ? Error::cancelled() : pending.error();
          if (cancel->cancelled())
            error = Error::cancelled();
          stream->abort([this, uri, progress, reply, error](bool, std::string, std::string) mutable {
            progress->end(error.kind == ErrorKind::Cancelled ? "cancelled" : "failed");
            s_.showError("the paragraph could not be written", error);
            reply.error(error);
            s_.endJob(uri);
          });
          return;
        }
        if (wrapAt) // what the stream showed, and what the step commits
          pending->paragraph = engine::wrapText(pending->paragraph, *wrapAt);
        std::string text = place.prefix + pending->paragraph + place.suffix;
        stream->finish(text, [this, uri, session, snapshot, insertAt, progress, reply,
                              step = std::move(*pending)](bool applied, std::string reason,
                                                          std::string inserted) mutable {
          if (!applied) {
            progress->end("not applied");
            Error error{ErrorKind::Internal, reason};
            s_.showError("the paragraph was not inserted", error);
            reply.error(requestFailed(reason));
            s_.endJob(uri);
            return;
          }
          if (!s_.server.documents().find(uri)) {
            // Closed while its last edit was answered: the editor may never save that text.
            progress->end("closed");
            reply.error(requestFailed("the document was closed, so the step was not recorded"));
            return;
          }
          // The book as the editor now holds it: our snapshot plus exactly what it applied (its
          // didChange may still be on the way).
          auto after = std::make_shared<engine::Manuscript>(*snapshot);
          after->replace(insertAt, insertAt, inserted);
          progress->report("saving the story's memory");
          s_.background<Result<engine::StepCommit>>(
              [session, step, after] {
                return session->commitStep(step, step.paragraph, *after, CancelToken{});
              },
              [this, uri, progress, reply, paragraph = step.paragraph, insertAt,
               inserted](Result<engine::StepCommit> commit) mutable {
                progress->end(commit ? "paragraph written: step " + std::to_string(commit->step) + ", " +
                                           std::to_string(commit->words) + " words"
                                     : "failed");
                if (!commit) {
                  s_.showError("the paragraph is in the document but the story's memory was not updated",
                            commit.error());
                  reply.error(commit.error());
                } else {
                  s_.stepWatch.committed(uri, commit->step, paragraph);
                  reply(protocol::ContinueResult{commit->step, commit->words});
                }
                s_.endJob(uri);
                if (commit)
                  check_.afterStep(uri, insertAt, inserted);
              });
        });
      });
}
} // namespace recurrent::server
