#include "server/Services.h"

#include "protocol/Results.h"
#include "protocol/Uri.h"
#include "server/LspServer.h"
#include "server/Progress.h"
#include "server/StateWritable.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace recurrent::server {

using protocol::json;

bool isBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
}

std::optional<std::string> planCommentAt(const engine::Manuscript &m, std::uint32_t line) {
  for (const auto &plan : m.planComments()) {
    if (m.lineOf(plan.begin) <= line && line <= m.lineOf(plan.end == 0 ? 0 : plan.end - 1))
      return plan.plan;
  }
  return std::nullopt;
}

Status ensureAdopted(engine::StorySession &session, const engine::Manuscript &manuscript,
                     const std::string &language, const CancelToken &cancel) {
  if (session.state().initialised() || manuscript.paragraphs().empty())
    return okStatus();
  return session.adopt(manuscript, "", language, engine::StoryMode::Novel, cancel);
}

Services::Services(LspServer &server, Options options)
    : server(server), options(std::move(options)), pool(this->options.workers),
      workspace(server, pool, this->options.environment) {}

void Services::onMainStrand(std::function<void()> fn) { server.post(std::move(fn)); }

OpenBook *Services::idleDocument(const std::string &uri, ReplyOnce &reply) {
  OpenBook *st = workspace.bookOf(uri);
  if (!st) {
    reply.error(invalidParams("the document is not open: " + uri));
    return nullptr;
  }
  if (st->jobs.writing()) {
    reply.error(requestFailed("recurrent is already running in this document (writing, adopting or "
                              "suggesting plans): wait for it or cancel it"));
    return nullptr;
  }
  return st;
}

std::shared_ptr<engine::StorySession> Services::sessionOrReply(const std::string &uri,
                                                               const std::string &what, ReplyOnce &reply) {
  auto session = workspace.writableSession(uri);
  if (!session) {
    showError(what, session.error());
    reply.error(session.error());
    return nullptr;
  }
  // Every caller writes the state: find out now, before a model call is spent on it.
  if (auto writable = checkStateWritable((*session)->paths().dir); !writable) {
    showError(what, writable.error());
    reply.error(writable.error());
    return nullptr;
  }
  return *session;
}

Services::Job Services::beginJob(OpenBook &state, const std::string &uri, const std::string &title,
                                 const CancelToken &request, const std::string &status) {
  state.jobs.pauseIndex();
  Job job;
  job.progress = Progress::begin(server, title, true);
  job.cancel = state.jobs.startWriting(uri, {request, job.progress->token()});
  sendStatus(uri, status);
  refreshCodeLenses();
  return job;
}

void Services::refreshCodeLenses() {
  if (server.clientCapabilities().codeLensRefresh)
    server.call("workspace/codeLens/refresh", nullptr, [](std::optional<json>, std::optional<protocol::ResponseError>) {});
}

void Services::endJob(const std::string &uri, bool reindex) {
  OpenBook *st = workspace.bookOf(uri);
  if (!st)
    return;
  const bool owed = st->jobs.finishWriting();
  sendStatus(uri, "idle");
  refreshCodeLenses();
  // The writer may have undone the paragraph while its step was being saved.
  if (const Document *doc = server.documents().find(uri))
    if (auto step = stepWatch.vanished(uri, doc->manuscript))
      stepTextVanished(uri, *step);
  if (reindex || owed)
    scheduleIndex(uri);
}

void Services::sendStatus(const std::string &uri, const std::string &state, const std::string &message) {
  protocol::StatusParams params{uri, state, {}, {}, {}, {}, {}};
  if (OpenBook *st = workspace.bookOf(uri); st && st->session) {
    params.provider = workspace.providerOf(st->settings);
    params.model = st->session->modelDescription();
    params.memoryEntries = st->session->memoryEntries();
    params.step = st->session->state().step;
  } else if (auto config = workspace.configFor(uri)) {
    params.provider = config->provider;
    params.model = config->describe(); // what a session would use, before there is one
  }
  if (!message.empty())
    params.message = message;
  server.notify("recurrent/status", json(params));
}

void Services::showError(const std::string &what, const Error &error) {
  if (error.kind == ErrorKind::Cancelled)
    return;
  std::string message = what + ": " + error.message;
  spdlog::warn("{}", message);
  showMessage(protocol::MessageType::Error, message);
}

void Services::showMessage(protocol::MessageType type, std::string message) {
  server.notify("window/showMessage", json(protocol::ShowMessageParams{type, std::move(message)}));
}

} // namespace recurrent::server
