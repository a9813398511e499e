#include "server/BookScheduler.h"

namespace recurrent::server {

BookScheduler::BookScheduler(asio::io_context &io) : io_(io) {}

BookScheduler::~BookScheduler() { stop(); }

std::shared_ptr<CancelSource> BookScheduler::startWriting(const std::string &uri, std::vector<CancelToken> parents) {
  pauseIndex();
  writing_ = true;
  writerUri_ = uri;
  job_ = std::make_shared<CancelSource>(std::move(parents));
  return job_;
}

void BookScheduler::hold() { writing_ = true; }

bool BookScheduler::finishWriting() {
  writing_ = false;
  writerUri_.clear();
  job_.reset();
  return takeOwedIndex();
}

void BookScheduler::scheduleIndex(std::chrono::milliseconds delay, std::function<void()> due) {
  if (stopped_)
    return;
  if (!indexTimer_)
    indexTimer_ = std::make_unique<asio::steady_timer>(io_);
  indexTimer_->expires_after(delay);
  indexTimer_->async_wait([due = std::move(due)](const std::error_code &ec) {
    if (!ec)
      due();
  });
}

void BookScheduler::pauseIndex() {
  // Whatever was pending or running is owed again: the end of the job (or the ghost text, or the
  // commit) schedules it, so edits made before are never left out of the memory.
  std::size_t pending = indexTimer_ ? indexTimer_->cancel() : 0;
  if (indexCancel_)
    indexCancel_->cancel();
  if (indexing_ || pending > 0)
    indexOwed_ = true;
}

bool BookScheduler::mayIndex() {
  if (writing_ || indexing_ || asking_) {
    indexOwed_ = true;
    return false;
  }
  return !stopped_;
}

CancelToken BookScheduler::startIndex(std::vector<CancelToken> parents) {
  indexCancel_ = std::make_shared<CancelSource>(std::move(parents));
  indexing_ = true;
  return indexCancel_->token();
}

bool BookScheduler::takeOwedIndex() {
  if (!indexOwed_ || writing_ || stopped_)
    return false;
  indexOwed_ = false;
  return true;
}

std::shared_ptr<CancelSource> BookScheduler::startCheck() {
  check_ = std::make_shared<CancelSource>();
  return check_;
}

BookScheduler::GhostText BookScheduler::startGhostText(const std::string &uri, std::vector<CancelToken> parents) {
  if (ghost_.cancel)
    ghost_.cancel->cancel();
  pauseIndex();
  ghostUri_ = uri;
  ghost_ = GhostText{std::make_shared<CancelSource>(std::move(parents)), std::make_shared<std::atomic<bool>>(false)};
  return ghost_;
}

void BookScheduler::edited(const std::string &uri) {
  if (indexing_ && !writing_) // an index of stale text: it runs again after the debounce
    indexOwed_ = true;
  if (ghost_.cancel && ghostUri_ == uri) {
    ghost_.stale->store(true);
    ghost_.cancel->cancel();
    ghost_ = {};
  }
}

bool BookScheduler::closed(const std::string &uri) {
  if (ghost_.cancel && ghostUri_ == uri) {
    ghost_.cancel->cancel();
    ghost_ = {};
  }
  if (job_ && writerUri_ == uri) {
    job_->cancel();
    return true;
  }
  return false;
}

void BookScheduler::stop() {
  stopped_ = true;
  for (const auto &source : {indexCancel_, job_, check_, ghost_.cancel})
    if (source)
      source->cancel();
  if (indexTimer_)
    indexTimer_->cancel();
}

} // namespace recurrent::server
