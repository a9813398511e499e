// OpenAiChatModel against the fake OpenAI-compatible server: streaming, faults, retries,
// structured output and its fallback, cancellation.
#include "engine/llm/OpenAiChatModel.h"
#include "tests/support/FakeLlmServer.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::chatStream;
using recurrent::test::ChatStreamOptions;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeResponse;

namespace {

BackendConfig configFor(const FakeLlmServer &server, int maxAttempts = 4) {
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = server.baseUrl();
  c.model = "fake-model";
  c.maxAttempts = maxAttempts;
  c.connectTimeoutSeconds = 5;
  c.stallTimeoutSeconds = 10; // generous: a loaded machine must not turn into spurious stalls
  c.backoffBaseSeconds = 0.01;
  c.backoffMaxSeconds = 0.05;
  return c;
}

ChatRequest simpleRequest(std::string prompt = "Write one sentence.") {
  ChatRequest r;
  r.task = "test";
  r.messages = {{"system", "You are a novelist."}, {"user", std::move(prompt)}};
  return r;
}

const char *kPlansSchema = R"({"type":"object","properties":{
  "plans":{"type":"array","items":{"type":"string","minLength":1},"minItems":3,"maxItems":3}},
  "required":["plans"],"additionalProperties":false})";

ChatRequest schemaRequest() {
  ChatRequest r = simpleRequest("Propose three plans.");
  r.jsonSchema = kPlansSchema;
  r.schemaName = "plans";
  return r;
}

const std::string kGoodPlans = R"({"plans":["go north","go south","stay"]})";

} // namespace

TEST_CASE("a streamed answer arrives whole, deltas forwarded, usage counted") {
  FakeLlmServer server;
  std::string text = "The lighthouse keeper counted ships — 船 — until dawn.";
  ChatStreamOptions opts;
  opts.lineEnd = "\r\n";
  opts.deltaBytes = 3;
  server.enqueue(chatStream(text, opts).split(7, 5, std::chrono::milliseconds(1)));
  auto config = configFor(server);
  config.apiKey = "sk-test-secret-123";
  OpenAiChatModel model(config);
  std::string streamed;
  ChatCallbacks cb;
  cb.onDelta = [&](std::string_view d) { streamed += d; };
  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == text);
  CHECK(r->rawText == text);
  CHECK(streamed == text);
  CHECK(r->attempts == 1);
  CHECK(r->model == "fake-model");
  CHECK(r->usage.promptTokens == 11);
  CHECK(r->usage.completionTokens > 0);
  CHECK_FALSE(r->usage.estimated);

  auto reqs = server.requests("/v1/chat/completions");
  REQUIRE(reqs.size() == 1);
  const auto &body = reqs[0].json;
  CHECK(body["model"] == "fake-model");
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"]["include_usage"] == true);
  CHECK(body["messages"].size() == 2);
  CHECK(body["messages"][1]["content"] == "Write one sentence.");
  CHECK_FALSE(body.contains("response_format"));
  CHECK(reqs[0].headers["authorization"] == "Bearer sk-test-secret-123");
  CHECK(model.describe().find("sk-test") == std::string::npos);
}

TEST_CASE("usage is estimated when the server sends none, no key means no Authorization header") {
  FakeLlmServer server;
  ChatStreamOptions opts;
  opts.usage = false;
  server.enqueue(chatStream("Twelve chars", opts));
  OpenAiChatModel model(configFor(server));
  auto r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->usage.estimated);
  CHECK(r->usage.completionTokens == 3);
  CHECK(r->usage.promptTokens > 0);
  CHECK(server.requests()[0].headers.count("authorization") == 0);
}

