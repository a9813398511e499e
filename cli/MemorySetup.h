// What `recurrent index` and `recurrent search` share: finding the book a path names,
// opening it through engine::openBook (so summaries go through the recorded model),
// asking before a paid model summarises many paragraphs, and refreshing the memory with
// a progress line on a terminal and Ctrl-C turned into a clean cancellation.
#pragma once

#include "cli/Args.h"
#include "engine/book/Book.h"
#include "engine/book/BookLayout.h"
#include "engine/book/StateLock.h"
#include "engine/llm/BackendConfig.h"
#include "engine/memory/MemoryIndexer.h"

#include <csignal>
#include <memory>
#include <string>
#include <vector>

namespace recurrent::cli {

/// The options both commands take (besides --json and --help).
std::vector<OptionSpec> memoryOptionSpecs();

/// The book `path` names: the folder book holding it (a folder, or a file inside a folder
/// book), else the folder itself as a new folder book, else the file as a one-file story.
engine::BookLayout resolveBook(const std::string &path);

/// The backend the flags and the environment ask for.
Result<engine::BackendConfig> backendConfigFrom(const Args &args);

struct MemorySession {
  std::string path;                        ///< as given on the command line
  engine::BackendConfig config;
  std::unique_ptr<engine::Book> book;
  std::shared_ptr<const engine::BookSnapshot> snapshot;
  std::unique_ptr<engine::StateLock> lock; ///< the story's writer lock; null when read-only
};

/// What a command does when another process (an editor's server, a write) holds the story's lock.
enum class WhenLocked {
  Wait,     ///< wait for it, saying who holds it (Ctrl-C stops): index must write
  ReadOnly, ///< go on without it and never write: search reads the memory as last saved
};

/// Reads the book and opens its memory with the backends the options ask for, as the story's one
/// writer or (see WhenLocked) read-only.
Result<MemorySession> openMemorySession(const std::string &path, const Args &args, const char *command,
                                        WhenLocked whenLocked);

/// Brings the memory up to date (nothing to do when read-only). First asks, when a paid model would summarise more than
/// --confirm-above new paragraphs: proceeds with --yes or a "y" typed on a terminal, else
/// fails (Cancelled) having sent nothing. On a terminal (stderr), shows a progress line when
/// the work takes a while. Ctrl-C cancels; the work done so far stays saved.
Result<engine::IndexReport> refreshMemory(MemorySession &session, const Args &args, const char *command);

/// Prints `estimate` (what a paid model would be asked to do) and asks "Proceed? [y/N]" on a terminal; true
/// for a typed y. Without a terminal: false, saying to run again with --yes.
bool confirmSpend(const std::string &estimate, const char *command);

/// While it lives, Ctrl-C cancels token() instead of killing the process (the work done so far is saved).
class InterruptScope {
public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope &) = delete;
  InterruptScope &operator=(const InterruptScope &) = delete;
  CancelToken token() const { return source_.token(); }

private:
  CancelSource source_;
  struct sigaction previous_ {};
};

/// "recurrent <command>: <message>" on stderr.
void printError(const char *command, const std::string &message);

} // namespace recurrent::cli
