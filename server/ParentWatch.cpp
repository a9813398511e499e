#include "server/ParentWatch.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace recurrent::server {

ParentWatch::ParentWatch(asio::io_context &io, std::optional<std::int64_t> processId, std::function<void()> gone,
                         std::chrono::milliseconds interval)
    : timer_(io), processId_(processId), parent_(static_cast<long>(::getppid())), gone_(std::move(gone)),
      interval_(interval) {
  arm();
}

ParentWatch::~ParentWatch() { timer_.cancel(); }

bool ParentWatch::alive(std::int64_t processId) {
  if (processId <= 0)
    return true; // not a process we can check
  return ::kill(static_cast<pid_t>(processId), 0) == 0 || errno != ESRCH;
}

void ParentWatch::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const std::error_code &ec) {
    if (ec)
      return;
    if (processId_ && !alive(*processId_)) {
      spdlog::warn("the editor (process {}) is gone; exiting", *processId_);
      gone_();
      return;
    }
    if (static_cast<long>(::getppid()) != parent_) {
      spdlog::warn("the process that started the server (pid {}) is gone; exiting", parent_);
      gone_();
      return;
    }
    arm();
  });
}

} // namespace recurrent::server
