#include "server/CoWriter.h"

#include "engine/Backends.h"
#include "engine/book/StateLock.h"
#include "protocol/Commands.h"
#include "protocol/Uri.h"
#include "server/BibleActions.h"
#include "server/BibleFeatures.h"
#include "server/LspServer.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

namespace recurrent::server {

using protocol::json;
namespace fs = std::filesystem;

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

template <typename Args, typename Feature>
void CoWriter::command(const char *name, Feature &feature, void (Feature::*run)(const Args &, ReplyOnce)) {
  commands_[name] = [this, &feature, run](const json &object, ReplyOnce reply) {
    Args args;
    protocol::ParseIssue issue;
    if (!fromJson(object, args, "arguments[0]", issue)) {
      reply.error(invalidParams("invalid params: " + issue.describe()));
      return;
    }
    services_.server.whenSettingsKnown([this, &feature, run, args = std::move(args), reply]() mutable {
      if (!services_.server.documents().find(args.uri)) {
        reply.error(invalidParams("the document is not open: " + args.uri));
        return;
      }
      const std::string uri = args.uri;
      services_.workspace.whenOpen(uri, [&feature, run, args = std::move(args), reply]() mutable {
        (feature.*run)(args, std::move(reply));
      });
    });
  };
}

template <typename Params, typename Feature>
void CoWriter::requestOnBook(HandlerTable &table, const char *method, Feature &feature,
                             void (Feature::*run)(const Params &, ReplyOnce)) {
  table.request<Params>(method, [this, &feature, run](const Params &params, ReplyOnce reply) {
    std::string uri;
    if constexpr (requires { params.textDocument.uri; })
      uri = params.textDocument.uri;
    else
      uri = params.uri;
    services_.workspace.whenOpen(uri, [&feature, run, params, reply]() mutable { (feature.*run)(params, std::move(reply)); });
  });
}

CoWriter::CoWriter(LspServer &server, Options options)
    : services_(server, std::move(options)), check_(services_), continue_(services_, check_), ghostText_(services_),
      plans_(services_),
      story_(services_,
             [this](const std::string &uri) {
               documentClosed(uri);
               services_.workspace.attach(uri);
             }),
      extraction_(services_), views_(services_) {
  using namespace protocol;
  command(kContinueCommand, continue_, &ContinueFeature::run);
  command(kNewStoryCommand, story_, &StoryCommands::newStory);
  command(kAdoptCommand, story_, &StoryCommands::adopt);
  command(kMakeBookCommand, story_, &StoryCommands::makeBook);
  command(kNewChapterCommand, story_, &StoryCommands::newChapter);
  command(kSuggestPlansCommand, plans_, &PlansFeature::suggest);
  command(kSetPlansCommand, plans_, &PlansFeature::setPlans);
  command(kSetShortTermMemoryCommand, plans_, &PlansFeature::setShortTermMemory);
  command(kUndoStepCommand, plans_, &PlansFeature::undoStep);
  command(kAcceptInlineCommand, ghostText_, &GhostTextFeature::accept);
  command(kCheckCommand, check_, &ContinuityCheck::run);
  command(kExtractBibleEntriesCommand, extraction_, &BibleExtraction::run);
}

CoWriter::~CoWriter() {
  shutdown();
  services_.pool.join(); // before the features its jobs point to go
}

void CoWriter::shutdown() {
  services_.stopping = true;
  services_.workspace.stop();
}

void CoWriter::bind(HandlerTable &table) {
  table.request("workspace/executeCommand", this, &CoWriter::onExecuteCommand);
  // A book's memory is read on the pool: these answer once it is open (at once when it is).
  requestOnBook(table, "textDocument/codeAction", plans_, &PlansFeature::codeActions);
  requestOnBook(table, "textDocument/codeLens", plans_, &PlansFeature::codeLenses);
  requestOnBook(table, "textDocument/inlineCompletion", ghostText_, &GhostTextFeature::complete);
  requestOnBook(table, "recurrent/storyState", views_, &MemoryViews::storyState);
  requestOnBook(table, "recurrent/lastPrompt", views_, &MemoryViews::lastPrompt);
  requestOnBook(table, "recurrent/bookOutline", views_, &MemoryViews::bookOutline);
  table.request("workspace/symbol", this, &CoWriter::onWorkspaceSymbol);
  table.notification("workspace/didChangeWatchedFiles", this, &CoWriter::onWatchedFilesChanged);
}

json CoWriter::capabilities() const {
  json commands = json::array({kIgnoreFindingCommand, kShowPassageCommand});
  for (const auto &[name, run] : commands_)
    commands.push_back(name);
  return json{
      {"executeCommandProvider", {{"commands", commands}}},
      {"codeActionProvider", {{"codeActionKinds", {kActionKind}}}},
      {"codeLensProvider", {{"resolveProvider", false}}},
      {"inlineCompletionProvider", json::object()},
      {"workspaceSymbolProvider", true},
  };
}

void CoWriter::onWorkspaceSymbol(const protocol::WorkspaceSymbolParams &params, ReplyOnce reply) {
  std::vector<std::string> stories; // a chapter of each
  for (OpenBook *book : services_.workspace.books())
    if (book->story && !book->uris.empty())
      stories.push_back(*book->uris.begin());
  services_.workspace.whenOpen(std::move(stories), [this, params, reply]() mutable {
    views_.workspaceSymbol(params, std::move(reply));
  });
}

void CoWriter::onExecuteCommand(const protocol::ExecuteCommandParams &params, ReplyOnce reply) {
  auto it = commands_.find(params.command);
  if (it == commands_.end()) {
    if (services_.server.bible().executeCommand(params, reply))
      return;
    reply.error(invalidParams("unknown command: " + params.command));
    return;
  }
  const json *object = nullptr;
  protocol::ParseIssue issue;
  if (!protocol::commandObject(params.arguments, object, issue)) {
    reply.error(invalidParams("invalid params: " + issue.describe()));
    return;
  }
  it->second(*object, std::move(reply));
}

void CoWriter::documentOpened(const std::string &uri) {
  if (isBibleFile(uri))
    return;
  services_.workspace.attach(uri);
  if (OpenBook *st = services_.workspace.bookOf(uri); st->book && st->layout.isFolder())
    st->book->reloadFromDisk(); // the chapter may be new since the book last listed its files
  // Settings usually arrive just after didOpen: give them a moment before the first index.
  services_.scheduleIndex(uri, std::chrono::milliseconds(50));
}

void CoWriter::documentChanged(const std::string &uri) {
  OpenBook *st = services_.workspace.bookOf(uri);
  if (!st)
    return;
  // The ghost-text offer survives edits: accepting it is itself an edit. acceptInline checks
  // that its paragraph is in the document.
  st->jobs.edited(uri); // a running index starts over after the debounce; a ghost text asked for is stale
  services_.scheduleIndex(uri);
  if (auto pending = std::move(st->pendingCheck)) // tried once more: with the edit, or never
    check_.afterStep(uri, pending->at, pending->inserted);
  if (const Document *doc = services_.server.documents().find(uri); doc && !st->jobs.writing())
    if (auto step = services_.stepWatch.vanished(uri, doc->manuscript))
      services_.stepTextVanished(uri, *step);
}

void CoWriter::documentClosed(const std::string &uri) {
  std::shared_ptr<OpenBook> st = services_.workspace.detach(uri);
  if (!st)
    return;
  services_.stepWatch.forget(uri);
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
  services_.scheduleIndex(*st->uris.begin());
}

void CoWriter::nameRenamed(const engine::BookLayout &book, const std::string &oldName, const std::string &newName) {
  OpenBook *open = services_.workspace.bookWithState(book.paths().dir);
  if (!open) {
    if (book.hasState())
      renameInClosedBook(book, oldName, newName);
    return;
  }
  if (!open->story) {
    spdlog::info("renamed {} to {} in {}: not a story, no state to follow", oldName, newName, book.root().string());
    return;
  }
  const std::string uri = *open->uris.begin();
  services_.workspace.whenOpen(uri, [this, uri, oldName, newName] {
    auto session = services_.workspace.writableSession(uri);
    if (!session) {
      services_.showError("renaming " + oldName + " in the story's memory", session.error());
      return;
    }
    auto changed = (*session)->renameInState(oldName, newName);
    if (!changed)
      services_.showError("renaming " + oldName + " in the story's memory", changed.error());
    else
      spdlog::info("renamed {} to {} in the story's state: {} pieces", oldName, newName, *changed);
  });
}

void CoWriter::renameInClosedBook(const engine::BookLayout &book, const std::string &oldName,
                                  const std::string &newName) {
  const std::string what = "renaming " + oldName + " in the story's memory";
  auto config = services_.workspace.configFor(services_.server.settingsFor(protocol::pathToUri(book.root())));
  if (!config) {
    services_.showError(what, config.error());
    return;
  }
  // Opening a book reads its whole memory: on the pool, under the writer lock, closed again after.
  services_.background<Result<std::size_t>>(
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
          services_.showError(what, changed.error());
        else
          spdlog::info("renamed {} to {} in the state of a book with no chapter open: {} pieces", oldName, newName,
                       *changed);
      });
}