TEST_CASE("429s, a 500 and a cut stream are retried until the answer comes") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(429, "slow down", "0"));
  server.enqueue(FakeResponse::error(429, "slow down"));
  server.enqueue(FakeResponse::error(500, "boom"));
  server.enqueue(chatStream("Half an ans", {}).cutAfter(60));
  ChatStreamOptions noEnd;
  noEnd.finishReason = "";
  noEnd.done = false;
  server.enqueue(chatStream("Ends cleanly but without [DONE]", noEnd));
  server.enqueue(chatStream("At last."));
  OpenAiChatModel model(configFor(server, 6));
  std::vector<RetryNotice> retries;
  std::string streamed;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &n) {
    retries.push_back(n);
    streamed.clear();
  };
  cb.onDelta = [&](std::string_view d) { streamed += d; };
  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == "At last.");
  CHECK(streamed == "At last.");
  CHECK(r->attempts == 6);
  REQUIRE(retries.size() == 5);
  CHECK(retries[0].reason.httpStatus == 429);
  CHECK(retries[0].delaySeconds == 0); // Retry-After: 0 honoured
  CHECK(retries[0].maxAttempts == 6);
  CHECK(retries[1].reason.httpStatus == 429);
  CHECK(retries[1].reason.message.find("rate limited (429)") != std::string::npos);
  CHECK(retries[2].reason.httpStatus == 500);
  CHECK(retries[3].reason.kind == ErrorKind::Network);
  CHECK(retries[4].reason.kind == ErrorKind::Network);
  CHECK(retries[4].reason.message.find("ended before the answer was complete") != std::string::npos);
  CHECK(retries[4].attempt == 5);
  CHECK(server.requestCount() == 6);
}

TEST_CASE("attempts are bounded and the final error names the last failure") {
  FakeLlmServer server;
  for (int i = 0; i < 3; ++i)
    server.enqueue(FakeResponse::error(503, "overloaded"));
  server.enqueue(chatStream("never reached"));
  OpenAiChatModel model(configFor(server, 3));
  auto r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Http);
  CHECK(r.error().httpStatus == 503);
  CHECK(r.error().message.find("gave up after 3 attempts") != std::string::npos);
  CHECK(r.error().message.find("overloaded") != std::string::npos);
  CHECK(server.requestCount() == 3);
}

TEST_CASE("401, 403 and 404 are not retried, and the key never shows in the error") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(401, "Incorrect API key provided: sk-test-secret-123"));
  server.enqueue(FakeResponse::error(403, "no access"));
  server.enqueue(FakeResponse::error(404, "The model `nope` does not exist"));
  auto config = configFor(server);
  config.apiKey = "sk-test-secret-123";
  OpenAiChatModel model(config);
  int retries = 0;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &) { ++retries; };

  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 401);
  CHECK(r.error().message.find("refused the key (401): check RECURRENT_API_KEY") != std::string::npos);
  CHECK(r.error().message.find("sk-test-secret-123") == std::string::npos);

  r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 403);

  r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 404);
  CHECK(r.error().message.find("RECURRENT_MODEL") != std::string::npos);
  CHECK(retries == 0);
  CHECK(server.requestCount() == 3);
}

TEST_CASE("a stall past the stall timeout is a Timeout, then retried") {
  FakeLlmServer server;
  server.enqueue(chatStream("This answer stalls in the middle.").stall(80, std::chrono::milliseconds(4000)));
  server.enqueue(chatStream("Second time lucky."));
  auto config = configFor(server, 2);
  config.stallTimeoutSeconds = 1;
  OpenAiChatModel model(config);
  std::vector<RetryNotice> retries;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &n) { retries.push_back(n); };
  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == "Second time lucky.");
  REQUIRE(retries.size() == 1);
  CHECK(retries[0].reason.kind == ErrorKind::Timeout);
  CHECK(retries[0].reason.message.find("sent nothing for 1 s") != std::string::npos);
}

