// InMemoryTransport (see InMemoryTransport.h).
#include "server/InMemoryTransport.h"

namespace recurrent::server {

Inbound InMemoryTransport::read() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (closed_)
      return {Inbound::Kind::End, {}};
    if (auto event = frames_.next()) {
      ++readCount_;
      readProgress_.notify_all();
      return {event->kind == protocol::FrameEvent::Kind::Message ? Inbound::Kind::Message
                                                                 : Inbound::Kind::FramingError,
              std::move(event->text)};
    }
    if (inputEnded_)
      return {Inbound::Kind::End, {}};
    inboundReady_.wait(lock);
  }
}

bool InMemoryTransport::write(std::string_view body) {
  std::lock_guard lock(mutex_);
  outbound_.emplace_back(body);
  outboundReady_.notify_all();
  return true;
}

void InMemoryTransport::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  inboundReady_.notify_all();
}

void InMemoryTransport::clientSend(std::string_view body) { clientSendRaw(protocol::encodeFrame(body)); }

void InMemoryTransport::clientSendRaw(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  frames_.feed(bytes);
  inboundReady_.notify_all();
}

void InMemoryTransport::clientCloseInput() {
  std::lock_guard lock(mutex_);
  inputEnded_ = true;
  inboundReady_.notify_all();
}

std::optional<std::string> InMemoryTransport::clientReceive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!outboundReady_.wait_for(lock, timeout, [&] { return !outbound_.empty(); }))
    return std::nullopt;
  std::string body = std::move(outbound_.front());
  outbound_.pop_front();
  return body;
}

std::size_t InMemoryTransport::readCount() {
  std::lock_guard lock(mutex_);
  return readCount_;
}

bool InMemoryTransport::waitUntilRead(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return readProgress_.wait_for(lock, timeout, [&] { return readCount_ >= count; });
}

} // namespace recurrent::server
