// Progress: work-done progress shown by the editor (`window/workDoneProgress/create` + `$/progress`).
//
// Used only when the client advertises window.workDoneProgress; otherwise every call is a no-op, so
// callers never branch on capabilities. `begin` goes out once the client accepted the token;
// reports made before that are coalesced to the latest. A cancellable progress exposes a token the
// client cancels through `window/workDoneProgress/cancel`.
// Thread-safety: main strand only (create it, report and end from there).
#pragma once

#include "server/LspServer.h"

#include <memory>
#include <optional>
#include <string>

namespace recurrent::server {

class Progress : public std::enable_shared_from_this<Progress> {
public:
  /// Starts a progress titled `title`.
  static std::shared_ptr<Progress> begin(LspServer &server, std::string title, bool cancellable);
  void report(std::string message, std::optional<std::uint32_t> percentage = std::nullopt);
  void end(std::string message = {});
  /// Cancelled when the user cancels the progress in the editor.
  CancelToken token() const { return cancel_.token(); }
  /// False when the client does not support progress or refused the token.
  bool active() const { return state_ != State::Off; }

private:
  enum class State { Off, Creating, Begun, Ended };
  Progress(LspServer &server, std::string title, bool cancellable);
  void send(const protocol::WorkDoneProgress &value);
  void onCreated(bool accepted);

  LspServer &server_;
  std::string title_;
  bool cancellable_;
  std::string token_;
  State state_ = State::Off;
  CancelSource cancel_;
  std::optional<protocol::WorkDoneProgress> pendingReport_;
  std::optional<std::string> pendingEnd_;
};

} // namespace recurrent::server
