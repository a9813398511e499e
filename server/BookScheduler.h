// BookScheduler: what runs for one book, and when (one queue per book, after clangd's TUScheduler).
//
//   the writing job   one at a time: a continuation, an opening, an adoption, plans, a requested
//                     check, or a cost question that holds the book while the writer decides
//   the index         debounced after edits; paused while a job writes, owed again afterwards, so
//                     no edit is ever left out of the memory
//   the side check    the model's check of a step's paragraph, beside writing (a next Continue
//                     need not wait for it)
//   the ghost text    the latest request only; an edit of its document makes it stale, and it
//                     answers ContentModified (-32801) instead of a paragraph for text that changed
//
// Features ask it for cancel sources and say when their work ends; the flags live here, not in
// every feature. Thread-safety: main strand only; the cancel sources it hands out may be polled
// from any thread.
#pragma once

#include "support/Cancellation.h"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace recurrent::server {

class BookScheduler {
public:
  explicit BookScheduler(asio::io_context &io);
  ~BookScheduler();
  BookScheduler(const BookScheduler &) = delete;
  BookScheduler &operator=(const BookScheduler &) = delete;

  // The writing job.
  /// A job or a question holds the book: another writing command is refused.
  bool writing() const { return writing_; }
  /// Starts the book's one job in `uri` (pausing the index); cancelled by `parents` or by closing `uri`.
  std::shared_ptr<CancelSource> startWriting(const std::string &uri, std::vector<CancelToken> parents);
  /// Holds the book without a job (an estimate is made, a question is open).
  void hold();
  /// The job or the hold ended; true when an index is owed (edits were made meanwhile).
  bool finishWriting();
  /// The cost question of an index is on the writer's screen.
  bool asking() const { return asking_; }
  void setAsking(bool asking) { asking_ = asking; }
  /// Anything running or waiting on the writer (for a status bar's "busy").
  bool busy() const { return writing_ || indexing_ || asking_; }

  // The index.
  /// Runs `due` after `delay`, replacing an index already scheduled.
  void scheduleIndex(std::chrono::milliseconds delay, std::function<void()> due);
  /// Stops a scheduled or running index; it is owed again (see takeOwedIndex).
  void pauseIndex();
  bool indexing() const { return indexing_; }
  /// Whether an index may start now; when not (a job, an index or a question is on), it is owed.
  bool mayIndex();
  /// The running index's cancel source, linked to `parents`.
  CancelToken startIndex(std::vector<CancelToken> parents);
  void finishIndex() { indexing_ = false; }
  /// True (once) when an index is owed and nothing writes: the caller schedules it.
  bool takeOwedIndex();

  // The side check.
  bool checking() const { return static_cast<bool>(check_); }
  std::shared_ptr<CancelSource> startCheck();
  void finishCheck() { check_.reset(); }

  // The ghost text.
  struct GhostText {
    std::shared_ptr<CancelSource> cancel;
    std::shared_ptr<std::atomic<bool>> stale; ///< cancelled by an edit of its document
  };
  /// Starts a ghost-text request in `uri`, superseding an older one (which ends cancelled).
  GhostText startGhostText(const std::string &uri, std::vector<CancelToken> parents);

  // Events.
  /// `uri` was edited: a running index is of stale text (it runs again) and its ghost text is stale.
  void edited(const std::string &uri);
  /// `uri` was closed: its ghost text and a job writing in it are cancelled; true for a job.
  bool closed(const std::string &uri);
  /// Cancels everything, for good (the book's last document closed, or the server stops).
  void stop();

private:
  asio::io_context &io_;
  std::unique_ptr<asio::steady_timer> indexTimer_;
  std::shared_ptr<CancelSource> indexCancel_;
  bool indexing_ = false;
  bool indexOwed_ = false;
  bool writing_ = false;
  bool asking_ = false;
  bool stopped_ = false;
  std::string writerUri_;
  std::shared_ptr<CancelSource> job_;
  std::shared_ptr<CancelSource> check_;
  std::string ghostUri_;
  GhostText ghost_;
};

} // namespace recurrent::server
