// StateLock: one writer per story, across processes.
//
// An advisory `flock` on a `lock` file inside the story's state folder. Whoever holds it may write
// the state (story.json, memory.jsonl, calls.jsonl, history/); a second process on the same story
// (another editor window, `recurrent write`, a server a closed window left behind) either waits or
// works read-only. The kernel releases the lock when the holder's file is closed, so a process killed
// with -9 never leaves a stale lock. The file also names its holder (pid and role), for the message
// the second process shows; the name is informative only, the flock is the truth.
//
// flock locks belong to an open file description: two StateLocks on one folder in one process
// exclude each other too, so a process keeps one lock per story and shares it.
// Thread-safety: a StateLock is immutable once acquired; the static functions are thread-safe.
#pragma once

#include "support/Cancellation.h"
#include "support/Error.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace recurrent::engine {

class StateLock {
public:
  /// What one try gave: the lock, or (lock null) who holds it, e.g. "process 4242 (recurrent lsp)".
  struct Attempt {
    std::unique_ptr<StateLock> lock;
    std::string holder;
  };

  /// One non-blocking try on `stateDir` (created when missing). `role` is written for others to read
  /// ("recurrent lsp", "recurrent write"). Errors are I/O failures only, never "held".
  static Result<Attempt> tryAcquire(const std::filesystem::path &stateDir, std::string_view role);

  /// Waits until the lock is free (polls every `poll`), telling `onWait` once who holds it.
  /// Ends with Cancelled when `cancel` fires first.
  static Result<std::unique_ptr<StateLock>> acquire(const std::filesystem::path &stateDir, std::string_view role,
                                                    const CancelToken &cancel,
                                                    const std::function<void(const std::string &holder)> &onWait,
                                                    std::chrono::milliseconds poll = std::chrono::milliseconds(200));

  ~StateLock();
  StateLock(const StateLock &) = delete;
  StateLock &operator=(const StateLock &) = delete;

  const std::filesystem::path &dir() const { return dir_; }
  /// The lock file's name inside a state folder (not part of the story's state).
  static constexpr const char *kFileName = "lock";

private:
  StateLock(std::filesystem::path dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::filesystem::path dir_;
  int fd_ = -1;
};

} // namespace recurrent::engine
