// Answers a fake model's chat request with JSON that follows the request's schema.
//
// The fake OpenAI-compatible server knows nothing of stories: this fills any JSON Schema the
// request carries (response_format.json_schema.schema) with plausible values, so every task of
// the recurrence (init, step, summaries, plans, selection) gets a valid answer. Strings carry the
// property name and a call counter, so tests can tell answers apart; a "paragraph" is a few
// sentences long. Thread-safety: one instance per test; the counter is atomic.
#pragma once

#include "tests/support/FakeLlmServer.h"

#include <atomic>
#include <nlohmann/json.hpp>

namespace recurrent::test {

class SchemaAnswers {
public:
  /// The JSON object the request's schema asks for (an empty object when it carries none).
  nlohmann::json answer(const FakeRequest &request);
  /// A streamed chat answer with answer() as its content.
  FakeResponse respond(const FakeRequest &request);
  /// A handler for FakeLlmServer::setHandler.
  FakeLlmServer::Handler handler();
  int calls() const { return calls_.load(); }

private:
  nlohmann::json fill(const nlohmann::json &schema, const std::string &name, int call);
  std::atomic<int> calls_{0};
};

} // namespace recurrent::test