TEST_CASE("a connection closed before any header, and a stream that is not JSON, are retried") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::hangUp());
  server.enqueue(FakeResponse::sse("data: <html>Bad gateway</html>\n\n"));
  server.enqueue(chatStream("Fine now."));
  OpenAiChatModel model(configFor(server));
  std::vector<Error> reasons;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &n) { reasons.push_back(n.reason); };
  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == "Fine now.");
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0].kind == ErrorKind::Network);
  CHECK(reasons[1].kind == ErrorKind::BadAnswer);
  CHECK(reasons[1].message.find("unreadable stream event") != std::string::npos);
}

TEST_CASE("refusals, content filters and empty answers are retried, then reported") {
  FakeLlmServer server;
  ChatStreamOptions refusal;
  refusal.refusal = "I can't help with that.";
  ChatStreamOptions filtered;
  filtered.finishReason = "content_filter";
  server.enqueue(chatStream("", refusal));
  server.enqueue(chatStream("partial", filtered));
  server.enqueue(chatStream("   "));
  OpenAiChatModel model(configFor(server, 3));
  std::vector<Error> reasons;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &n) { reasons.push_back(n.reason); };
  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_FALSE(r.ok());
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0].message.find("the model refused: I can't help with that.") != std::string::npos);
  CHECK(reasons[1].message.find("content filter") != std::string::npos);
  CHECK(r.error().kind == ErrorKind::BadAnswer);
  CHECK(r.error().message.find("empty answer") != std::string::npos);
}

TEST_CASE("a server that ignores stream: true and answers plain JSON still works") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::json({{"id", "x"},
                                     {"object", "chat.completion"},
                                     {"choices", {{{"index", 0},
                                                   {"message", {{"role", "assistant"}, {"content", "Plain."}}},
                                                   {"finish_reason", "stop"}}}},
                                     {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 1}}}}));
  OpenAiChatModel model(configFor(server));
  std::string streamed;
  ChatCallbacks cb;
  cb.onDelta = [&](std::string_view d) { streamed += d; };
  auto r = model.chat(simpleRequest(), CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == "Plain.");
  CHECK(streamed == "Plain.");
  CHECK(r->usage.promptTokens == 5);
}

TEST_CASE("structured output: response_format is sent and a wrapped answer is extracted") {
  FakeLlmServer server;
  server.enqueue(chatStream("Sure! Here you go:\n```json\n" + kGoodPlans + "\n```\nEnjoy."));
  OpenAiChatModel model(configFor(server));
  auto r = model.chat(schemaRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == kGoodPlans);
  CHECK(r->rawText.find("Sure!") == 0);
  CHECK_FALSE(r->schemaFallback);
  auto body = server.requests()[0].json;
  REQUIRE(body.contains("response_format"));
  CHECK(body["response_format"]["type"] == "json_schema");
  CHECK(body["response_format"]["json_schema"]["name"] == "plans");
  CHECK(body["response_format"]["json_schema"]["strict"] == true);
  CHECK(body["response_format"]["json_schema"]["schema"]["required"][0] == "plans");
}

TEST_CASE("an answer that breaks the schema or the validator is retried with the reason") {
  FakeLlmServer server;
  server.enqueue(chatStream(R"({"plans":["only one"]})"));
  server.enqueue(chatStream("no json at all"));
  server.enqueue(chatStream(R"({"plans":["a","b","forbidden"]})"));
  server.enqueue(chatStream(kGoodPlans));
  OpenAiChatModel model(configFor(server));
  auto request = schemaRequest();
  request.validate = [](std::string_view json) -> std::optional<std::string> {
    if (json.find("forbidden") != std::string_view::npos)
      return std::string("a plan uses a forbidden word");
    return std::nullopt;
  };
  std::vector<std::string> reasons;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &n) { reasons.push_back(n.reason.message); };
  auto r = model.chat(request, CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == kGoodPlans);
  CHECK(r->attempts == 4);
  REQUIRE(reasons.size() == 3);
  CHECK(reasons[0].find("$.plans: expected at least 3 items, got 1") != std::string::npos);
  CHECK(reasons[1].find("no JSON object") != std::string::npos);
  CHECK(reasons[2].find("forbidden word") != std::string::npos);
  // The retry shows the model its previous answer and what was wrong with it.
  auto second = server.requests()[1].json["messages"];
  REQUIRE(second.size() == 4);
  CHECK(second[2]["role"] == "assistant");
  CHECK(second[2]["content"] == R"({"plans":["only one"]})");
  CHECK(second[3]["content"].get<std::string>().find("expected at least 3 items") != std::string::npos);
}

