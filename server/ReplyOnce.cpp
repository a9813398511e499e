// ReplyOnce (see ReplyOnce.h).
#include "server/ReplyOnce.h"

#include <spdlog/spdlog.h>

namespace recurrent::server {

ReplyOnce::ReplyOnce(protocol::RequestId id, std::string method, CancelToken token, Sink sink)
    : state_(std::make_shared<State>()) {
  state_->id = std::move(id);
  state_->method = std::move(method);
  state_->token = std::move(token);
  state_->sink = std::move(sink);
}

ReplyOnce::State::~State() {
  if (replied.load())
    return;
  spdlog::error("{} ({}) was dropped without a reply", method, protocol::describeId(id));
  sink(id, std::nullopt,
       protocol::ResponseError{protocol::InternalError, "server failed to reply to " + method, std::nullopt});
}

void ReplyOnce::error(const Error &e) {
  int code = protocol::RequestFailed;
  if (e.kind == ErrorKind::Cancelled)
    code = protocol::RequestCancelled;
  else if (e.kind == ErrorKind::InvalidArgument)
    code = protocol::InvalidParams;
  error(protocol::ResponseError{code, e.message, std::nullopt});
}

void ReplyOnce::send(std::optional<json> result, std::optional<protocol::ResponseError> error) {
  if (state_->replied.exchange(true)) {
    spdlog::error("{} ({}) replied twice; the second reply is dropped", state_->method,
                  protocol::describeId(state_->id));
    return;
  }
  state_->sink(state_->id, std::move(result), std::move(error));
}

protocol::ResponseError invalidParams(std::string message) {
  return {protocol::InvalidParams, std::move(message), std::nullopt};
}

protocol::ResponseError requestFailed(std::string message) {
  return {protocol::RequestFailed, std::move(message), std::nullopt};
}

} // namespace recurrent::server
