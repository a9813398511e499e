// StdioTransport (see Transport.h).
#include "server/Transport.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace recurrent::server {

StdioTransport::StdioTransport(int inFd, int outFd, Options options)
    : inFd_(inFd), outFd_(outFd), options_(options), frames_(options.framing) {
  if (::pipe(wakePipe_) != 0) {
    wakePipe_[0] = wakePipe_[1] = -1;
    spdlog::warn("transport: no wake pipe ({}); close() cannot interrupt a read", std::strerror(errno));
  }
}

StdioTransport::~StdioTransport() {
  for (int fd : wakePipe_)
    if (fd >= 0)
      ::close(fd);
}

std::optional<Inbound> StdioTransport::takeDecoded() {
  auto event = options_.style == InputStyle::Delimited ? delimited_.next() : frames_.next();
  if (!event)
    return std::nullopt;
  return Inbound{event->kind == protocol::FrameEvent::Kind::Message ? Inbound::Kind::Message
                                                                    : Inbound::Kind::FramingError,
                 std::move(event->text)};
}

Inbound StdioTransport::read() {
  char buffer[64 * 1024];
  while (true) {
    if (auto decoded = takeDecoded())
      return std::move(*decoded);
    if (ended_)
      return {Inbound::Kind::End, {}};
    pollfd fds[2] = {{inFd_, POLLIN, 0}, {wakePipe_[0], POLLIN, 0}};
    int n = ::poll(fds, wakePipe_[0] >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || (wakePipe_[0] >= 0 && (fds[1].revents & POLLIN))) {
      ended_ = true;
      continue;
    }
    ssize_t got = ::read(inFd_, buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (got <= 0) {
      if (got < 0)
        spdlog::error("transport: reading input failed: {}", std::strerror(errno));
      if (options_.style == InputStyle::Delimited)
        delimited_.finish();
      else if (frames_.pendingBytes() > 0)
        spdlog::warn("transport: input ended inside a message ({} bytes dropped)", frames_.pendingBytes());
      ended_ = true;
      continue;
    }
    if (options_.style == InputStyle::Delimited)
      delimited_.feed({buffer, static_cast<std::size_t>(got)});
    else
      frames_.feed({buffer, static_cast<std::size_t>(got)});
  }
}

bool StdioTransport::write(std::string_view body) {
  std::string frame = protocol::encodeFrame(body);
  std::string_view rest = frame;
  while (!rest.empty()) {
    ssize_t n = ::write(outFd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      spdlog::error("transport: writing output failed: {}", std::strerror(errno));
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void StdioTransport::close() {
  if (wakePipe_[1] >= 0) {
    char byte = 1;
    [[maybe_unused]] auto n = ::write(wakePipe_[1], &byte, 1);
  }
}

} // namespace recurrent::server