TEST_CASE("a server that rejects response_format gets the schema in the prompt, remembered per endpoint") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(400, "Unrecognized request argument supplied: response_format"));
  server.enqueue(chatStream(kGoodPlans));
  server.enqueue(chatStream("Here: " + kGoodPlans));
  OpenAiChatModel model(configFor(server));
  int retries = 0;
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &) { ++retries; };
  auto r = model.chat(schemaRequest(), CancelToken(), cb);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->schemaFallback);
  CHECK(r->attempts == 1);
  CHECK(retries == 0);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].json.contains("response_format"));
  CHECK_FALSE(reqs[1].json.contains("response_format"));
  auto last = reqs[1].json["messages"].back()["content"].get<std::string>();
  CHECK(last.find("Propose three plans.") == 0);
  CHECK(last.find("JSON Schema") != std::string::npos);
  CHECK(last.find("\"minItems\": 3") != std::string::npos);

  // A second model object for the same endpoint goes straight to the fallback.
  OpenAiChatModel again(configFor(server));
  r = again.chat(schemaRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->schemaFallback);
  CHECK(r->text == kGoodPlans);
  reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK_FALSE(reqs[2].json.contains("response_format"));
}

TEST_CASE("a schema the server finds invalid falls back for that schema only") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(400, "Invalid schema for response_format 'plans': additionalProperties is required"));
  server.enqueue(chatStream(kGoodPlans));
  server.enqueue(chatStream(R"({"title":"T"})"));
  OpenAiChatModel model(configFor(server));
  auto r = model.chat(schemaRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->schemaFallback);
  ChatRequest other = simpleRequest();
  other.jsonSchema = R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"]})";
  other.schemaName = "title";
  r = model.chat(other, CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK_FALSE(r->schemaFallback);
  CHECK(server.requests()[2].json["response_format"]["json_schema"]["name"] == "title");
}

TEST_CASE("a server that refuses stream_options and temperature is asked again without them") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(400, "Unknown field: stream_options"));
  server.enqueue(FakeResponse::error(400, "Unsupported parameter: 'temperature' is not supported with this model."));
  ChatStreamOptions noUsage;
  noUsage.usage = false;
  server.enqueue(chatStream("Fine.", noUsage));
  server.enqueue(chatStream("Again.", noUsage));
  OpenAiChatModel model(configFor(server));
  auto r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->text == "Fine.");
  CHECK(r->usage.estimated);
  r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0].json.contains("stream_options"));
  CHECK(reqs[0].json.contains("temperature"));
  CHECK_FALSE(reqs[1].json.contains("stream_options"));
  CHECK(reqs[1].json.contains("temperature"));
  for (size_t i = 2; i < 4; ++i) {
    CHECK_FALSE(reqs[i].json.contains("stream_options"));
    CHECK_FALSE(reqs[i].json.contains("temperature"));
  }
}

TEST_CASE("a 400 that is not about response_format is reported, and nothing is remembered") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(400, "messages: too long"));
  server.enqueue(FakeResponse::error(400, "messages: too long"));
  server.enqueue(chatStream(kGoodPlans));
  OpenAiChatModel model(configFor(server));
  auto r = model.chat(schemaRequest(), CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 400);
  CHECK(r.error().message.find("too long") != std::string::npos);
  CHECK(server.requestCount() == 2); // the plain retry, then no more
  r = model.chat(schemaRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK_FALSE(r->schemaFallback);
  CHECK(server.requests()[2].json.contains("response_format"));
}

