#include "server/Workspace.h"

#include "engine/Backends.h"
#include "protocol/Uri.h"
#include "server/LspServer.h"

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace recurrent::server {

using protocol::json;
namespace fs = std::filesystem;

namespace {

const char *kNotAStory = "this file is not a story yet: run Recurrent: Adopt first; "
                         "until then nothing is written beside it and nothing is sent to a model";
const char *kSaveFirst = "recurrent keeps a story's memory beside its file: save this document to a file first";

} // namespace

bool insideStateFolder(const fs::path &path) {
  for (const auto &part : path)
    if (part == ".recurrent")
      return true;
  return false;
}

engine::BookLayout layoutOf(const fs::path &file) {
  if (!insideStateFolder(file))
    if (auto found = engine::BookLayout::find(file); found && (!found->isFolder() || found->isChapter(file)))
      return *found;
  return engine::BookLayout::singleFile(file);
}

bool isBibleFile(const std::string &uri) {
  auto path = protocol::uriToPath(uri);
  return path && engine::bookOfBibleFile(*path).has_value();
}

Workspace::Workspace(LspServer &server, asio::thread_pool &pool, engine::EnvLookup environment)
    : server_(server), pool_(pool), environment_(std::move(environment)) {}

OpenBook *Workspace::bookOf(const std::string &uri) {
  auto it = docs_.find(uri);
  return it == docs_.end() ? nullptr : it->second.get();
}

const OpenBook *Workspace::bookOf(const std::string &uri) const {
  auto it = docs_.find(uri);
  return it == docs_.end() ? nullptr : it->second.get();
}

OpenBook &Workspace::attach(const std::string &uri) {
  if (OpenBook *known = bookOf(uri))
    return *known;
  auto path = protocol::uriToPath(uri);
  std::optional<engine::BookLayout> layout;
  if (path)
    layout = layoutOf(*path);
  const std::string key = layout ? layout->paths().dir.string() : uri;
  auto &book = books_[key];
  if (!book) {
    book = std::make_shared<OpenBook>(server_.ioContext());
    if (layout) {
      book->layout = *layout;
      book->story = !insideStateFolder(*path) && layout->hasState();
    }
  }
  book->uris.insert(uri);
  docs_[uri] = book;
  return *book;
}

std::shared_ptr<OpenBook> Workspace::detach(const std::string &uri) {
  auto it = docs_.find(uri);
  if (it == docs_.end())
    return nullptr;
  std::shared_ptr<OpenBook> book = it->second;
  docs_.erase(it);
  book->uris.erase(uri);
  if (book->uris.empty()) {
    book->jobs.stop();
    std::erase_if(books_, [&](const auto &entry) { return entry.second == book; });
  }
  return book;
}

OpenBook *Workspace::bookWithState(const fs::path &dir) {
  auto it = books_.find(dir.string());
  return it == books_.end() || it->second->uris.empty() ? nullptr : it->second.get();
}

std::vector<OpenBook *> Workspace::books() {
  std::vector<OpenBook *> out;
  for (auto &[key, book] : books_)
    out.push_back(book.get());
  return out;
}

void Workspace::stop() {
  for (auto &[key, book] : books_)
    book->jobs.stop();
}

Result<engine::BackendConfig> Workspace::configFor(const Settings &settings) const {
  engine::BackendOverrides overrides;
  overrides.provider = settings.provider;
  overrides.baseUrl = settings.baseUrl;
  overrides.model = settings.model;
  overrides.embedModel = settings.embedModel;
  overrides.temperature = settings.temperature;
  return engine::resolveBackendConfig(overrides, environment_);
}

Result<engine::BackendConfig> Workspace::configFor(const std::string &uri) const {
  return configFor(server_.settingsFor(uri));
}

std::string Workspace::providerOf(const Settings &settings) const {
  auto config = configFor(settings);
  return config ? config->provider : "offline";
}

bool Workspace::usable(const OpenBook &st, const Settings &settings) {
  // A running job keeps the session it started with, even when the settings changed meanwhile.
  return st.session && (st.settings.sameSession(settings) || st.jobs.writing() || st.jobs.indexing());
}

void Workspace::whenOpen(const std::string &uri, std::function<void()> then) {
  auto it = docs_.find(uri);
  if (it == docs_.end() || !it->second->story || !protocol::uriToPath(uri)) {
    then(); // nothing to open: session() says why
    return;
  }
  std::shared_ptr<OpenBook> st = it->second;
  if (st->readOnly)
    claimWriter(*st, st->layout.paths().dir); // the other writer may be gone: then it is reopened from disk
  if (usable(*st, server_.settingsFor(uri))) {
    then();
    return;
  }
  st->waitingForOpen.push_back(std::move(then));
  if (!st->opening)
    open(st, uri);
}

void Workspace::whenOpen(std::vector<std::string> uris, std::function<void()> then) {
  if (uris.empty()) {
    then();
    return;
  }
  std::string first = std::move(uris.back());
  uris.pop_back();
  whenOpen(first, [this, uris = std::move(uris), then = std::move(then)]() mutable {
    whenOpen(std::move(uris), std::move(then));
  });
}

void Workspace::open(std::shared_ptr<OpenBook> st, const std::string &uri) {
  const Settings settings = server_.settingsFor(uri);
  auto finish = [this, st, settings, uri](Result<std::shared_ptr<engine::Book>> opened) {
    st->opening = false;
    if (opened) {
      st->book = std::move(*opened);
      st->session = st->book->sessionPtr();
      st->lastSnapshot.reset();
      st->settings = settings;
      st->indexedOnce = false;
      for (const auto &note : st->session->notes())
        server_.notify("window/showMessage", json(protocol::ShowMessageParams{protocol::MessageType::Warning, note}));
      spdlog::info("story session for {}: {}{}", uri, st->session->modelDescription(), st->readOnly ? " (read-only)" : "");
    } else {
      st->openFailure = opened.error();
    }
    auto waiting = std::move(st->waitingForOpen);
    st->waitingForOpen.clear();
    for (auto &then : waiting)
      then();
    st->openFailure.reset(); // the next caller tries again (the writer may have fixed the state)
  };
  auto config = configFor(settings);
  if (!config) {
    finish(config.error());
    return;
  }
  // openBook builds the models: a model's summaries go through the session's recorded model, so
  // calls.jsonl, lastPrompt and the call counts see every one and contextTokens bounds them.
  engine::SessionOptions sessionOptions;
  if (settings.topK)
    sessionOptions.topK = static_cast<std::size_t>(std::clamp(*settings.topK, 1, 50));
  if (settings.contextTokens)
    sessionOptions.prompt.contextTokens = std::max(1024, *settings.contextTokens);
  if (settings.temperature)
    sessionOptions.prompt.temperature = *settings.temperature;
  if (settings.bibleShare)
    sessionOptions.prompt.bibleShare = *settings.bibleShare;
  sessionOptions.onWarning = [this](const std::string &message) { // once per message, from a pool thread
    server_.post([this, message] {
      server_.notify("window/showMessage", json(protocol::ShowMessageParams{protocol::MessageType::Warning, message}));
    });
  };
  claimWriter(*st, st->layout.paths().dir);
  st->opening = true;
  engine::BookOptions bookOptions;
  bookOptions.session = sessionOptions;
  // Reading a long book's memory takes a while: on the pool, so the editor's requests keep being answered.
  asio::post(pool_, [this, layout = st->layout, config = *config, bookOptions, finish = std::move(finish)]() mutable {
    auto opened = engine::openBook(layout, config, bookOptions);
    auto result = std::make_shared<Result<std::shared_ptr<engine::Book>>>(
        opened ? Result<std::shared_ptr<engine::Book>>(std::shared_ptr<engine::Book>(std::move(*opened)))
               : Result<std::shared_ptr<engine::Book>>(opened.error()));
    server_.post([result, finish = std::move(finish)]() mutable { finish(std::move(*result)); });
  });
}

Result<std::shared_ptr<engine::StorySession>> Workspace::session(const std::string &uri) {
  OpenBook *st = bookOf(uri);
  if (!st)
    return Error{ErrorKind::InvalidArgument, "the document is not open: " + uri};
  if (st->session)
    return st->session;
  if (!protocol::uriToPath(uri))
    return Error{ErrorKind::Config, kSaveFirst};
  if (!st->story)
    return Error{ErrorKind::Config, kNotAStory};
  if (st->openFailure)
    return *st->openFailure;
  if (auto config = configFor(uri); !config)
    return config.error();
  return Error{ErrorKind::Config, "the story's memory is still being read: try again in a moment"};
}

void Workspace::reopenLater(OpenBook &book) {
  book.session.reset();
  book.book.reset();
  book.lastSnapshot.reset();
  book.sessionError.clear();
}

std::shared_ptr<const engine::BookSnapshot> Workspace::snapshot(OpenBook &st) {
  for (const auto &uri : st.uris)
    if (auto path = protocol::uriToPath(uri))
      if (const Document *doc = server_.documents().find(uri))
        st.book->setOverlay(*path, doc->manuscript.text()); // a no-op when the text is the same
  st.lastSnapshot = st.book->snapshot();
  return st.lastSnapshot;
}

Result<std::size_t> Workspace::chapterOf(const std::string &uri, const engine::BookSnapshot &snapshot) {
  auto path = protocol::uriToPath(uri);
  auto chapter = path ? snapshot.chapterIndex(*path) : std::nullopt;
  if (!chapter)
    return Error{ErrorKind::InvalidArgument,
                 "this file is no longer one of the book's chapters (SUMMARY.md or the folder changed): "
                 "reopen it"};
  return *chapter;
}

bool Workspace::claimWriter(OpenBook &st, const fs::path &stateDir) {
  if (st.lock)
    return true;
  auto attempt = engine::StateLock::tryAcquire(stateDir, "recurrent lsp");
  if (attempt && attempt->lock) {
    st.lock = std::move(attempt->lock);
    if (st.readOnly) {
      // The other writer is gone: what it wrote is on disk, so the session is reopened from there.
      st.readOnly = false;
      st.readOnlyReason.clear();
      st.session.reset();
      st.book.reset();
    }
    return true;
  }
  if (!attempt) {
    // The lock cannot even be made (a folder that may not be written): nothing can be saved there
    // anyway, and checkStateWritable() names the folder to the writer before any model call.
    spdlog::warn("no writer lock for {}: {}", stateDir.string(), attempt.error().message);
    return true;
  }
  std::string reason = "this story is open read-only: " + attempt->holder +
                       " is writing it; close it there to write here (hover, search and the outline work meanwhile)";
  if (!st.readOnly || st.readOnlyReason != reason)
    server_.notify("window/showMessage",
                   json(protocol::ShowMessageParams{protocol::MessageType::Warning, "recurrent: " + reason}));
  st.readOnly = true;
  st.readOnlyReason = std::move(reason);
  return false;
}

Result<std::shared_ptr<engine::StorySession>> Workspace::writableSession(const std::string &uri) {
  auto session = this->session(uri);
  OpenBook *st = bookOf(uri);
  if (!session || st->lock)
    return session;
  if (!claimWriter(*st, (*session)->paths().dir))
    return Error{ErrorKind::Config, st->readOnlyReason};
  if (!st->session)
    whenOpen(uri, [] {}); // it had been read-only: reopened from disk, for the next caller
  return this->session(uri);
}

Status Workspace::makeStory(const std::string &uri) {
  OpenBook *st = bookOf(uri);
  auto path = protocol::uriToPath(uri);
  if (!st || !path)
    return Error{ErrorKind::Config, kSaveFirst};
  if (insideStateFolder(*path))
    return Error{ErrorKind::InvalidArgument,
                 "this is one of recurrent's own state files (inside .recurrent/), not a story"};
  st->story = true;
  st->summariesDeclined = false;
  return okStatus();
}

} // namespace recurrent::server
