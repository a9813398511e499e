// InMemoryTransport: the server's transport for tests and benchmarks, with the client's end attached.
//
// Inbound bytes go through the same FrameDecoder as stdio, so tests can also send garbage; outbound
// bodies are queued for the client unframed. Thread-safety: every method is safe from any thread;
// read() is the server's reader thread, write() its writer thread, the client* methods the test's.
#pragma once

#include "server/Transport.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace recurrent::server {

class InMemoryTransport final : public Transport {
public:
  InMemoryTransport() = default;
  explicit InMemoryTransport(protocol::FrameDecoder::Options framing) : frames_(framing) {}

  Inbound read() override;
  bool write(std::string_view body) override;
  void close() override;

  /// Client side: sends one body, framed.
  void clientSend(std::string_view body);
  /// Client side: sends raw bytes (garbage, split frames, wrong lengths).
  void clientSendRaw(std::string_view bytes);
  /// Client side: ends the server's input (like closing stdin).
  void clientCloseInput();
  /// Client side: the next body the server wrote, waiting up to `timeout`.
  std::optional<std::string> clientReceive(std::chrono::milliseconds timeout);
  /// Blocks until the server's reader has returned `count` inbound items in total (up to `timeout`).
  std::size_t readCount();
  bool waitUntilRead(std::size_t count, std::chrono::milliseconds timeout);

private:
  std::mutex mutex_;
  std::condition_variable inboundReady_, outboundReady_, readProgress_;
  protocol::FrameDecoder frames_;
  bool inputEnded_ = false, closed_ = false;
  std::size_t readCount_ = 0;
  std::deque<std::string> outbound_;
};

} // namespace recurrent::server
