// Progress (see Progress.h).
#include "server/Progress.h"

namespace recurrent::server {

Progress::Progress(LspServer &server, std::string title, bool cancellable)
    : server_(server), title_(std::move(title)), cancellable_(cancellable) {}

std::shared_ptr<Progress> Progress::begin(LspServer &server, std::string title, bool cancellable) {
  std::shared_ptr<Progress> p(new Progress(server, std::move(title), cancellable));
  if (!server.clientCapabilities().workDoneProgress)
    return p;
  p->token_ = "recurrent/progress/" + std::to_string(server.nextProgressId());
  p->state_ = State::Creating;
  server.progressTokens()[p->token_] = p->cancel_;
  server.call("window/workDoneProgress/create", protocol::json{{"token", p->token_}},
              [self = p](std::optional<protocol::json>, std::optional<protocol::ResponseError> error) {
                self->onCreated(!error);
              });
  return p;
}

void Progress::onCreated(bool accepted) {
  if (!accepted) {
    state_ = State::Off;
    server_.progressTokens().erase(token_);
    return;
  }
  state_ = State::Begun;
  send({"begin", title_, std::nullopt, std::nullopt, cancellable_});
  if (pendingReport_)
    send(*pendingReport_);
  if (pendingEnd_)
    end(*pendingEnd_);
}

void Progress::report(std::string message, std::optional<std::uint32_t> percentage) {
  protocol::WorkDoneProgress value{"report", std::nullopt, std::move(message), percentage, std::nullopt};
  if (state_ == State::Creating)
    pendingReport_ = std::move(value);
  else if (state_ == State::Begun)
    send(value);
}

void Progress::end(std::string message) {
  if (state_ == State::Creating) {
    pendingEnd_ = std::move(message);
    return;
  }
  if (state_ != State::Begun)
    return;
  state_ = State::Ended;
  send({"end", std::nullopt, message.empty() ? std::nullopt : std::optional(message), std::nullopt, std::nullopt});
  server_.progressTokens().erase(token_);
}

void Progress::send(const protocol::WorkDoneProgress &value) {
  server_.notify("$/progress", protocol::json{{"token", token_}, {"value", value}});
}

} // namespace recurrent::server
