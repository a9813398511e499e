#include "server/CoWriter.h"

#include "engine/Backends.h"
#include "engine/bible/ExtractPrompt.h"
#include "engine/book/StateLock.h"
#include "engine/continuity/ModelCheck.h"
#include "engine/manuscript/Wrapping.h"
#include "engine/memory/LongTermMemory.h"
#include "protocol/Uri.h"
#include "server/BibleActions.h"
#include "server/EditStream.h"
#include "server/LspServer.h"
#include "server/Progress.h"
#include "server/PromptReport.h"
#include "server/SummaryCost.h"
#include "server/StateWritable.h"

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace recurrent::server {

using protocol::json;
namespace fs = std::filesystem;

namespace {

constexpr const char *kContinue = "recurrent.continue";
constexpr const char *kNewStory = "recurrent.newStory";
constexpr const char *kAdopt = "recurrent.adopt";
constexpr const char *kSuggestPlans = "recurrent.suggestPlans";
constexpr const char *kUndoStep = "recurrent.undoStep";
constexpr const char *kAcceptInline = "recurrent.acceptInline";
constexpr const char *kSetPlans = "recurrent.setPlans";
constexpr const char *kSetShortTermMemory = "recurrent.setShortTermMemory";
constexpr const char *kCheck = "recurrent.check";
constexpr const char *kMakeBook = "recurrent.makeBook";
constexpr const char *kNewChapter = "recurrent.newChapter";
constexpr const char *kActionKind = "refactor.rewrite.recurrent";
constexpr const char *kUpdatingMemory = "updating memory and plans"; // a step's status once its paragraph is whole

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

protocol::ResponseError invalidParams(std::string message) {
  return {protocol::InvalidParams, std::move(message), std::nullopt};
}

protocol::ResponseError requestFailed(std::string message) {
  return {protocol::RequestFailed, std::move(message), std::nullopt};
}

/// Reads one command argument object (the first element of `arguments`).
bool commandArgs(const std::vector<json> &arguments, json &out) {
  if (arguments.empty() || !arguments[0].is_object())
    return false;
  out = arguments[0];
  return true;
}

std::string stringArg(const json &args, const char *name) {
  auto it = args.find(name);
  return it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool isBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
}

/// The plan comment on `line`, if the line belongs to one.
std::optional<std::string> planCommentAt(const engine::Manuscript &m, std::uint32_t line) {
  for (const auto &plan : m.planComments()) {
    if (m.lineOf(plan.begin) <= line && line <= m.lineOf(plan.end == 0 ? 0 : plan.end - 1))
      return plan.plan;
  }
  return std::nullopt;
}

std::string userMessage(const std::string &what, const Error &error) {
  return what + ": " + error.message;
}

/// Where a continuation asked for at `cursor` goes: after the paragraph the cursor is in (any
/// column), else after the paragraph before it.
std::size_t continuationPoint(const engine::Manuscript &m, std::size_t cursor) {
  cursor = std::min(cursor, m.text().size());
  if (auto inside = m.paragraphAtLine(m.lineOf(cursor)))
    return m.paragraphs()[*inside].end;
  return cursor;
}

/// `{root, folder, chapters: [{uri, file, title, paragraphs, words}]}`: the book's shape for the
/// writer (recurrent/storyState, recurrent/bookOutline).
json bookJson(const engine::BookSnapshot &book) {
  json chapters = json::array();
  for (const auto &c : book.chapters())
    chapters.push_back({{"uri", protocol::pathToUri(c.file.path)},
                        {"file", c.file.relative},
                        {"title", c.title},
                        {"paragraphs", c.paragraphCount},
                        {"words", c.words}});
  return {{"root", book.layout().root().string()}, {"folder", book.layout().isFolder()}, {"chapters", chapters}};
}

/// A manuscript opened moments ago may not be adopted yet (that runs in the background):
/// writing in it adopts it first, so the first Continue just works.
Status ensureAdopted(engine::StorySession &session, const engine::Manuscript &manuscript,
                     const std::string &language, const CancelToken &cancel) {
  if (session.state().initialised() || manuscript.paragraphs().empty())
    return okStatus();
  return session.adopt(manuscript, "", language, engine::StoryMode::Novel, cancel);
}

} // namespace

bool fromJson(const json &v, UriParams &out, const std::string &path, protocol::ParseIssue &issue) {
  protocol::FieldReader o(v, path, issue);
  return o.required("uri", out.uri);
}

bool fromJson(const json &v, WatchedFilesParams &out, const std::string &path, protocol::ParseIssue &issue) {
  auto changes = v.is_object() ? v.find("changes") : v.end();
  if (!v.is_object() || changes == v.end() || !changes->is_array()) {
    issue = {path + ".changes", "expected an array of file events"};
    return false;
  }
  for (const auto &change : *changes)
    if (change.is_object() && change.contains("uri") && change["uri"].is_string())
      out.uris.push_back(change["uri"].get<std::string>());
  return true;
}

CoWriter::CoWriter(LspServer &server, Options options)
    : server_(server), options_(std::move(options)), pool_(options_.workers),
      workspace_(server, options_.environment) {}

CoWriter::~CoWriter() {
  shutdown();
  pool_.join();
}

void CoWriter::shutdown() {
  stopping_ = true;
  workspace_.stop();
}

void CoWriter::bind(HandlerTable &table) {
  table.request("workspace/executeCommand", this, &CoWriter::onExecuteCommand);
  table.request("textDocument/codeAction", this, &CoWriter::onCodeAction);
  table.request("textDocument/codeLens", this, &CoWriter::onCodeLens);
  table.request("textDocument/inlineCompletion", this, &CoWriter::onInlineCompletion);
  table.request("workspace/symbol", this, &CoWriter::onWorkspaceSymbol);
  table.request("recurrent/storyState", this, &CoWriter::onStoryState);
  table.request("recurrent/lastPrompt", this, &CoWriter::onLastPrompt);
  table.request("recurrent/bookOutline", this, &CoWriter::onBookOutline);
  table.notification("workspace/didChangeWatchedFiles", this, &CoWriter::onWatchedFilesChanged);
}

json CoWriter::capabilities() const {
  return json{
      {"executeCommandProvider",
       {{"commands",
         {kContinue, kNewStory, kAdopt, kMakeBook, kNewChapter, kSuggestPlans, kUndoStep, kAcceptInline,
          kSetPlans, kSetShortTermMemory, kIgnoreFindingCommand, kShowPassageCommand, kExtractBibleEntriesCommand, kCheck}}}},
      {"codeActionProvider", {{"codeActionKinds", {kActionKind}}}},
      {"codeLensProvider", {{"resolveProvider", false}}},
      {"inlineCompletionProvider", json::object()},
      {"workspaceSymbolProvider", true},
  };
}

template <typename T> void CoWriter::background(std::function<T()> job, std::function<void(T)> then) {
  asio::post(pool_, [this, job = std::move(job), then = std::move(then)]() mutable {
    auto result = std::make_shared<T>(job());
    server_.post([then = std::move(then), result]() mutable { then(std::move(*result)); });
  });
}

// --- Documents and sessions ------------------------------------------------------------------

void CoWriter::documentOpened(const std::string &uri) {
  if (isBibleFile(uri))
    return;
  workspace_.attach(uri);
  if (OpenBook *st = workspace_.bookOf(uri); st->book && st->layout.isFolder())
    st->book->reloadFromDisk(); // the chapter may be new since the book last listed its files
  // Settings usually arrive just after didOpen: give them a moment before the first index.
  scheduleIndex(uri, std::chrono::milliseconds(50));
}

void CoWriter::documentChanged(const std::string &uri) {
  OpenBook *st = workspace_.bookOf(uri);
  if (!st)
    return;
  // The ghost-text offer survives edits: accepting it is itself an edit. acceptInline checks
  // that its paragraph is in the document.
  st->jobs.edited(uri); // a running index starts over after the debounce; a ghost text asked for is stale
  scheduleIndex(uri, options_.indexDebounce);
  if (auto pending = std::move(st->pendingCheck)) // tried once more: with the edit, or never
    checkNewParagraph(uri, pending->at, pending->inserted);
  if (const Document *doc = server_.documents().find(uri); doc && !st->jobs.writing())
    if (auto step = stepWatch_.vanished(uri, doc->manuscript))
      stepTextVanished(uri, *step);
}

void CoWriter::documentClosed(const std::string &uri) {
  std::shared_ptr<OpenBook> st = workspace_.detach(uri);
  if (!st)
    return;
  stepWatch_.forget(uri);
  // Running jobs keep the session alive through their own shared_ptr and end as cancelled: a
  // closed document gets no more edits (EditStream checks) and nothing is committed for it.
  if (st->jobs.closed(uri))
    spdlog::info("{} closed while recurrent was writing in it: cancelled, nothing committed", uri);
  spdlog::debug("closed {}", uri);
  if (st->uris.empty())
    return; // the book is forgotten, its work cancelled
  // Other chapters stay open: the book reads this one from disk again (unsaved edits are gone).
  if (st->book)
    if (auto path = protocol::uriToPath(uri))
      st->book->clearOverlay(*path);
  scheduleIndex(*st->uris.begin(), options_.indexDebounce);
}

void CoWriter::nameRenamed(const engine::BookLayout &book, const std::string &oldName, const std::string &newName) {
  OpenBook *open = workspace_.bookWithState(book.paths().dir);
  if (!open) {
    if (book.hasState())
      renameInClosedBook(book, oldName, newName);
    return;
  }
  if (!open->story) {
    spdlog::info("renamed {} to {} in {}: not a story, no state to follow", oldName, newName, book.root().string());
    return;
  }
  auto session = workspace_.writableSession(*open->uris.begin());
  if (!session) {
    showError("renaming " + oldName + " in the story's memory", session.error());
    return;
  }
  auto changed = (*session)->renameInState(oldName, newName);
  if (!changed)
    showError("renaming " + oldName + " in the story's memory", changed.error());
  else
    spdlog::info("renamed {} to {} in the story's state: {} pieces", oldName, newName, *changed);
}

void CoWriter::renameInClosedBook(const engine::BookLayout &book, const std::string &oldName,
                                  const std::string &newName) {
  const std::string what = "renaming " + oldName + " in the story's memory";
  auto config = workspace_.configFor(server_.settingsFor(protocol::pathToUri(book.root())));
  if (!config) {
    showError(what, config.error());
    return;
  }
  // Opening a book reads its whole memory: on the pool, under the writer lock, closed again after.
  background<Result<std::size_t>>(
      [book, config = *config, oldName, newName]() -> Result<std::size_t> {
        auto attempt = engine::StateLock::tryAcquire(book.paths().dir, "recurrent lsp");
        if (!attempt)
          return attempt.error();
        if (!attempt->lock)
          return Error{ErrorKind::Config, attempt->holder + " holds the story, so its memory keeps " + oldName +
                                              " (rename again once that one is closed)"};
        auto opened = engine::openBook(book, config, engine::BookOptions{});
        if (!opened)
          return opened.error();
        return (*opened)->session().renameInState(oldName, newName);
      },
      [this, what, oldName, newName](Result<std::size_t> changed) {
        if (!changed)
          showError(what, changed.error());
        else
          spdlog::info("renamed {} to {} in the state of a book with no chapter open: {} pieces", oldName, newName,
                       *changed);
      });
}

void CoWriter::reportBadNotification(const std::string &method, const protocol::ParseIssue &issue) {
  server_.reportBadNotification(method, issue);
}

void CoWriter::onWatchedFilesChanged(const WatchedFilesParams &params) {
  std::vector<fs::path> paths;
  for (const auto &uri : params.uris)
    if (auto path = protocol::uriToPath(uri))
      paths.push_back(*path);
  server_.bible().filesChanged(paths);
  std::set<OpenBook *> touched;
  for (const auto &uri : params.uris) {
    auto path = protocol::uriToPath(uri);
    if (!path || insideStateFolder(*path))
      continue;
    const fs::path file = path->lexically_normal();
    for (OpenBook *state : workspace_.books()) {
      const fs::path &root = state->layout.root();
      auto rel = file.lexically_relative(root);
      if (state->layout.isFolder() && !rel.empty() && *rel.begin() != "..")
        touched.insert(state);
    }
  }
  for (OpenBook *state : touched) {
    if (!state->book)
      continue;
    spdlog::debug("files of {} changed on disk: re-reading its chapters", state->layout.root().string());
    state->book->reloadFromDisk(); // the memory follows at the next index: deleted chapters leave it
    scheduleIndex(*state->uris.begin(), options_.indexDebounce);
  }
}

void CoWriter::settingsChanged() {
  for (OpenBook *state : workspace_.books()) {
    const std::string &uri = *state->uris.begin(); // a book takes the settings of its first chapter
    if (state->session && !state->settings.sameSession(server_.settingsFor(uri)) && !state->jobs.writing()) {
      workspace_.reopenLater(*state); // with the new backend
      scheduleIndex(uri, options_.indexDebounce);
    } else if (!state->story && server_.settingsFor(uri).autoAdopt.value_or(false)) {
      scheduleIndex(uri, options_.indexDebounce);
    }
  }
}

void CoWriter::scheduleIndex(const std::string &uri, std::chrono::milliseconds delay) {
  OpenBook *st = workspace_.bookOf(uri);
  if (!st || stopping_)
    return;
  // A document just opened: its recurrent.autoAdopt and model come with its settings.
  st->jobs.scheduleIndex(delay, [this, uri] { server_.whenSettingsKnown([this, uri] { runIndex(uri); }); });
}

void CoWriter::runIndex(const std::string &uri) {
  OpenBook *st = workspace_.bookOf(uri);
  const Document *doc = server_.documents().find(uri);
  if (!st || !doc || stopping_)
    return;
  if (!st->jobs.mayIndex())
    return; // owed: it runs when the job, the index or the question ends
  auto path = protocol::uriToPath(uri);
  if (!path)
    return; // a scratch or untitled buffer: no memory to keep, and nothing the writer asked for
  if (!st->story) {
    // Opt-in: a file becomes a story on the writer's word, or on open with recurrent.autoAdopt.
    if (!server_.settingsFor(uri).autoAdopt.value_or(false) || insideStateFolder(*path)) {
      sendStatus(uri, "idle", "not a story yet: Adopt it to make it one");
      return;
    }
    st->story = true;
  }
  auto session = workspace_.writableSession(uri);
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
  auto snapshot = workspace_.snapshot(*st)->manuscriptPtr();
  // The first index of a session can take a while (a long book, or a model writing summaries):
  // show it, cancellable. Later ones follow small edits and stay quiet.
  std::shared_ptr<Progress> progress;
  if (!st->indexedOnce)
    progress = Progress::begin(server_, "Recurrent: reading the manuscript", true);
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
    server_.post(
        [progress, message, percent] { progress->report(message, static_cast<std::uint32_t>(percent)); });
  };
  // A story without its state yet (adopted with autoAdopt, or an adoption stopped midway) is
  // adopted (summaries, a synopsis, a short-term memory and three plans), so its plans are ready
  // when the writer asks. With a paid model, many new paragraphs at once wait for the writer's yes.
  std::string language = server_.settingsFor(uri).language.value_or("");
  std::size_t askAbove = costQuestionThreshold(uri, **session);
  if (st->summariesApproved)
    askAbove = 0;
  st->summariesApproved = false;
  struct Outcome {
    Status status = okStatus();
    std::optional<SummaryEstimate> ask; ///< nothing was sent: the writer must agree first
  };
  background<Outcome>(
      [session = *session, snapshot, token, onProgress, language, askAbove]() -> Outcome {
        if (askAbove > 0) {
          SummaryEstimate estimate = estimateSummaries(session->memory(), *snapshot);
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
        OpenBook *st = workspace_.bookOf(uri);
        if (!st)
          return;
        st->jobs.finishIndex();
        if (outcome.ask) {
          sendStatus(uri, "idle");
          askBeforeSummarising(uri, *session, *outcome.ask, [this, uri](bool yes) {
            OpenBook *st = workspace_.bookOf(uri);
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
          scheduleIndex(uri, options_.indexDebounce);
      });
}

std::optional<std::string> CoWriter::summaryFor(const std::string &uri, std::size_t paragraph) const {
  const OpenBook *open = workspace_.bookOf(uri);
  const Document *doc = server_.documents().find(uri);
  if (!open || !open->session || !doc || paragraph >= doc->manuscript.paragraphs().size())
    return std::nullopt;
  const OpenBook &st = *open;
  std::size_t inBook = paragraph;
  if (st.layout.isFolder()) { // the chapter's place in the book, as the last snapshot had it
    if (!st.lastSnapshot)
      return std::nullopt;
    auto chapter = Workspace::chapterOf(uri, *st.lastSnapshot);
    if (!chapter)
      return std::nullopt;
    inBook = st.lastSnapshot->bookParagraph(*chapter, paragraph);
  }
  auto entry = st.session->memory().entryAt(inBook);
  // Positions shift with edits until the next index: trust the entry only for the same text.
  if (!entry || entry->hash != doc->manuscript.paragraphs()[paragraph].hash)
    return std::nullopt;
  return entry->summary;
}

// --- Status and errors -----------------------------------------------------------------------

void CoWriter::sendStatus(const std::string &uri, const std::string &state, const std::string &message) {
  json params{{"uri", uri}, {"state", state}};
  if (OpenBook *st = workspace_.bookOf(uri); st && st->session) {
    auto engineState = st->session->state();
    params["provider"] = workspace_.providerOf(st->settings);
    params["model"] = st->session->modelDescription();
    params["memoryEntries"] = st->session->memoryEntries();
    params["step"] = engineState.step;
  } else if (auto config = workspace_.configFor(uri)) {
    params["provider"] = config->provider;
    params["model"] = config->describe(); // what a session would use, before there is one
  }
  if (!message.empty())
    params["message"] = message;
  server_.notify("recurrent/status", params);
}

void CoWriter::showError(const std::string &what, const Error &error) {
  if (error.kind == ErrorKind::Cancelled)
    return;
  std::string message = userMessage(what, error);
  spdlog::warn("{}", message);
  server_.notify("window/showMessage",
                 json(protocol::ShowMessageParams{protocol::MessageType::Error, message}));
}

CoWriter::Placement CoWriter::placeAfter(const engine::Manuscript &m, std::size_t cursor) {
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

// --- Commands --------------------------------------------------------------------------------

void CoWriter::onExecuteCommand(const protocol::ExecuteCommandParams &params, ReplyOnce reply) {
  using Runner = void (CoWriter::*)(const json &, ReplyOnce);
  static const std::map<std::string, Runner> kCommands = {
      {kContinue, &CoWriter::runContinue}, {kNewStory, &CoWriter::runNewStory},
      {kAdopt, &CoWriter::runAdopt},       {kSuggestPlans, &CoWriter::runSuggestPlans},
      {kUndoStep, &CoWriter::runUndoStep}, {kAcceptInline, &CoWriter::runAcceptInline},
      {kSetPlans, &CoWriter::runSetPlans}, {kSetShortTermMemory, &CoWriter::runSetShortTermMemory},
      {kMakeBook, &CoWriter::runMakeBook}, {kNewChapter, &CoWriter::runNewChapter},
      {kCheck, &CoWriter::runCheck},       {kExtractBibleEntriesCommand, &CoWriter::runExtractEntries},
  };
  auto it = kCommands.find(params.command);
  if (it == kCommands.end()) {
    if (server_.bible().executeCommand(params, reply))
      return;
    reply.error(invalidParams("unknown command: " + params.command));
    return;
  }
  json args;
  if (!commandArgs(params.arguments, args) || stringArg(args, "uri").empty()) {
    reply.error(invalidParams("invalid params: arguments[0].uri: " + params.command + " needs {uri, ...}"));
    return;
  }
  server_.whenSettingsKnown([this, run = it->second, args, reply]() mutable {
    if (!server_.documents().find(stringArg(args, "uri"))) {
      reply.error(invalidParams("the document is not open: " + stringArg(args, "uri")));
      return;
    }
    (this->*run)(args, std::move(reply));
  });
}

OpenBook *CoWriter::idleDocument(const std::string &uri, ReplyOnce &reply) {
  OpenBook *st = workspace_.bookOf(uri);
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

std::shared_ptr<engine::StorySession> CoWriter::sessionOrReply(const std::string &uri,
                                                               const std::string &what, ReplyOnce &reply) {
  auto session = workspace_.writableSession(uri);
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

CoWriter::Job CoWriter::beginJob(OpenBook &state, const std::string &uri, const std::string &title,
                                 const CancelToken &request, const std::string &status) {
  state.jobs.pauseIndex();
  Job job;
  job.progress = Progress::begin(server_, title, true);
  job.cancel = state.jobs.startWriting(uri, {request, job.progress->token()});
  sendStatus(uri, status);
  refreshCodeLenses();
  return job;
}

void CoWriter::refreshCodeLenses() {
  if (server_.clientCapabilities().codeLensRefresh)
    server_.call("workspace/codeLens/refresh", nullptr, [](std::optional<json>, std::optional<protocol::ResponseError>) {});
}

void CoWriter::endJob(const std::string &uri, bool reindex) {
  OpenBook *st = workspace_.bookOf(uri);
  if (!st)
    return;
  const bool owed = st->jobs.finishWriting();
  sendStatus(uri, "idle");
  refreshCodeLenses();
  // The writer may have undone the paragraph while its step was being saved.
  if (const Document *doc = server_.documents().find(uri))
    if (auto step = stepWatch_.vanished(uri, doc->manuscript))
      stepTextVanished(uri, *step);
  if (reindex || owed)
    scheduleIndex(uri, options_.indexDebounce);
}

void CoWriter::runContinue(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  if (!server_.clientCapabilities().applyEdit) {
    reply.error(requestFailed("this editor cannot apply edits from the server (workspace/applyEdit)"));
    return;
  }
  auto session = sessionOrReply(uri, "cannot continue", reply);
  if (!session)
    return;
  const engine::Manuscript &m = server_.documents().find(uri)->manuscript;
  const auto encoding = server_.positionEncoding();
  std::size_t cursor = m.text().size();
  std::optional<std::uint32_t> cursorLine;
  if (auto pos = args.find("position"); pos != args.end() && !pos->is_null()) {
    protocol::Position p;
    protocol::ParseIssue issue;
    if (!protocol::fromJson(*pos, p, "arguments[0].position", issue)) {
      reply.error(invalidParams("invalid params: " + issue.describe()));
      return;
    }
    cursor = continuationPoint(m, toOffset(m, p, encoding));
    cursorLine = p.line;
  }
  // The plan: free text wins, then planIndex, then the plan comment at the cursor, else plan 1.
  std::string plan = stringArg(args, "plan");
  if (plan.empty()) {
    if (auto idx = args.find("planIndex"); idx != args.end() && !idx->is_null()) {
      auto plans = session->state().plans;
      if (!idx->is_number_integer() || idx->get<long>() < 0 || idx->get<std::size_t>() >= plans.size()) {
        reply.error(invalidParams("invalid params: arguments[0].planIndex: there are " +
                                  std::to_string(plans.size()) + " plans"));
        return;
      }
      plan = plans[idx->get<std::size_t>()];
    } else if (cursorLine) {
      plan = planCommentAt(m, *cursorLine).value_or("");
    }
  }

  st->offer.reset();
  auto book = workspace_.snapshot(*st);
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
  Job job = beginJob(*st, uri, "Recurrent: writing the next paragraph", reply.token());
  auto progress = job.progress;
  auto cancel = job.cancel;
  bool streaming = server_.settingsFor(uri).streaming.value_or(true);
  auto stream = EditStream::create(server_, uri, toPosition(m, place.offset, encoding), encoding,
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
      server_.post([stream, place, piece, streamedAny, wrapper, cancel] {
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
      server_.post([this, uri, progress, cancel] {
        if (cancel->cancelled())
          return;
        progress->report(kUpdatingMemory);
        sendStatus(uri, "updating", kUpdatingMemory);
      });
    };
  }
  callbacks.onRetry = [this, uri, stream, streamedAny, wrapper, wrapAt, progress](const engine::RetryNotice &notice) {
    std::string message = notice.reason.message + "; retrying in " +
                          std::to_string(static_cast<int>(std::ceil(notice.delaySeconds))) + " s (attempt " +
                          std::to_string(notice.attempt + 1) + " of " + std::to_string(notice.maxAttempts) +
                          ")";
    server_.post([this, uri, stream, streamedAny, wrapper, wrapAt, progress, message] {
      if (*streamedAny)
        sendStatus(uri, "writing"); // the paragraph streams again
      *streamedAny = false;
      stream->restart();
      if (wrapAt)
        wrapper->emplace(*wrapAt);
      progress->report(message); // in the progress, not as a message per retry
      spdlog::warn("{}", message);
    });
  };

  std::string language = server_.settingsFor(uri).language.value_or("");
  background<Result<engine::PendingStep>>(
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
            showError("the paragraph could not be written", error);
            reply.error(error);
            endJob(uri);
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
            showError("the paragraph was not inserted", error);
            reply.error(requestFailed(reason));
            endJob(uri);
            return;
          }
          if (!server_.documents().find(uri)) {
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
          background<Result<engine::StepCommit>>(
              [session, step, after] {
                return session->commitStep(step, step.paragraph, *after, CancelToken{});
              },
              [this, uri, progress, reply, paragraph = step.paragraph, insertAt,
               inserted](Result<engine::StepCommit> commit) mutable {
                progress->end(commit ? "paragraph written: step " + std::to_string(commit->step) + ", " +
                                           std::to_string(commit->words) + " words"
                                     : "failed");
                if (!commit) {
                  showError("the paragraph is in the document but the story's memory was not updated",
                            commit.error());
                  reply.error(commit.error());
                } else {
                  stepWatch_.committed(uri, commit->step, paragraph);
                  reply(json{{"step", commit->step}, {"words", commit->words}});
                }
                endJob(uri);
                if (commit)
                  checkNewParagraph(uri, insertAt, inserted);
              });
        });
      });
}

// --- The model's continuity check ------------------------------------------------------------

void CoWriter::runCheck(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  auto session = sessionOrReply(uri, "the continuity check", reply);
  if (!session)
    return;
  auto snapshot = workspace_.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *snapshot);
  if (!chapter) {
    reply.error(requestFailed(chapter.error().message));
    return;
  }
  const std::string scope = args.value("scope", "chapter");
  std::vector<std::size_t> paragraphs;
  if (scope == "book")
    paragraphs = engine::continuity::allParagraphs(*snapshot);
  else if (scope == "chapter")
    paragraphs = engine::continuity::chapterParagraphs(*snapshot, *chapter);
  else if (scope == "paragraph" && args.contains("position")) {
    protocol::Position position;
    protocol::ParseIssue issue;
    if (!protocol::fromJson(args["position"], position, "arguments[0].position", issue)) {
      reply.error(invalidParams("invalid params: " + issue.describe()));
      return;
    }
    std::size_t at = toOffset(server_.documents().find(uri)->manuscript, position, server_.positionEncoding());
    paragraphs = engine::continuity::paragraphsIn(*snapshot, *chapter, at, at);
  } else if (scope == "selection" && args.contains("range")) {
    protocol::Range range;
    protocol::ParseIssue issue;
    if (!protocol::fromJson(args["range"], range, "arguments[0].range", issue)) {
      reply.error(invalidParams("invalid params: " + issue.describe()));
      return;
    }
    const auto &text = server_.documents().find(uri)->manuscript;
    paragraphs = engine::continuity::paragraphsIn(*snapshot, *chapter,
                                                  toOffset(text, range.start, server_.positionEncoding()),
                                                  toOffset(text, range.end, server_.positionEncoding()));
  } else {
    reply.error(invalidParams("invalid params: arguments[0].scope: \"paragraph\" (with a position), \"selection\" "
                              "(with a range), \"chapter\" or \"book\""));
    return;
  }
  const bool wholeBook = scope == "book";
  // Many paragraphs with a paid model: the writer agrees to the cost first, as for adopting a book.
  std::size_t askAbove = costQuestionThreshold(uri, *session);
  auto model = st->book->recordedModel();
  if (askAbove == 0 || paragraphs.size() <= askAbove || !engine::continuity::ModelChecker::usable(model.get())) {
    startCheck(*st, uri, snapshot, std::move(paragraphs), std::move(reply), wholeBook);
    return;
  }
  st->jobs.hold(); // no other job while the estimate is made and the question is open
  auto checker = std::make_shared<engine::continuity::ModelChecker>(model, server_.bible().checkCache(uri),
                                                                     checkOptionsFor(uri));
  auto book = std::make_shared<engine::continuity::CheckBook>(engine::continuity::checkBookOf(*st->book, snapshot));
  background<engine::continuity::ModelCheckEstimate>(
      [checker, book, owner = st->book, paragraphs] { return checker->estimate(*book, paragraphs); },
      [this, uri, snapshot, paragraphs, reply, wholeBook, askAbove,
       model = session->modelDescription()](engine::continuity::ModelCheckEstimate estimate) mutable {
        OpenBook *st = workspace_.bookOf(uri);
        if (!st) {
          reply.error(requestFailed("the document was closed before its check began"));
          return;
        }
        if (estimate.paragraphs <= askAbove) {
          st->jobs.finishWriting();
          startCheck(*st, uri, snapshot, std::move(paragraphs), std::move(reply), wholeBook);
          return;
        }
        auto path = protocol::uriToPath(uri);
        std::string question = "Recurrent: checking " + std::to_string(estimate.paragraphs) + " paragraphs of " +
                               (path ? path->filename().string() : uri) + (wholeBook ? "'s book" : "") + " with " +
                               model + " takes " + std::to_string(estimate.calls) + " calls, about " +
                               std::to_string(estimate.tokens) + " prompt tokens. Check them now?";
        askBeforeSpending(server_, question, kCheckAction,
                          [this, uri, snapshot, paragraphs, reply, wholeBook, estimate](bool yes) mutable {
                            OpenBook *st = workspace_.bookOf(uri);
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
                            startCheck(*st, uri, snapshot, std::move(paragraphs), std::move(reply), wholeBook);
                          });
      });
}

void CoWriter::runExtractEntries(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  auto offline = [&] {
    protocol::ExecuteCommandParams params{kExtractBibleEntriesCommand, {args}};
    server_.bible().executeCommand(params, reply);
  };
  if (!st->story) {
    offline(); // not a story: no model is ever asked (the names come from the text)
    return;
  }
  auto session = sessionOrReply(uri, "extracting bible entries", reply);
  if (!session)
    return;
  if (session->offline()) {
    offline();
    return;
  }
  // Said before a call is spent: the entries could not be written anyway.
  if (auto why = server_.bible().cannotCreateEntries(uri); !why.empty()) {
    reply.error(requestFailed(why));
    return;
  }
  const Settings &settings = server_.settingsFor(uri);
  engine::ExtractRequestInput input;
  input.language = settings.language.value_or(session->state().language);
  auto path = protocol::uriToPath(uri);
  input.chapterName = path ? path->filename().string() : uri;
  input.chapterText = server_.documents().find(uri)->manuscript.text();
  input.knownNames = server_.bible().bibleNames(uri);
  input.limit = kExtractedNames;
  if (settings.contextTokens)
    input.contextTokens = std::max(1024, *settings.contextTokens);
  auto request = engine::makeExtractRequest(input);
  if (!request) {
    reply.error(request.error());
    return;
  }
  if (request->cut)
    server_.notify("window/showMessage",
                   json(protocol::ShowMessageParams{
                       protocol::MessageType::Info,
                       "recurrent: the chapter is longer than the model's context (recurrent.contextTokens): only its "
                       "first " + std::to_string(request->sentBytes * 100 / std::max<std::size_t>(1, input.chapterText.size())) +
                           "% was sent for bible entries"}));
  Job job = beginJob(*st, uri, "Recurrent: finding bible entries", reply.token());
  // The book's recorded model: calls.jsonl, lastPrompt and the call counts see this call too.
  background<Result<engine::ExtractedEntries>>(
      [model = st->book->recordedModel(), request = request->request, input, cancel = job.cancel]()
          -> Result<engine::ExtractedEntries> {
        auto answer = model->chat(request, cancel->token());
        if (!answer)
          return answer.error();
        return engine::parseExtractAnswer(answer->text, input.chapterText, input.knownNames, input.limit);
      },
      [this, uri, progress = job.progress, reply](Result<engine::ExtractedEntries> found) mutable {
        endJob(uri);
        if (!found) {
          progress->end("failed");
          showError("no bible entries", found.error());
          reply.error(found.error());
          return;
        }
        progress->end(std::to_string(found->entries.size()) + " found");
        if (found->dropped > 0)
          spdlog::info("bible extraction: {} of the model's entries left out (invented, known or repeated)",
                       found->dropped);
        std::vector<NewEntry> entries;
        for (auto &e : found->entries)
          entries.push_back(NewEntry{e.name, engine::bibleEntryTypeName(e.type), e.aliases, e.description});
        server_.bible().createEntries(uri, std::move(entries), std::move(reply));
      });
}

engine::continuity::ModelCheckOptions CoWriter::checkOptionsFor(const std::string &uri) const {
  engine::continuity::ModelCheckOptions options;
  if (auto tokens = server_.settingsFor(uri).contextTokens)
    options.contextTokens = std::max(1024, *tokens);
  return options;
}

void CoWriter::checkNewParagraph(const std::string &uri, std::size_t at, const std::string &inserted) {
  OpenBook *st = workspace_.bookOf(uri);
  if (!st || !st->book || stopping_ || st->jobs.checking() || !server_.settingsFor(uri).checkAfterStep.value_or(true))
    return;
  st->pendingCheck.reset();
  const Document *doc = server_.documents().find(uri);
  if (!doc)
    return;
  const std::string &text = doc->manuscript.text();
  if (at > text.size() || text.compare(at, inserted.size(), inserted) != 0) {
    // The editor applied the edit but has not sent its didChange yet (Neovim sends it after answering).
    st->pendingCheck = OpenBook::PendingCheck{at, inserted};
    return;
  }
  auto snapshot = workspace_.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *snapshot);
  if (!chapter)
    return;
  auto paragraphs = engine::continuity::paragraphsIn(*snapshot, *chapter, at, at + inserted.size());
  if (!paragraphs.empty())
    startCheck(*st, uri, snapshot, std::move(paragraphs), std::nullopt);
}

void CoWriter::documentSaved(const std::string &uri) {
  OpenBook *st = workspace_.bookOf(uri);
  if (!st || !st->story || !st->book || stopping_ || st->jobs.checking() || !server_.settingsFor(uri).checkOnSave.value_or(false))
    return;
  auto snapshot = workspace_.snapshot(*st);
  auto chapter = Workspace::chapterOf(uri, *snapshot);
  if (!chapter)
    return;
  auto paragraphs = engine::continuity::chapterParagraphs(*snapshot, *chapter);
  if (!paragraphs.empty())
    startCheck(*st, uri, snapshot, std::move(paragraphs), std::nullopt);
}

void CoWriter::startCheck(OpenBook &st, const std::string &uri, std::shared_ptr<const engine::BookSnapshot> snapshot,
                          std::vector<std::size_t> paragraphs, std::optional<ReplyOnce> reply, bool wholeBook) {
  // The book's recorded model: calls.jsonl, lastPrompt and the call counts see the check's calls too.
  std::shared_ptr<engine::RecordingChatModel> model = st.book->recordedModel();
  if (!engine::continuity::ModelChecker::usable(model.get())) {
    if (reply && wholeBook) { // the offline checks, of the closed chapters too
      std::size_t findings = server_.bible().findingsChanged(uri, true);
      (*reply)(json{{"findings", findings}, {"paragraphs", paragraphs.size()}, {"fromCache", 0}, {"calls", 0},
                    {"dropped", 0}, {"cancelled", false}, {"offline", true}});
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
  auto checker = std::make_shared<engine::continuity::ModelChecker>(model, server_.bible().checkCache(uri),
                                                                     checkOptionsFor(uri));
  auto book = std::make_shared<engine::continuity::CheckBook>(engine::continuity::checkBookOf(*st.book, snapshot));
  // The writer's request is the book's one job, with a cancellable progress; the check after a step runs
  // beside writing (a next Continue need not wait for it) and shows nothing until it has findings.
  std::shared_ptr<Progress> progress;
  std::shared_ptr<CancelSource> cancel;
  if (reply) {
    Job job = beginJob(st, uri, "Checking continuity", reply->token(), "checking");
    progress = job.progress;
    cancel = job.cancel;
    progress->report("0/" + std::to_string(paragraphs.size()) + " paragraphs");
  } else {
    cancel = st.jobs.startCheck();
  }
  const bool asJob = reply.has_value();
  auto shared = std::make_shared<std::optional<ReplyOnce>>(std::move(reply));
  background<Result<engine::continuity::ModelCheckReport>>(
      // `owner` keeps the memory CheckBook points into alive, should the session be reopened meanwhile.
      [this, checker, book, owner = st.book, paragraphs = std::move(paragraphs), token = cancel->token(),
       progress]() mutable {
        return checker->check(*book, std::move(paragraphs), token, [this, progress](std::size_t done, std::size_t total) {
          if (!progress)
            return;
          // Progress belongs to the server's thread; the check runs on the pool.
          std::string message = std::to_string(done) + "/" + std::to_string(total) + " paragraphs";
          auto percent = static_cast<std::uint32_t>(total ? 100 * done / total : 100);
          server_.post([progress, message = std::move(message), percent] { progress->report(message, percent); });
        });
      },
      [this, uri, progress, shared, book, asJob, wholeBook](Result<engine::continuity::ModelCheckReport> report) mutable {
        if (asJob)
          endJob(uri);
        else if (OpenBook *now = workspace_.bookOf(uri))
          now->jobs.finishCheck();
        if (!progress) { // after a step: quiet unless it found something or failed
          if (!report)
            spdlog::warn("the continuity check of the new paragraph failed: {}", report.error().message);
          else if (!report->findings.empty())
            server_.bible().findingsChanged(uri);
          return;
        }
        if (!report) {
          progress->end("failed");
          showError("the continuity check", report.error());
          if (*shared)
            (*shared)->error(report.error());
          return;
        }
        progress->end(std::to_string(report->findings.size()) + " finding" +
                      (report->findings.size() == 1 ? "" : "s") + (report->cancelled ? " (cancelled)" : ""));
        server_.bible().findingsChanged(uri);
        if (*shared)
          (**shared)(json{{"findings", report->findings.size()},
                          {"paragraphs", report->paragraphs},
                          {"fromCache", report->fromCache},
                          {"calls", report->calls},
                          {"dropped", report->dropped},
                          {"cancelled", report->cancelled}});
      });
}

void CoWriter::runNewStory(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  if (st->layout.isFolder()) {
    reply.error(requestFailed("this file is a chapter of a book: continue the book (Recurrent: Continue), "
                              "or start a new story in a file outside it"));
    return;
  }
  if (!isBlank(server_.documents().find(uri)->manuscript.text())) {
    reply.error(
        requestFailed("a new story starts in an empty document; to continue this manuscript, use Adopt"));
    return;
  }
  engine::InitInput input;
  input.genre = stringArg(args, "genre");
  input.topic = stringArg(args, "topic");
  input.premise = stringArg(args, "premise");
  input.language = stringArg(args, "language");
  if (input.language.empty())
    input.language = server_.settingsFor(uri).language.value_or("");
  if (auto mode = engine::parseStoryMode(stringArg(args, "mode")))
    input.mode = *mode;
  if (input.topic.empty() && input.premise.empty()) {
    reply.error(invalidParams("invalid params: arguments[0].topic: a new story needs a topic or a premise"));
    return;
  }
  if (auto made = workspace_.makeStory(uri); !made) {
    reply.error(made.error());
    return;
  }
  auto session = sessionOrReply(uri, "cannot start a story", reply);
  if (!session)
    return;
  Job job = beginJob(*st, uri, "Recurrent: writing the opening", reply.token());
  auto progress = job.progress;
  auto cancel = job.cancel;
  background<Result<engine::PendingInit>>(
      [session, input, cancel] { return session->prepareInit(input, cancel->token()); },
      [this, uri, session, input, progress, cancel, reply](Result<engine::PendingInit> init) mutable {
        if (!init || cancel->cancelled()) {
          Error error = cancel->cancelled() ? Error::cancelled() : init.error();
          progress->end("stopped");
          showError("the opening could not be written", error);
          reply.error(error);
          endJob(uri, true);
          return;
        }
        if (!server_.documents().find(uri)) {
          reply.error(Error{ErrorKind::InvalidArgument, "the document was closed"});
          return;
        }
        // The opening goes at the top of the (blank) document.
        auto stream = EditStream::create(server_, uri, protocol::Position{0, 0}, server_.positionEncoding(),
                                         "Recurrent: new story");
        std::string markdown = init->markdown;
        stream->finish(markdown, [this, uri, session, input, progress, reply, init = std::move(*init)](
                                     bool applied, std::string reason, std::string inserted) mutable {
          if (!applied) {
            progress->end("not applied");
            reply.error(requestFailed(reason));
            endJob(uri, true);
            return;
          }
          auto after = std::make_shared<engine::Manuscript>(inserted);
          background<Status>([session, init, input,
                              after] { return session->commitInit(init, input, *after, CancelToken{}); },
                             [this, uri, progress, reply, title = init.answer.title](Status status) mutable {
                               progress->end(status ? "done" : "failed");
                               if (!status) {
                                 showError("the opening is in the document but the story state was not saved",
                                           status.error());
                                 reply.error(status.error());
                               } else {
                                 reply(json{{"title", title}});
                               }
                               endJob(uri, true);
                             });
        });
      });
}

void CoWriter::runAdopt(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  const char *nothing = "there is nothing to adopt yet: write a paragraph or start a New Story";
  if (!st->layout.isFolder() && server_.documents().find(uri)->manuscript.paragraphs().empty()) {
    reply.error(requestFailed(nothing));
    return;
  }
  if (auto made = workspace_.makeStory(uri); !made) {
    reply.error(made.error());
    return;
  }
  auto session = sessionOrReply(uri, "cannot adopt the manuscript", reply);
  if (!session)
    return;
  auto snapshot = workspace_.snapshot(*st)->manuscriptPtr();
  if (snapshot->paragraphs().empty()) {
    reply.error(requestFailed(nothing));
    return;
  }
  // Adopting a long book with a paid model: the writer agrees to the cost first.
  if (std::size_t askAbove = costQuestionThreshold(uri, *session); askAbove > 0) {
    SummaryEstimate estimate = estimateSummaries(session->memory(), *snapshot);
    if (estimate.paragraphs > askAbove) {
      st->jobs.hold(); // no second command, and no index, while the question is open
      askBeforeSummarising(uri, *session, estimate, [this, uri, args, snapshot, estimate, reply](bool yes) mutable {
        if (OpenBook *st = workspace_.bookOf(uri))
          st->jobs.finishWriting();
        if (!yes) {
          reply.error(protocol::ResponseError{protocol::RequestCancelled,
                                              "not adopted: the " + std::to_string(estimate.paragraphs) +
                                                  " paragraphs were not sent to the model",
                                              std::nullopt});
          return;
        }
        startAdopt(uri, args, snapshot, std::move(reply));
      });
      return;
    }
  }
  startAdopt(uri, args, snapshot, std::move(reply));
}

void CoWriter::startAdopt(const std::string &uri, const json &args, std::shared_ptr<const engine::Manuscript> snapshot,
                          ReplyOnce reply) {
  auto session = sessionOrReply(uri, "cannot adopt the manuscript", reply);
  if (!session)
    return;
  OpenBook *st = workspace_.bookOf(uri);
  st->summariesDeclined = false;
  Job job = beginJob(*st, uri, "Recurrent: adopting the manuscript", reply.token(), "indexing");
  auto progress = job.progress;
  auto cancel = job.cancel;
  std::string genre = stringArg(args, "genre");
  std::string language = stringArg(args, "language");
  if (language.empty())
    language = server_.settingsFor(uri).language.value_or("");
  engine::StoryMode mode = engine::parseStoryMode(stringArg(args, "mode")).value_or(engine::StoryMode::Novel);
  engine::ProgressFn onProgress = [this, progress](std::string_view stage, std::size_t done,
                                                   std::size_t total) {
    std::string message =
        std::string(stage) + (total ? " " + std::to_string(done) + "/" + std::to_string(total) : "");
    std::optional<std::uint32_t> percent;
    if (total)
      percent = static_cast<std::uint32_t>(100 * done / total);
    server_.post([progress, message, percent] { progress->report(message, percent); });
  };
  background<Status>(
      [session, snapshot, genre, language, mode, cancel, onProgress] {
        return session->adopt(*snapshot, genre, language, mode, cancel->token(), onProgress);
      },
      [this, uri, session, snapshot, progress, reply](Status status) mutable {
        progress->end(status ? "done" : "stopped");
        if (OpenBook *s = workspace_.bookOf(uri))
          s->indexedOnce = s->indexedOnce || static_cast<bool>(status);
        endJob(uri);
        if (!status) {
          showError("the manuscript could not be adopted", status.error());
          reply.error(status.error());
          return;
        }
        reply(json{{"paragraphs", snapshot->paragraphs().size()}, {"plans", session->state().plans}});
      });
}

std::size_t CoWriter::costQuestionThreshold(const std::string &uri, const engine::StorySession &session) const {
  if (session.offline())
    return 0; // extractive summaries cost nothing
  int above = server_.settingsFor(uri).confirmSummariesAbove.value_or(kDefaultConfirmSummariesAbove);
  return above > 0 ? static_cast<std::size_t>(above) : 0;
}

void CoWriter::askBeforeSummarising(const std::string &uri, const engine::StorySession &session,
                                    const SummaryEstimate &estimate, std::function<void(bool)> answer) {
  OpenBook *st = workspace_.bookOf(uri);
  if (!st)
    return;
  if (st->summariesDeclined) { // asked once already: the next question is an explicit Adopt
    answer(false);
    return;
  }
  st->jobs.setAsking(true);
  auto path = protocol::uriToPath(uri);
  std::string file = path ? path->filename().string() : uri;
  askToSummarise(server_, file, session.modelDescription(), estimate,
                 [this, uri, estimate, answer = std::move(answer)](bool yes) {
                   if (OpenBook *st = workspace_.bookOf(uri))
                     st->jobs.setAsking(false);
                   if (!yes)
                     server_.notify("window/showMessage",
                                    json(protocol::ShowMessageParams{
                                        protocol::MessageType::Info,
                                        "recurrent: nothing was sent to the model; the " +
                                            std::to_string(estimate.paragraphs) +
                                            " new paragraphs stay without memory until you run Recurrent: Adopt"}));
                   answer(yes);
                 });
}

void CoWriter::runMakeBook(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  if (st->layout.isFolder()) { // already a book: adopting it is what is left to do
    runAdopt(args, std::move(reply));
    return;
  }
  auto path = protocol::uriToPath(uri);
  if (!path || insideStateFolder(*path)) {
    reply.error(requestFailed(path ? "this is one of recurrent's own state files (inside .recurrent/), not a chapter"
                                   : "save this document to a file in the book's folder first"));
    return;
  }
  const engine::BookLayout layout = engine::BookLayout::folder(path->parent_path());
  if (!layout.isChapter(*path)) {
    reply.error(requestFailed("this file would not be a chapter of " + layout.root().string() +
                              " (README, SUMMARY.md, hidden and _ files, bible/ and notes/ are not chapters)"));
    return;
  }
  // The folder's open chapters join the book: none may be in the middle of something.
  std::vector<std::string> joining;
  for (OpenBook *state : workspace_.books())
    for (const auto &open : state->uris) {
    auto file = protocol::uriToPath(open);
    if (!file || !layout.isChapter(*file))
      continue;
    if (state->jobs.writing() || state->jobs.asking()) {
      reply.error(requestFailed("recurrent is busy in " + file->filename().string() +
                                ": wait for it or cancel it, then make the book"));
      return;
    }
    joining.push_back(open);
  }
  if (auto writable = checkStateWritable(layout.paths().dir); !writable) {
    reply.error(writable.error());
    return;
  }
  std::error_code ec;
  fs::create_directories(layout.paths().dir, ec);
  if (ec) {
    reply.error(requestFailed("cannot create " + layout.paths().dir.string() + ": " + ec.message()));
    return;
  }
  spdlog::info("{} is a book now ({} chapters)", layout.root().string(), layout.chapters().size());
  for (const auto &open : joining) {
    documentClosed(open); // leaves its one-file state (kept on disk, unused) ...
    workspace_.attach(open); // ... for the book's
  }
  server_.bible().booksChanged(); // its chapters now share the book's bible
  runAdopt(args, std::move(reply));
}

void CoWriter::runNewChapter(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  if (!st->layout.isFolder() || !st->story) {
    reply.error(requestFailed("only a book has chapters: make this folder a book first (Recurrent: Make Book)"));
    return;
  }
  auto made = st->layout.createNextChapter(stringArg(args, "title"));
  if (!made) {
    showError("no new chapter", made.error());
    reply.error(made.error());
    return;
  }
  if (st->book)
    st->book->reloadFromDisk();
  const std::string chapterUri = protocol::pathToUri(*made);
  if (server_.clientCapabilities().showDocument)
    server_.call("window/showDocument", {{"uri", chapterUri}, {"takeFocus", true}},
                 [](std::optional<json>, std::optional<protocol::ResponseError>) {});
  reply(json{{"uri", chapterUri}, {"file", st->layout.relativePath(*made)}});
}

void CoWriter::runSuggestPlans(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  auto session = sessionOrReply(uri, "cannot suggest plans", reply);
  if (!session)
    return;
  auto snapshot = workspace_.snapshot(*st)->manuscriptPtr();
  Job job = beginJob(*st, uri, "Recurrent: suggesting plans", reply.token());
  auto progress = job.progress;
  auto cancel = job.cancel;
  background<Result<std::vector<std::string>>>(
      [session, snapshot, cancel] { return session->suggestPlans(*snapshot, cancel->token()); },
      [this, uri, progress, reply](Result<std::vector<std::string>> plans) mutable {
        progress->end(plans ? "done" : "stopped");
        endJob(uri);
        if (!plans) {
          showError("no new plans", plans.error());
          reply.error(plans.error());
          return;
        }
        reply(json{{"plans", *plans}});
      });
}

void CoWriter::runUndoStep(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  auto session = sessionOrReply(uri, "cannot undo the step", reply);
  if (!session)
    return;
  // `step` (optional): undo only while that is still the last step (an answer to an old offer).
  if (auto expected = args.find("step"); expected != args.end() && expected->is_number_integer() &&
                                         expected->get<long>() != session->state().step) {
    reply.error(requestFailed("step " + std::to_string(expected->get<long>()) +
                              " is no longer the last step: nothing was undone"));
    return;
  }
  st->jobs.pauseIndex();
  background<Result<long>>([session] { return session->undoStep(); },
                           [this, uri, reply](Result<long> step) mutable {
                             if (!step) {
                               showError("cannot undo the step", step.error());
                               reply.error(step.error());
                               return;
                             }
                             stepWatch_.forget(uri);
                             reply(json{{"step", *step}});
                             scheduleIndex(uri, options_.indexDebounce);
                           });
}

void CoWriter::stepTextVanished(const std::string &uri, long step) {
  std::string mode = server_.settingsFor(uri).undoStepWithText.value_or("ask");
  spdlog::info("the text of step {} left {} (undoStepWithText: {})", step, uri, mode);
  if (mode == "never")
    return;
  if (mode == "always") {
    undoVanishedStep(uri, step);
    return;
  }
  std::string undo = "Undo step " + std::to_string(step);
  json params{{"type", static_cast<int>(protocol::MessageType::Warning)},
              {"message", "The paragraph of step " + std::to_string(step) +
                              " is no longer in the manuscript, but the story's memory still holds it "
                              "(short-term memory, plans, step count)."},
              // The command lets a client that cannot answer later (Neovim 0.7) run the choice itself.
              {"actions", json::array({{{"title", undo},
                                        {"command", kUndoStep},
                                        {"arguments", json::array({{{"uri", uri}, {"step", step}}})}},
                                       {{"title", "Keep the memory"}}})}};
  server_.call("window/showMessageRequest", params,
               [this, uri, step, undo](std::optional<json> result, std::optional<protocol::ResponseError>) {
                 if (result && result->is_object() && result->value("title", "") == undo)
                   undoVanishedStep(uri, step);
               });
}

void CoWriter::undoVanishedStep(const std::string &uri, long step) {
  OpenBook *st = workspace_.bookOf(uri);
  const Document *doc = server_.documents().find(uri);
  if (!st || !doc || !st->session)
    return;
  auto tell = [this](protocol::MessageType type, std::string message) {
    server_.notify("window/showMessage", json(protocol::ShowMessageParams{type, std::move(message)}));
  };
  if (st->jobs.writing() || !stepWatch_.stillMissing(uri, step, doc->manuscript) ||
      st->session->state().step != step) {
    tell(protocol::MessageType::Info, "step " + std::to_string(step) +
                                          " was not undone: its paragraph is back or the story moved on");
    return;
  }
  stepWatch_.forget(uri);
  st->jobs.pauseIndex();
  background<Result<long>>([session = st->session] { return session->undoStep(); },
                           [this, uri, tell](Result<long> restored) {
                             if (!restored) {
                               showError("cannot undo the step", restored.error());
                             } else {
                               tell(protocol::MessageType::Info,
                                    "the story's memory is back at step " + std::to_string(*restored));
                               sendStatus(uri, "idle");
                             }
                             scheduleIndex(uri, options_.indexDebounce);
                           });
}

void CoWriter::runSetPlans(const json &args, ReplyOnce reply) {
  auto session = workspace_.writableSession(stringArg(args, "uri"));
  if (!session) {
    reply.error(session.error());
    return;
  }
  std::vector<std::string> plans;
  protocol::ParseIssue issue;
  if (!args.contains("plans") || !protocol::fromJson(args["plans"], plans, "arguments[0].plans", issue) ||
      plans.empty()) {
    reply.error(
        invalidParams("invalid params: " + (issue.path.empty() ? "arguments[0].plans: expected a non-empty "
                                                                 "array of strings"
                                                               : issue.describe())));
    return;
  }
  background<Status>([session = *session, plans] { return session->setPlans(plans); },
                     [reply, plans](Status status) mutable {
                       if (!status)
                         reply.error(status.error());
                       else
                         reply(json{{"plans", plans}});
                     });
}

void CoWriter::runSetShortTermMemory(const json &args, ReplyOnce reply) {
  auto session = workspace_.writableSession(stringArg(args, "uri"));
  if (!session) {
    reply.error(session.error());
    return;
  }
  auto text = args.find("text");
  if (text == args.end() || !text->is_string()) {
    reply.error(invalidParams("invalid params: arguments[0].text: expected a string"));
    return;
  }
  background<Status>(
      [session = *session, memory = text->get<std::string>()] { return session->setShortTermMemory(memory); },
      [reply](Status status) mutable {
        if (!status)
          reply.error(status.error());
        else
          reply(json::object());
      });
}

void CoWriter::runAcceptInline(const json &args, ReplyOnce reply) {
  const std::string uri = stringArg(args, "uri");
  OpenBook *st = idleDocument(uri, reply);
  if (!st)
    return;
  const Document *doc = server_.documents().find(uri);
  auto id = args.find("id");
  if (id == args.end() || !(id->is_number_integer() || id->is_number_unsigned())) {
    reply.error(invalidParams("invalid params: arguments[0].id: expected the ghost text's id"));
    return;
  }
  if (!st->offer || st->offer->id != id->get<std::uint64_t>() || !st->session) {
    reply.error(requestFailed("that ghost text is no longer current: ask for a new one"));
    return;
  }
  engine::PendingStep step = std::move(st->offer->step);
  st->offer.reset();
  if (doc->manuscript.text().find(step.paragraph) == std::string::npos) {
    reply.error(requestFailed("the accepted paragraph is not in the document, so the step was not recorded"));
    return;
  }
  auto after = workspace_.snapshot(*st)->manuscriptPtr();
  st->jobs.pauseIndex();
  background<Result<engine::StepCommit>>(
      [session = st->session, step, after] {
        return session->commitStep(step, step.paragraph, *after, CancelToken{});
      },
      [this, uri, reply, paragraph = step.paragraph](Result<engine::StepCommit> commit) mutable {
        if (!commit) {
          showError("the story's memory was not updated", commit.error());
          reply.error(commit.error());
          scheduleIndex(uri, options_.indexDebounce);
          return;
        }
        stepWatch_.committed(uri, commit->step, paragraph);
        reply(json{{"step", commit->step}, {"words", commit->words}});
        sendStatus(uri, "idle");
        scheduleIndex(uri, options_.indexDebounce);
      });
}

// --- Requests --------------------------------------------------------------------------------

void CoWriter::onCodeAction(const protocol::CodeActionParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  const Document *doc = server_.documents().find(uri);
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
    command("Continue from my plan: " + shorten(*plan, 60), kContinue,
            {{"uri", uri}, {"position", position}, {"plan", *plan}});
  for (auto &fix : server_.bible().codeActions(uri, params.range)) // continuity findings under the cursor
    actions.push_back(std::move(fix));
  OpenBook *st = workspace_.bookOf(uri);
  if (!st) { // an entry file of the bible: never a story
    reply(actions);
    return;
  }
  if (!st->story) {
    // Not a story: offer to make it one (nothing runs until the writer picks it).
    auto path = protocol::uriToPath(uri);
    if (path && !insideStateFolder(*path) && !doc->manuscript.paragraphs().empty())
      command("Adopt this file as a story (build its memory and plans)", kAdopt, {{"uri", uri}});
    if (path && !insideStateFolder(*path) && engine::BookLayout::folder(path->parent_path()).isChapter(*path))
      command("Make this folder a book (one memory for all its chapters)", kMakeBook, {{"uri", uri}});
    reply(actions);
    return;
  }
  auto session = workspace_.session(uri);
  engine::StoryState state = session ? (*session)->state() : engine::StoryState{};
  if (session && !state.initialised()) {
    // The story needs its state first: adopting reads the manuscript once (summaries, plans).
    if (!doc->manuscript.paragraphs().empty())
      command("Adopt this manuscript (build its story memory and plans)", kAdopt, {{"uri", uri}});
    reply(actions);
    return;
  }
  for (std::size_t i = 0; i < state.plans.size(); ++i)
    command("Continue: " + shorten(state.plans[i], 70), kContinue,
            {{"uri", uri}, {"position", position}, {"planIndex", i}});
  command("Suggest plans", kSuggestPlans, {{"uri", uri}});
  reply(actions);
}

void CoWriter::onCodeLens(const protocol::CodeLensParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  const Document *doc = server_.documents().find(uri);
  json lenses = json::array();
  for (const auto &lens : server_.bible().codeLenses(uri)) // an entry file's mention counts
    lenses.push_back(json(lens));
  OpenBook *st = workspace_.bookOf(uri);
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
  if (auto session = workspace_.session(uri))
    plans = (*session)->state().plans;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    std::string title = "Plan " + std::to_string(i + 1) + ": " + shorten(plans[i], 60);
    lenses.push_back(json(protocol::CodeLens{
        range, protocol::Command{title, kContinue, json::array({{{"uri", uri}, {"planIndex", i}}})}}));
  }
  if (plans.empty())
    lenses.push_back(
        json(protocol::CodeLens{range, protocol::Command{"Suggest plans for the next paragraph",
                                                         kSuggestPlans, json::array({{{"uri", uri}}})}}));
  reply(lenses);
}

void CoWriter::onInlineCompletion(const protocol::InlineCompletionParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  const Document *doc = server_.documents().find(uri);
  OpenBook *st = workspace_.bookOf(uri);
  json empty{{"items", json::array()}};
  if (!doc || !st || st->jobs.writing()) {
    reply(empty);
    return;
  }
  if (params.triggerKind == 2 && !server_.settingsFor(uri).automaticGhostText.value_or(false)) {
    reply(empty); // the editor asked on its own: no model call the writer did not ask for
    return;
  }
  const auto &m = doc->manuscript;
  const auto encoding = server_.positionEncoding();
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
  auto session = workspace_.writableSession(uri);
  if (!session) {
    reply(empty);
    return;
  }
  if (auto writable = checkStateWritable((*session)->paths().dir); !writable) {
    showError("no ghost text", writable.error());
    reply(empty);
    return;
  }
  auto book = workspace_.snapshot(*st);
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
  std::string language = server_.settingsFor(uri).language.value_or("");
  background<Result<engine::PendingStep>>(
      [session = *session, snapshot, request, cancel, language]() -> Result<engine::PendingStep> {
        if (auto ready = ensureAdopted(*session, *snapshot, language, cancel->token()); !ready)
          return ready.error();
        return session->prepareStep(*snapshot, request, cancel->token());
      },
      [this, uri, prefix, suffix, position = insertAt, wrapAt = engine::hardWrapWidth(*snapshot), cancel,
       stale = ghost.stale, reply](Result<engine::PendingStep> pending) mutable {
        OpenBook *st = workspace_.bookOf(uri);
        if (st && st->jobs.takeOwedIndex())
          scheduleIndex(uri, options_.indexDebounce);
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
          showError("no ghost text", pending.error());
          reply(json{{"items", json::array()}});
          return;
        }
        std::uint64_t id = nextInlineId_++;
        if (wrapAt)
          pending->paragraph = engine::wrapText(pending->paragraph, *wrapAt);
        std::string text = prefix + pending->paragraph + suffix;
        st->offer = OpenBook::InlineOffer{id, std::move(*pending)};
        protocol::InlineCompletionItem item;
        item.insertText = text;
        item.range = protocol::Range{position, position};
        item.command = protocol::Command{"Accept the paragraph", kAcceptInline,
                                         json::array({{{"uri", uri}, {"id", id}}})};
        reply(json{{"items", json::array({json(item)})}});
      });
}

void CoWriter::onWorkspaceSymbol(const protocol::WorkspaceSymbolParams &params, ReplyOnce reply) {
  // One search per book: its memory covers every chapter, open or not.
  struct Source {
    std::shared_ptr<engine::StorySession> session;
    std::shared_ptr<const engine::BookSnapshot> book;
    std::map<fs::path, std::string> openUris; ///< the URIs the editor uses for the open chapters
  };
  auto sources = std::make_shared<std::vector<Source>>();
  json entries = json::array(); // the bible's names first: they are what a writer searches for most
  for (const auto &symbol : server_.bible().symbols(params.query))
    entries.push_back(json(symbol));
  for (OpenBook *state : workspace_.books()) {
    if (!state->story || params.query.empty())
      continue;
    auto session = workspace_.session(*state->uris.begin());
    if (!session)
      continue;
    Source source{*session, workspace_.snapshot(*state), {}};
    for (const auto &uri : state->uris)
      if (auto path = protocol::uriToPath(uri))
        source.openUris[path->lexically_normal()] = uri;
    sources->push_back(std::move(source));
  }
  if (sources->empty()) {
    reply(entries);
    return;
  }
  auto encoding = server_.positionEncoding();
  background<json>(
      [sources, query = params.query, token = reply.token(), encoding, entries] {
        json symbols = entries;
        for (const auto &source : *sources) {
          auto hits = source.session->memory().search(query, 10, {}, token);
          if (!hits)
            continue;
          const engine::BookSnapshot &book = *source.book;
          std::map<std::size_t, engine::Manuscript> chapterTexts; // for positions in closed chapters
          for (const auto &hit : *hits) {
            auto place = book.place(hit.paragraph);
            if (!place)
              continue;
            const engine::Manuscript *chapter = &book.manuscript(); // a one-file story: the file
            if (book.layout().isFolder()) {
              auto it = chapterTexts.find(place->chapter);
              if (it == chapterTexts.end())
                it = chapterTexts.emplace(place->chapter, engine::Manuscript(std::string(book.chapterText(place->chapter)))).first;
              chapter = &it->second;
            }
            const engine::BookChapter &file = book.chapters()[place->chapter];
            protocol::SymbolInformation symbol;
            symbol.name = "¶" + std::to_string(place->paragraph + 1) + " " +
                          (hit.summary.empty() ? hit.snippet : hit.summary);
            auto open = source.openUris.find(file.file.path);
            symbol.uri = open != source.openUris.end() ? open->second : protocol::pathToUri(file.file.path);
            symbol.range = toRange(*chapter, place->begin, place->end, encoding);
            if (!hit.chapter.empty())
              symbol.containerName = hit.chapter;
            else if (book.layout().isFolder())
              symbol.containerName = file.title;
            symbols.push_back(json(symbol));
          }
        }
        return symbols;
      },
      [reply](json symbols) mutable { reply(std::move(symbols)); });
}

void CoWriter::onStoryState(const UriParams &params, ReplyOnce reply) {
  const Document *doc = server_.documents().find(params.uri);
  if (!doc) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  const auto &m = doc->manuscript;
  OpenBook *st = workspace_.bookOf(params.uri);
  json counts{{"paragraphs", m.paragraphs().size()},
              {"memoryEntries", 0},
              {"words", m.totalWords()},
              {"chapters", m.chapters().size()}};
  const bool bibleFile = !st && isBibleFile(params.uri);
  if ((st && !st->story) || bibleFile) {
    // Not a story (yet, or ever: an entry file of the bible): the same shape, empty, so a status bar
    // can say "not a story".
    reply(json{{"adopted", false}, {"step", 0}, {"plans", json::array()}, {"shortTermMemory", ""},
               {"counts", counts}, {"busy", false}, {"indexing", false}, {"readOnly", false},
               {"bibleFile", bibleFile}});
    return;
  }
  auto session = workspace_.session(params.uri);
  if (!session) {
    reply.error(session.error());
    return;
  }
  const auto &s = **session;
  engine::StoryState state = s.state();
  counts["memoryEntries"] = s.memoryEntries();
  // The book as of the last index (the open chapters' latest text is in it after the debounce).
  auto book = st->lastSnapshot ? st->lastSnapshot : workspace_.snapshot(*st);
  if (st->layout.isFolder()) { // the memory is the book's: so are the counts beside it
    counts["paragraphs"] = book->manuscript().paragraphs().size();
    counts["words"] = book->totalWords();
    counts["chapters"] = book->chapters().size();
  }
  json result{{"adopted", true},
             {"title", state.title},
             {"genre", state.genre},
             {"language", state.language},
             {"mode", engine::storyModeName(state.mode)},
             {"step", state.step},
             {"shortTermMemory", state.shortTermMemory},
             {"rationale", state.rationale},
             {"plans", state.plans},
             {"outline", state.outline},
             {"counts", counts},
             {"provider", workspace_.providerOf(st->settings)},
             {"model", s.modelDescription()},
             {"offline", s.offline()},
             {"busy", st && st->jobs.busy()},
             {"indexing", st && st->jobs.indexing()},
             {"readOnly", st && st->readOnly},
             {"statePath", s.paths().dir.string()},
             {"book", bookJson(*book)}};
  if (st && st->readOnly)
    result["readOnlyReason"] = st->readOnlyReason;
  reply(result);
}

void CoWriter::onBookOutline(const UriParams &params, ReplyOnce reply) {
  OpenBook *st = workspace_.bookOf(params.uri);
  if (!st) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  if (auto session = workspace_.session(params.uri); !session) { // not a story yet, or its memory is unreadable
    reply.error(session.error());
    return;
  }
  // Chapter summaries are extractive and cached by chapter text; the first outline of a long
  // book computes them all, so it runs on the pool.
  background<json>(
      [book = st->book, snapshot = workspace_.snapshot(*st)] {
        json outline = bookJson(*snapshot);
        for (std::size_t i = 0; i < snapshot->chapters().size(); ++i)
          outline["chapters"][i]["summary"] = book->chapterSummary(*snapshot, i);
        return outline;
      },
      [reply](json outline) mutable { reply(std::move(outline)); });
}

void CoWriter::onLastPrompt(const UriParams &params, ReplyOnce reply) {
  if (!server_.documents().find(params.uri)) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  if (OpenBook *st = workspace_.bookOf(params.uri); st && !st->story) {
    reply(json(nullptr)); // no story, no prompt
    return;
  }
  auto session = workspace_.session(params.uri);
  if (!session) {
    reply.error(session.error());
    return;
  }
  auto call = (*session)->lastCall();
  if (!call) {
    reply(json(nullptr));
    return;
  }
  json messages = json::array();
  for (const auto &m : call->messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json result{{"task", call->task},
              {"messages", messages},
              {"answer", call->answer},
              {"error", call->error},
              {"model", call->model},
              {"promptTokens", call->promptTokens},
              {"completionTokens", call->completionTokens},
              {"attempts", call->attempts},
              {"seconds", call->seconds},
              {"time", call->time}};
  if (!call->reasoning.empty())
    result["reasoning"] = call->reasoning;
  if (call->budget) {
    result["budget"] = budgetJson(*call->budget);
    result["bible"] = bibleJson(*call->budget);
  }
  reply(result);
}

} // namespace recurrent::server
