// Writer: the one thread that writes to the transport, so replies from any thread never interleave.
//
// Thread-safety: send() from any thread; stop() once, from the thread that owns the server.
#pragma once

#include "server/Transport.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace recurrent::server {

class Writer {
public:
  explicit Writer(Transport &transport);
  ~Writer();
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;

  /// Queues one body; silently dropped after stop() or once the peer is gone.
  void send(std::string body);
  /// Writes what is queued, then ends the thread.
  void stop();

private:
  void loop();

  Transport &transport_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace recurrent::server