TEST_CASE("cancelling mid-stream returns Cancelled") {
  FakeLlmServer server;
  // Without cancellation this would succeed after a 20 s pause (the stall timeout is longer).
  server.enqueue(chatStream("Words, then a long pause, then more words.").stall(400, std::chrono::milliseconds(20000)));
  auto config = configFor(server);
  config.stallTimeoutSeconds = 60;
  OpenAiChatModel model(config);
  CancelSource source;
  ChatCallbacks cb;
  std::atomic<bool> gotDelta{false};
  cb.onDelta = [&](std::string_view) { gotDelta = true; };
  std::thread canceller([&] {
    while (!gotDelta)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    source.cancel();
  });
  auto r = model.chat(simpleRequest(), source.token(), cb);
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Cancelled);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("cancelling during a backoff wait returns Cancelled without another request") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(429, "slow down", "60"));
  server.enqueue(chatStream("too late"));
  OpenAiChatModel model(configFor(server));
  CancelSource source;
  ChatCallbacks cb;
  double delay = 0;
  std::thread canceller;
  cb.onRetry = [&](const RetryNotice &n) {
    delay = n.delaySeconds;
    canceller = std::thread([source]() mutable { // a copy: it shares the flag
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      source.cancel();
    });
  };
  auto r = model.chat(simpleRequest(), source.token(), cb);
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Cancelled);
  CHECK(delay == 60);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("a Retry-After longer than we wait fails at once with the server's figure") {
  FakeLlmServer server;
  server.enqueue(FakeResponse::error(429, "quota", "3600"));
  OpenAiChatModel model(configFor(server));
  auto r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 429);
  CHECK(r.error().message.find("asks to wait 3600 s") != std::string::npos);
}

TEST_CASE("without a configured model the server's first listed model is used") {
  FakeLlmServer server;
  server.setModels({"llama3.1:8b", "other"});
  server.enqueue(chatStream("Hello."));
  auto config = configFor(server);
  config.model.clear();
  OpenAiChatModel model(config);
  auto r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->model == "llama3.1:8b");
  CHECK(server.requests("/v1/chat/completions")[0].json["model"] == "llama3.1:8b");
  CHECK(model.describe().find("llama3.1:8b") != std::string::npos);

  FakeLlmServer empty;
  empty.setModels({});
  auto c2 = configFor(empty);
  c2.model.clear();
  OpenAiChatModel none(c2);
  r = none.chat(simpleRequest(), CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Config);
  CHECK(r.error().message.find("no model configured: set RECURRENT_MODEL or --model") == 0);
}

TEST_CASE("an unreachable server is a Network error naming it") {
  uint16_t port;
  {
    FakeLlmServer gone; // take a free port, then close it
    port = gone.port();
  }
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  c.model = "m";
  c.maxAttempts = 2;
  c.backoffBaseSeconds = 0.01;
  OpenAiChatModel model(c);
  auto r = model.chat(simpleRequest(), CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Network);
  CHECK_MESSAGE(r.error().message.find("cannot reach " + c.baseUrl + ": connection refused") != std::string::npos, r.error().message);
  CHECK(r.error().message.find("gave up after 2 attempts") != std::string::npos);
}

TEST_CASE("one model serves several threads at once") {
  FakeLlmServer server;
  server.setHandler([](const recurrent::test::FakeRequest &req) {
    auto prompt = req.json["messages"].back()["content"].get<std::string>();
    return chatStream("echo: " + prompt).split(3, 9);
  });
  OpenAiChatModel model(configFor(server));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string prompt = "thread " + std::to_string(t) + " call " + std::to_string(i);
        auto r = model.chat(simpleRequest(prompt), CancelToken());
        if (r.ok() && r->text == "echo: " + prompt)
          ++good;
      }
    });
  for (auto &th : threads)
    th.join();
  CHECK(good == 20);
  CHECK(server.requestCount() == 20);
}
