// ReplyOnce: the handle a request handler answers through, exactly once.
//
// Copies share one state. The first reply is sent; a second is logged and dropped; if every copy
// is destroyed without a reply, the client gets InternalError (a handler that forgets to answer
// must not leave the editor waiting forever). The handle also carries the request's cancel token.
// Thread-safety: any thread may reply (the sink it writes to is thread-safe).
#pragma once

#include "protocol/JsonRpc.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace recurrent::server {

using protocol::json;

class ReplyOnce {
public:
  /// Receives the one outgoing reply: a result, or an error.
  using Sink = std::function<void(const protocol::RequestId &, std::optional<json> result,
                                  std::optional<protocol::ResponseError> error)>;

  ReplyOnce(protocol::RequestId id, std::string method, CancelToken token, Sink sink);

  /// Replies with a result (anything with a to_json).
  template <typename T> void operator()(const T &result) { send(json(result), std::nullopt); }
  void operator()(json result) { send(std::move(result), std::nullopt); }
  void error(protocol::ResponseError error) { send(std::nullopt, std::move(error)); }
  /// Maps an engine Error: Cancelled → RequestCancelled, InvalidArgument → InvalidParams, else RequestFailed.
  void error(const Error &error);

  const CancelToken &token() const { return state_->token; }
  const std::string &method() const { return state_->method; }
  const protocol::RequestId &id() const { return state_->id; }
  bool replied() const { return state_->replied.load(); }

private:
  struct State {
    protocol::RequestId id;
    std::string method;
    CancelToken token;
    Sink sink;
    std::atomic<bool> replied{false};
    ~State();
  };
  void send(std::optional<json> result, std::optional<protocol::ResponseError> error);

  std::shared_ptr<State> state_;
};

/// The errors a handler answers most: bad arguments (InvalidParams), and a request that cannot be done
/// now, with why (RequestFailed).
protocol::ResponseError invalidParams(std::string message);
protocol::ResponseError requestFailed(std::string message);

} // namespace recurrent::server
