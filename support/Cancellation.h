// Cancellation tokens passed from the server (or a signal handler) into the engine.
//
// A CancelSource owns the flag; CancelTokens are cheap copies that observe it. A source may be
// linked to parent tokens: it then also counts as cancelled when any parent is (a continuation
// stops on `$/cancelRequest` and on the progress's cancel button alike). Long work (HTTP streams,
// indexing loops) polls token.cancelled(). Thread-safe: any thread may cancel, any may poll.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

namespace recurrent {

class CancelToken {
public:
  /// A token that is never cancelled.
  CancelToken() = default;
  bool cancelled() const { return state_ && state_->cancelled(); }

private:
  friend class CancelSource;
  struct State {
    std::atomic<bool> flag{false};
    std::vector<CancelToken> parents;
    bool cancelled() const {
      if (flag.load(std::memory_order_relaxed))
        return true;
      for (const auto &p : parents)
        if (p.cancelled())
          return true;
      return false;
    }
  };
  explicit CancelToken(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class CancelSource {
public:
  CancelSource() : state_(std::make_shared<CancelToken::State>()) {}
  /// A source that is also cancelled whenever one of `parents` is.
  explicit CancelSource(std::vector<CancelToken> parents) : CancelSource() { state_->parents = std::move(parents); }
  void cancel() { state_->flag.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return state_->cancelled(); }
  CancelToken token() const { return CancelToken(state_); }

private:
  std::shared_ptr<CancelToken::State> state_;
};

} // namespace recurrent
