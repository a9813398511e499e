// ParentWatch: ends the server when the editor that started it is gone.
//
// An editor that dies (or a window closed during a long index) may leave its server running with
// nobody to answer, re-parented to init and still calling the model. The LSP specification's
// answer is `processId` in `initialize`: the server checks it periodically and exits when that
// process no longer exists. A change of the server's own parent process counts the same, for
// clients that send no processId.
//
// Thread-safety: created, checked and destroyed on the main strand (its timer runs there).
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace recurrent::server {

class ParentWatch {
public:
  /// Calls `gone` once, on the main strand, when `processId` (if given) or the parent process ends.
  ParentWatch(asio::io_context &io, std::optional<std::int64_t> processId, std::function<void()> gone,
              std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~ParentWatch();
  ParentWatch(const ParentWatch &) = delete;
  ParentWatch &operator=(const ParentWatch &) = delete;

  /// Whether a process with this id exists (permission to signal it aside).
  static bool alive(std::int64_t processId);

private:
  void arm();

  asio::steady_timer timer_;
  std::optional<std::int64_t> processId_;
  long parent_;
  std::function<void()> gone_;
  std::chrono::milliseconds interval_;
};

} // namespace recurrent::server
