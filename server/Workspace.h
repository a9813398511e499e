// Workspace: the open books: which book each open document belongs to, and each book's session,
// writer lock, latest snapshot and scheduler (the server's one mutable picture of the world, after
// rust-analyzer's GlobalState; pool jobs get BookSnapshots and sessions, never this).
//
// A document belongs to the folder book whose chapter it is (`BOOK/.recurrent/book/`), else to its
// own one-file story. The open chapters of one book share one OpenBook. A book becomes a story only
// on the writer's word (makeStory) or with recurrent.autoAdopt; until then it has no session, so
// nothing is written beside it and nothing reaches a model.
//
// Thread-safety: main strand only.
#pragma once

#include "engine/book/Book.h"
#include "engine/book/StateLock.h"
#include "engine/llm/BackendConfig.h"
#include "engine/story/StorySession.h"
#include "server/BookScheduler.h"
#include "server/Settings.h"

#include <asio/thread_pool.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace recurrent::server {

class LspServer;

/// The state's own files (`.recurrent/**`) are never stories, whatever the writer or autoAdopt says.
bool insideStateFolder(const std::filesystem::path &path);
/// The book a file belongs to: the folder book whose chapter it is, else its own one-file story.
engine::BookLayout layoutOf(const std::filesystem::path &file);
/// An entry file of a book's bible: the bible's navigation serves it; it is never a story.
bool isBibleFile(const std::string &uri);

/// One book with at least one open document.
struct OpenBook {
  explicit OpenBook(asio::io_context &io) : jobs(io) {}

  engine::BookLayout layout;  ///< empty for a document without a file
  std::set<std::string> uris; ///< its open documents (chapters)
  bool story = false;         ///< the writer made it a story (its state exists); else no session, no model
  std::shared_ptr<engine::Book> book;            ///< opened on first use, with `settings`
  std::shared_ptr<engine::StorySession> session; ///< book->sessionPtr()
  std::shared_ptr<const engine::BookSnapshot> lastSnapshot; ///< the latest the server built
  std::shared_ptr<engine::StateLock> lock; ///< held: this server writes the story's state
  bool readOnly = false; ///< the session was opened while another process held the lock
  std::string readOnlyReason;
  Settings settings;        ///< what the session was opened with
  std::string sessionError; ///< the last failure to open or use it, reported once
  BookScheduler jobs;
  /// While the book opens on the pool: what waits for it (Workspace::whenOpen).
  std::vector<std::function<void()>> waitingForOpen;
  bool opening = false;
  std::optional<Error> openFailure; ///< why the last opening failed, for the callers it ran for

  // What the features keep between requests.
  bool summariesApproved = false; ///< the writer accepted the summary cost of the next index
  bool summariesDeclined = false; ///< ... or declined it: indexing waits for an explicit Adopt
  bool indexedOnce = false;       ///< the session's first index is done (later ones stay quiet)
  /// A step's paragraph inserted at `at`, to check once the editor's text has it.
  struct PendingCheck {
    std::size_t at = 0;
    std::string inserted;
  };
  std::optional<PendingCheck> pendingCheck;
  /// The ghost text on offer, committed as a step if the writer accepts it.
  struct InlineOffer {
    std::uint64_t id = 0;
    engine::PendingStep step;
  };
  std::optional<InlineOffer> offer;
};

class Workspace {
public:
  /// Books are opened (their memory read from disk) on `pool`, never on the main strand.
  Workspace(LspServer &server, asio::thread_pool &pool, engine::EnvLookup environment);

  OpenBook *bookOf(const std::string &uri);
  const OpenBook *bookOf(const std::string &uri) const;
  /// Files `uri` to its book (shared with the book's other open chapters), once.
  OpenBook &attach(const std::string &uri);
  /// Takes `uri` out of its book and returns the book (null for a document it did not know). A book
  /// left without documents is forgotten: its scheduler is stopped.
  std::shared_ptr<OpenBook> detach(const std::string &uri);
  /// The open book whose state folder is `dir`.
  OpenBook *bookWithState(const std::filesystem::path &dir);
  std::vector<OpenBook *> books();
  /// Cancels every book's work (the server stops).
  void stop();

  /// Runs `then` on the main strand once the document's book is open for its current settings
  /// (at once when it is; after its opening on the pool when not; for a document that is not a story,
  /// or not open, at once: session() then says why). Callers of session() go through this first.
  void whenOpen(const std::string &uri, std::function<void()> then);
  /// whenOpen for each of `uris`, then `then` once.
  void whenOpen(std::vector<std::string> uris, std::function<void()> then);

  /// The session of an open document's book, as whenOpen left it; the error is user-facing.
  Result<std::shared_ptr<engine::StorySession>> session(const std::string &uri);
  /// The session, only while this server holds the story's writer lock (tried again on each call);
  /// else the read-only reason.
  Result<std::shared_ptr<engine::StorySession>> writableSession(const std::string &uri);
  /// The book's text now: every open chapter's editor text over the files on disk.
  std::shared_ptr<const engine::BookSnapshot> snapshot(OpenBook &book);
  /// Which chapter of `snapshot` the document is; the error is user-facing.
  static Result<std::size_t> chapterOf(const std::string &uri, const engine::BookSnapshot &snapshot);
  /// The writer's word (adopt, new story): the open file becomes a story. Refused for state files.
  Status makeStory(const std::string &uri);
  /// The session of a book no longer matches its settings: reopened with them on next use.
  void reopenLater(OpenBook &book);

  /// The backend the settings and the environment ask for.
  Result<engine::BackendConfig> configFor(const Settings &settings) const;
  Result<engine::BackendConfig> configFor(const std::string &uri) const;
  /// "offline", "openai", "anthropic": the provider of those settings.
  std::string providerOf(const Settings &settings) const;

private:
  /// Tries to become the story's one writer; false (read-only, said once to the writer) when another
  /// process holds its lock.
  bool claimWriter(OpenBook &book, const std::filesystem::path &stateDir);
  /// The session may be used as it is for these settings (a running job keeps the one it started with).
  static bool usable(const OpenBook &book, const Settings &settings);
  /// Opens the book on the pool; the waiting callers run when it is done.
  void open(std::shared_ptr<OpenBook> book, const std::string &uri);

  LspServer &server_;
  asio::thread_pool &pool_;
  engine::EnvLookup environment_;
  std::map<std::string, std::shared_ptr<OpenBook>> docs_;  ///< by document URI
  std::map<std::string, std::shared_ptr<OpenBook>> books_; ///< by state folder (or URI: no file)
};

} // namespace recurrent::server