void CoWriter::reportBadNotification(const std::string &method, const protocol::ParseIssue &issue) {
  services_.server.reportBadNotification(method, issue);
}

void CoWriter::onWatchedFilesChanged(const WatchedFilesParams &params) {
  std::vector<fs::path> paths;
  for (const auto &uri : params.uris)
    if (auto path = protocol::uriToPath(uri))
      paths.push_back(*path);
  services_.server.bible().filesChanged(paths);
  std::set<OpenBook *> touched;
  for (const auto &uri : params.uris) {
    auto path = protocol::uriToPath(uri);
    if (!path || insideStateFolder(*path))
      continue;
    const fs::path file = path->lexically_normal();
    for (OpenBook *state : services_.workspace.books()) {
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
    services_.scheduleIndex(*state->uris.begin());
  }
}

void CoWriter::settingsChanged() {
  for (OpenBook *state : services_.workspace.books()) {
    const std::string &uri = *state->uris.begin(); // a book takes the settings of its first chapter
    if (state->session && !state->settings.sameSession(services_.server.settingsFor(uri)) && !state->jobs.writing()) {
      services_.workspace.reopenLater(*state); // with the new backend
      services_.scheduleIndex(uri);
    } else if (!state->story && services_.server.settingsFor(uri).autoAdopt.value_or(false)) {
      services_.scheduleIndex(uri);
    }
  }
}

} // namespace recurrent::server
