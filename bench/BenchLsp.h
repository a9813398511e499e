// BenchLsp: the bench side of the in-memory LSP transport: a client that waits for its replies,
// and the timing helpers the LSP benches share.
#pragma once

#include "protocol/JsonRpc.h"
#include "server/InMemoryTransport.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace recurrent::bench {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

class Client {
public:
  explicit Client(server::InMemoryTransport &t) : t_(t) {}
  void notify(const std::string &method, const json &params) {
    t_.clientSend(protocol::serializeNotification(method, params));
  }
  /// Sends a request and waits for its reply, dropping anything else the server sent.
  json call(const std::string &method, const json &params) {
    std::int64_t id = next_++;
    t_.clientSend(protocol::serializeRequest(id, method, params));
    while (auto body = t_.clientReceive(std::chrono::seconds(60))) {
      json m = json::parse(*body);
      if (m.contains("id") && m["id"] == id && !m.contains("method"))
        return m;
    }
    std::fprintf(stderr, "no reply to %s\n", method.c_str());
    std::exit(1);
  }

private:
  server::InMemoryTransport &t_;
  std::int64_t next_ = 1;
};

inline double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

inline double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

} // namespace recurrent::bench
