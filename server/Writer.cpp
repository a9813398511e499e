// Writer (see Writer.h).
#include "server/Writer.h"

namespace recurrent::server {

Writer::Writer(Transport &transport) : transport_(transport), thread_([this] { loop(); }) {}

Writer::~Writer() { stop(); }

void Writer::send(std::string body) {
  std::lock_guard lock(mutex_);
  if (stopping_)
    return;
  queue_.push_back(std::move(body));
  ready_.notify_one();
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    ready_.notify_one();
  }
  if (thread_.joinable())
    thread_.join();
}

void Writer::loop() {
  bool peerGone = false;
  std::unique_lock lock(mutex_);
  while (true) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty())
      return; // stopping, and everything was written
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (!peerGone)
      peerGone = !transport_.write(body);
    lock.lock();
  }
}

} // namespace recurrent::server
