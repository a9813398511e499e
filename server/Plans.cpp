#include "server/Plans.h"

#include "protocol/Results.h"
#include "protocol/Uri.h"
#include "server/BibleFeatures.h"
#include "server/LspServer.h"
#include "server/Progress.h"

#include <algorithm>

namespace recurrent::server {

using protocol::json;

namespace {

/// A plan shortened for a menu entry or a lens: its first line, cut at a word near `limit`.
std::string shorten(const std::string &text, std::size_t limit) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() <= limit)
    return line;
  std::size_t cut = line.rfind(' ', limit);
  if (cut == std::string::npos || cut < limit / 2)
    cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80)
    --cut;
  return line.substr(0, cut) + "…";
}

} // namespace

void PlansFeature::codeActions(const protocol::CodeActionParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  const Document *doc = s_.server.documents().find(uri);
  if (!doc) {
    reply(json::array());
    return;
  }
  json actions = json::array();
  auto command = [&](std::string title, const char *name, json args) {
    protocol::CodeAction action;
    action.title = title;
    action.kind = kActionKind;
    action.command = protocol::Command{std::move(title), name, json::array({std::move(args)})};
    actions.push_back(json(action));
  };
  json position = params.range.end;
  if (auto plan = planCommentAt(doc->manuscript, params.range.start.line))
    command("Continue from my plan: " + shorten(*plan, 60), protocol::kContinueCommand,
            {{"uri", uri}, {"position", position}, {"plan", *plan}});
  for (auto &fix : s_.server.bible().codeActions(uri, params.range)) // continuity findings under the cursor
    actions.push_back(std::move(fix));
  OpenBook *st = s_.workspace.bookOf(uri);
  if (!st) { // an entry file of the bible: never a story
    reply(actions);
    return;
  }
  if (!st->story) {
    // Not a story: offer to make it one (nothing runs until the writer picks it).
    auto path = protocol::uriToPath(uri);
    if (path && !insideStateFolder(*path) && !doc->manuscript.paragraphs().empty())
      command("Adopt this file as a story (build its memory and plans)", protocol::kAdoptCommand, {{"uri", uri}});
    if (path && !insideStateFolder(*path) && engine::BookLayout::folder(path->parent_path()).isChapter(*path))
      command("Make this folder a book (one memory for all its chapters)", protocol::kMakeBookCommand, {{"uri", uri}});
    reply(actions);
    return;
  }
  auto session = s_.workspace.session(uri);
  engine::StoryState state = session ? (*session)->state() : engine::StoryState{};
  if (session && !state.initialised()) {
    // The story needs its state first: adopting reads the manuscript once (summaries, plans).
    if (!doc->manuscript.paragraphs().empty())
      command("Adopt this manuscript (build its story memory and plans)", protocol::kAdoptCommand, {{"uri", uri}});
    reply(actions);
    return;
  }
  for (std::size_t i = 0; i < state.plans.size(); ++i)
    command("Continue: " + shorten(state.plans[i], 70), protocol::kContinueCommand,
            {{"uri", uri}, {"position", position}, {"planIndex", i}});
  command("Suggest plans", protocol::kSuggestPlansCommand, {{"uri", uri}});
  reply(actions);
}

void PlansFeature::codeLenses(const protocol::CodeLensParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  const Document *doc = s_.server.documents().find(uri);
  json lenses = json::array();
  for (const auto &lens : s_.server.bible().codeLenses(uri)) // an entry file's mention counts
    lenses.push_back(json(lens));
  OpenBook *st = s_.workspace.bookOf(uri);
  if (!doc || !st || !st->story || doc->manuscript.paragraphs().empty()) {
    reply(lenses); // a file that is not a story shows no lenses: it may be any Markdown file
    return;
  }
  if (st->jobs.writing()) { // a plan clicked now could only be refused; they come back when the job ends
    reply(lenses);
    return;
  }
  const auto &m = doc->manuscript;
  // Where the next paragraph goes: just below the last one.
  std::uint32_t line = std::min(m.paragraphs().back().lastLine + 1, m.lineCount() - 1);
  protocol::Range range{{line, 0}, {line, 0}};
  std::vector<std::string> plans;
  if (auto session = s_.workspace.session(uri))
    plans = (*session)->state().plans;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    std::string title = "Plan " + std::to_string(i + 1) + ": " + shorten(plans[i], 60);
    lenses.push_back(json(protocol::CodeLens{
        range, protocol::Command{title, protocol::kContinueCommand, json::array({{{"uri", uri}, {"planIndex", i}}})}}));
  }
  if (plans.empty())
    lenses.push_back(
        json(protocol::CodeLens{range, protocol::Command{"Suggest plans for the next paragraph",
                                                         protocol::kSuggestPlansCommand, json::array({{{"uri", uri}}})}}));
  reply(lenses);
}

void PlansFeature::suggest(const protocol::UriArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  auto session = s_.sessionOrReply(uri, "cannot suggest plans", reply);
  if (!session)
    return;
  auto snapshot = s_.workspace.snapshot(*st)->manuscriptPtr();
  Services::Job job = s_.beginJob(*st, uri, "Recurrent: suggesting plans", reply.token());
  auto progress = job.progress;
  auto cancel = job.cancel;
  s_.background<Result<std::vector<std::string>>>(
      [session, snapshot, cancel] { return session->suggestPlans(*snapshot, cancel->token()); },
      [this, uri, progress, reply](Result<std::vector<std::string>> plans) mutable {
        progress->end(plans ? "done" : "stopped");
        s_.endJob(uri);
        if (!plans) {
          s_.showError("no new plans", plans.error());
          reply.error(plans.error());
          return;
        }
        reply(protocol::PlansResult{*plans});
      });
}

void PlansFeature::setPlans(const protocol::SetPlansArgs &args, ReplyOnce reply) {
  auto session = s_.workspace.writableSession(args.uri);
  if (!session) {
    reply.error(session.error());
    return;
  }
  s_.background<Status>([session = *session, plans = args.plans] { return session->setPlans(plans); },
                     [reply, plans = args.plans](Status status) mutable {
                       if (!status)
                         reply.error(status.error());
                       else
                         reply(protocol::PlansResult{plans});
                     });
}

void PlansFeature::setShortTermMemory(const protocol::SetShortTermMemoryArgs &args, ReplyOnce reply) {
  auto session = s_.workspace.writableSession(args.uri);
  if (!session) {
    reply.error(session.error());
    return;
  }
  s_.background<Status>(
      [session = *session, memory = args.text] { return session->setShortTermMemory(memory); },
      [reply](Status status) mutable {
        if (!status)
          reply.error(status.error());
        else
          reply(json::object());
      });
}

void PlansFeature::undoStep(const protocol::UndoStepArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  auto session = s_.sessionOrReply(uri, "cannot undo the step", reply);
  if (!session)
    return;
  // `step` (optional): undo only while that is still the last step (an answer to an old offer).
  if (args.step && *args.step != session->state().step) {
    reply.error(requestFailed("step " + std::to_string(*args.step) +
                              " is no longer the last step: nothing was undone"));
    return;
  }
  st->jobs.pauseIndex();
  s_.background<Result<long>>([session] { return session->undoStep(); },
                           [this, uri, reply](Result<long> step) mutable {
                             if (!step) {
                               s_.showError("cannot undo the step", step.error());
                               reply.error(step.error());
                               return;
                             }
                             s_.stepWatch.forget(uri);
                             reply(protocol::StepResult{*step});
                             s_.scheduleIndex(uri);
                           });
}
} // namespace recurrent::server
