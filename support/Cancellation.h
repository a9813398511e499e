// Cancellation tokens passed from the server (or a signal handler) into the engine.
//
// A CancelSource owns the flag; CancelTokens are cheap copies that observe it.
// Long work (HTTP streams, indexing loops) polls token.cancelled(). Thread-safe:
// any thread may cancel, any thread may poll.
#pragma once

#include <atomic>
#include <memory>

namespace recurrent {

class CancelToken {
public:
  /// A token that is never cancelled.
  CancelToken() = default;
  bool cancelled() const { return flag_ && flag_->load(std::memory_order_relaxed); }

private:
  friend class CancelSource;
  explicit CancelToken(std::shared_ptr<std::atomic<bool>> flag) : flag_(std::move(flag)) {}
  std::shared_ptr<std::atomic<bool>> flag_;
};

class CancelSource {
public:
  CancelSource() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  CancelToken token() const { return CancelToken(flag_); }

private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

} // namespace recurrent
