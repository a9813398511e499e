#include "server/GhostText.h"

#include "engine/manuscript/Wrapping.h"
#include "protocol/Results.h"
#include "server/LspServer.h"
#include "server/StateWritable.h"

namespace recurrent::server {

using protocol::json;

void GhostTextFeature::complete(const protocol::InlineCompletionParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  const Document *doc = s_.server.documents().find(uri);
  OpenBook *st = s_.workspace.bookOf(uri);
  json empty{{"items", json::array()}};
  if (!doc || !st || st->jobs.writing()) {
    reply(empty);
    return;
  }
  if (params.triggerKind == 2 && !s_.server.settingsFor(uri).automaticGhostText.value_or(false)) {
    reply(empty); // the editor asked on its own: no model call the writer did not ask for
    return;
  }
  const auto &m = doc->manuscript;
  const auto encoding = s_.server.positionEncoding();
  std::size_t offset = toOffset(m, params.position, encoding);
  std::uint32_t line = params.position.line;
  // Typing asks at the end of a paragraph or on a blank line after one; an explicit request
  // (triggerKind 1) anywhere in a paragraph continues after that paragraph.
  bool onBlankLine = isBlank(m.lineText(std::min(line, m.lineCount() - 1)));
  auto before = m.paragraphBefore(offset);
  bool atParagraphEnd =
      before && m.paragraphs()[*before].lastLine == line && offset >= m.paragraphs()[*before].end;
  auto inside = m.paragraphAtLine(line);
  if (params.triggerKind == 1 && inside && !atParagraphEnd) {
    before = inside;
    offset = m.paragraphs()[*inside].end;
    line = m.paragraphs()[*inside].lastLine;
    atParagraphEnd = true;
  }
  if (!before || (!onBlankLine && !atParagraphEnd)) {
    reply(empty);
    return;
  }
  // An accepted ghost text is a paragraph of its own, as a continuation is: a blank line before it
  // (after the paragraph, or below a line of text) and after it when text follows.
  auto lineBlank = [&](std::uint32_t l) { return l >= m.lineCount() || isBlank(m.lineText(l)); };
  std::string prefix = atParagraphEnd ? "\n\n" : (line > 0 && !lineBlank(line - 1) ? "\n" : "");
  std::string suffix = line + 1 < m.lineCount() && !lineBlank(line + 1) ? "\n" : "";
  protocol::Position insertAt = toPosition(m, offset, encoding);
  auto session = s_.workspace.writableSession(uri);
  if (!session) {
    reply(empty);
    return;
  }
  if (auto writable = checkStateWritable((*session)->paths().dir); !writable) {
    s_.showError("no ghost text", writable.error());
    reply(empty);
    return;
  }
  auto book = s_.workspace.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *book);
  if (!chapter) {
    reply(empty);
    return;
  }
  // A newer request supersedes an older one.
  BookScheduler::GhostText ghost = st->jobs.startGhostText(uri, {reply.token()});
  auto cancel = ghost.cancel;
  auto snapshot = book->manuscriptPtr();
  engine::StorySession::StepRequest request =
      st->book->stepRequest(*book, *chapter, offset, planCommentAt(m, line ? line - 1 : 0).value_or(""));
  std::string language = s_.server.settingsFor(uri).language.value_or("");
  s_.background<Result<engine::PendingStep>>(
      [session = *session, snapshot, request, cancel, language]() -> Result<engine::PendingStep> {
        if (auto ready = ensureAdopted(*session, *snapshot, language, cancel->token()); !ready)
          return ready.error();
        return session->prepareStep(*snapshot, request, cancel->token());
      },
      [this, uri, prefix, suffix, position = insertAt, wrapAt = engine::hardWrapWidth(*snapshot), cancel,
       stale = ghost.stale, reply](Result<engine::PendingStep> pending) mutable {
        OpenBook *st = s_.workspace.bookOf(uri);
        if (st && st->jobs.takeOwedIndex())
          s_.scheduleIndex(uri);
        if (stale->load()) {
          reply.error(protocol::ResponseError{protocol::ContentModified,
                                              "the document changed while its ghost text was being written",
                                              std::nullopt});
          return;
        }
        if (cancel->cancelled() || !st) {
          reply.error(Error::cancelled());
          return;
        }
        if (!pending) {
          s_.showError("no ghost text", pending.error());
          reply(json{{"items", json::array()}});
          return;
        }
        std::uint64_t id = nextId_++;
        if (wrapAt)
          pending->paragraph = engine::wrapText(pending->paragraph, *wrapAt);
        std::string text = prefix + pending->paragraph + suffix;
        st->offer = OpenBook::InlineOffer{id, std::move(*pending)};
        protocol::InlineCompletionItem item;
        item.insertText = text;
        item.range = protocol::Range{position, position};
        item.command = protocol::Command{"Accept the paragraph", protocol::kAcceptInlineCommand,
                                         json::array({{{"uri", uri}, {"id", id}}})};
        reply(json{{"items", json::array({json(item)})}});
      });
}

void GhostTextFeature::accept(const protocol::AcceptInlineArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  const Document *doc = s_.server.documents().find(uri);
  if (!st->offer || static_cast<std::int64_t>(st->offer->id) != args.id || !st->session) {
    reply.error(requestFailed("that ghost text is no longer current: ask for a new one"));
    return;
  }
  engine::PendingStep step = std::move(st->offer->step);
  st->offer.reset();
  if (doc->manuscript.text().find(step.paragraph) == std::string::npos) {
    reply.error(requestFailed("the accepted paragraph is not in the document, so the step was not recorded"));
    return;
  }
  auto after = s_.workspace.snapshot(*st)->manuscriptPtr();
  st->jobs.pauseIndex();
  s_.background<Result<engine::StepCommit>>(
      [session = st->session, step, after] {
        return session->commitStep(step, step.paragraph, *after, CancelToken{});
      },
      [this, uri, reply, paragraph = step.paragraph](Result<engine::StepCommit> commit) mutable {
        if (!commit) {
          s_.showError("the story's memory was not updated", commit.error());
          reply.error(commit.error());
          s_.scheduleIndex(uri);
          return;
        }
        s_.stepWatch.committed(uri, commit->step, paragraph);
        reply(protocol::ContinueResult{commit->step, commit->words});
        s_.sendStatus(uri, "idle");
        s_.scheduleIndex(uri);
      });
}
} // namespace recurrent::server
