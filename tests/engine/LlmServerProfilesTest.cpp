// The HTTP chat models against fake servers that behave as real ones do (issue 15): reasoning
// models in each of their four shapes, cut-off answers, old llama.cpp, OpenAI's reasoning
// models, Ollama's model list, vLLM's model cards, llama.cpp without embeddings, Anthropic.
#include "engine/llm/AnthropicChatModel.h"
#include "engine/llm/OpenAiChatModel.h"
#include "engine/llm/OpenAiEmbedder.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/story/StorySession.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::FakeResponse;
using recurrent::test::kReasoningMarker;
using recurrent::test::SchemaAnswers;
using recurrent::test::ServerProfile;
using nlohmann::json;

namespace {

BackendConfig configFor(const FakeLlmServer &server, std::string model = "m") {
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = server.baseUrl();
  c.model = std::move(model);
  c.maxAttempts = 3;
  c.stallTimeoutSeconds = 10;
  c.backoffBaseSeconds = 0.01;
  c.backoffMaxSeconds = 0.05;
  return c;
}

const char *kPlansSchema = R"({"type":"object","properties":{
  "plans":{"type":"array","items":{"type":"string","minLength":1},"minItems":3,"maxItems":3}},
  "required":["plans"],"additionalProperties":false})";

ChatRequest plansRequest(int maxTokens = 600) {
  ChatRequest r;
  r.task = "plans";
  r.messages = {{"system", "You are a novelist."}, {"user", "Propose three plans."}};
  r.jsonSchema = kPlansSchema;
  r.schemaName = "story_plans";
  r.maxTokens = maxTokens;
  return r;
}

struct Served {
  Result<ChatResult> result;
  std::vector<RetryNotice> notices;
  std::string streamed;
};

Served chatWith(ChatModel &model, const ChatRequest &request) {
  Served s{Error{ErrorKind::Internal, "not run"}, {}, {}};
  ChatCallbacks cb;
  cb.onRetry = [&](const RetryNotice &n) {
    s.notices.push_back(n);
    s.streamed.clear();
  };
  cb.onDelta = [&](std::string_view d) { s.streamed += d; };
  CancelToken cancel;
  s.result = model.chat(request, cancel, cb);
  return s;
}

Served chatAs(ServerProfile profile, const ChatRequest &request, FakeLlmServer &server, SchemaAnswers &answers,
              std::string model = "m") {
  OpenAiChatModel::forgetEndpointQuirks();
  server.setHandler(answers.handler(profile));
  OpenAiChatModel chat(configFor(server, std::move(model)));
  return chatWith(chat, request);
}

} // namespace

TEST_CASE("reasoning in each of its four shapes is kept apart, and a draft JSON inside it never wins") {
  for (auto profile : {ServerProfile::ReasoningContent, ServerProfile::ReasoningField, ServerProfile::ThinkTags,
                       ServerProfile::LoneThinkClose}) {
    CAPTURE(static_cast<int>(profile));
    FakeLlmServer server;
    SchemaAnswers answers;
    auto s = chatAs(profile, plansRequest(), server, answers);
    REQUIRE_MESSAGE(s.result, s.result.error().message);
    CHECK(s.result->attempts == 1);
    CHECK(s.result->text.find(kReasoningMarker) == std::string::npos);
    CHECK(s.result->rawText.find(kReasoningMarker) == std::string::npos);
    CHECK(s.result->rawText.find("think>") == std::string::npos);
    CHECK(s.result->reasoning.find(kReasoningMarker) != std::string::npos);
    CHECK(json::parse(s.result->text)["plans"][0] == "plans 1 from answer 1.");
    if (profile != ServerProfile::LoneThinkClose) // a lone </think> is only known once it arrives
      CHECK(s.streamed.find(kReasoningMarker) == std::string::npos);
  }
}

TEST_CASE("reasoning that exhausts a small cap is asked again once with a raised cap") {
  FakeLlmServer server;
  SchemaAnswers answers;
  auto s = chatAs(ServerProfile::ReasoningExhaustsCap, plansRequest(400), server, answers);
  REQUIRE_MESSAGE(s.result, s.result.error().message);
  auto sent = server.requests("/v1/chat/completions");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].json["max_tokens"] == 400);
  CHECK(sent[1].json["max_tokens"].get<int>() > 1500); // not the same request again
  REQUIRE(s.notices.size() == 1);
  CHECK(s.notices[0].reason.message.find("cut off at its cap of 400") != std::string::npos);
  CHECK(s.result->text.find(kReasoningMarker) == std::string::npos);
}

TEST_CASE("an answer cut off by a full context fails at once, naming the fix and the server's size") {
  FakeLlmServer server;
  SchemaAnswers answers;
  ChatRequest r = plansRequest(1800);
  r.messages.back().content += std::string(2121, 'x'); // 550 of the 560 tokens: the answer cannot fit
  auto s = chatAs(ServerProfile::SmallContext, r, server, answers);
  REQUIRE_FALSE(s.result);
  CHECK(server.requestCount() == 1);
  CHECK(s.result.error().kind == ErrorKind::Config);
  CHECK(s.result.error().message.find("the model's context is full (560 tokens on the server): lower "
                                      "recurrent.contextTokens") != std::string::npos);
  CHECK(s.result.error().message.find("start the server with a larger context") != std::string::npos);
}

TEST_CASE("llama.cpp's exceed_context_size_error names the setting and teaches the context size") {
  FakeLlmServer server;
  SchemaAnswers answers;
  ChatRequest r = plansRequest();
  r.messages.back().content += std::string(6000, 'x');
  OpenAiChatModel::forgetEndpointQuirks();
  server.setHandler(answers.handler(ServerProfile::SmallContext));
  OpenAiChatModel chat(configFor(server));
  auto s = chatWith(chat, r);
  REQUIRE_FALSE(s.result);
  CHECK(server.requestCount() == 1); // neither retried nor taken for a json_schema refusal
  CHECK(s.result.error().message.find("n_ctx 560") != std::string::npos);
  CHECK(s.result.error().message.find("recurrent.contextTokens") != std::string::npos);
  CHECK(chat.serverContextTokens() == 560L);
}

TEST_CASE("a 500 naming response_format is a json_schema refusal: fallback at once, remembered") {
  FakeLlmServer server;
  SchemaAnswers answers;
  OpenAiChatModel::forgetEndpointQuirks();
  server.setHandler(answers.handler(ServerProfile::OldLlamaCpp));
  OpenAiChatModel chat(configFor(server));
  auto s = chatWith(chat, plansRequest());
  REQUIRE_MESSAGE(s.result, s.result.error().message);
  CHECK(s.result->schemaFallback);
  CHECK(s.notices.empty()); // no backoff, no retry notice
  auto again = chatWith(chat, plansRequest());
  REQUIRE(again.result);
  auto sent = server.requests("/v1/chat/completions");
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].json.contains("response_format"));
  CHECK_FALSE(sent[1].json.contains("response_format"));
  CHECK_FALSE(sent[2].json.contains("response_format"));
}

TEST_CASE("OpenAI's reasoning models: max_completion_tokens and no temperature, said once, remembered") {
  FakeLlmServer server;
  SchemaAnswers answers;
  OpenAiChatModel::forgetEndpointQuirks();
  server.setHandler(answers.handler(ServerProfile::OpenAiReasoning));
  OpenAiChatModel chat(configFor(server, "o4-mini"));
  auto s = chatWith(chat, plansRequest());
  REQUIRE_MESSAGE(s.result, s.result.error().message);
  REQUIRE(s.notices.size() == 2);
  CHECK(s.notices[0].reason.message.find("max_completion_tokens") != std::string::npos);
  CHECK(s.notices[1].reason.message.find("temperature") != std::string::npos);
  auto again = chatWith(chat, plansRequest());
  REQUIRE(again.result);
  CHECK(again.notices.empty());
  auto sent = server.requests("/v1/chat/completions");
  REQUIRE(sent.size() == 4);
  CHECK(sent[3].json["max_completion_tokens"] == 600);
  CHECK_FALSE(sent[3].json.contains("max_tokens"));
  CHECK_FALSE(sent[3].json.contains("temperature"));
}

TEST_CASE("Ollama's model list with an embedding model first: the chat model is picked") {
  FakeLlmServer server;
  SchemaAnswers answers;
  auto s = chatAs(ServerProfile::Ollama, plansRequest(), server, answers, "");
  REQUIRE_MESSAGE(s.result, s.result.error().message);
  CHECK(s.result->model == test::kOllamaChatModel);
  CHECK(s.result->reasoning.find(kReasoningMarker) != std::string::npos);

  // Told to chat with the embedding model: one line listing what the server has.
  auto wrong = chatAs(ServerProfile::Ollama, plansRequest(), server, answers, test::kOllamaEmbedModel);
  REQUIRE_FALSE(wrong.result);
  CHECK(wrong.result.error().message.find("does not support chat: set RECURRENT_MODEL") != std::string::npos);
  CHECK(wrong.result.error().message.find(test::kOllamaChatModel) != std::string::npos);
}

TEST_CASE("vLLM: max_model_len is learnt from /v1/models, the overflow 400 names the setting") {
  FakeLlmServer server;
  SchemaAnswers answers;
  OpenAiChatModel::forgetEndpointQuirks();
  server.setHandler(answers.handler(ServerProfile::Vllm));
  BackendConfig c = configFor(server, "");
  OpenAiChatModel chat(c);
  auto ok = chatWith(chat, plansRequest());
  REQUIRE_MESSAGE(ok.result, ok.result.error().message);
  CHECK(chat.serverContextTokens() == 4096L);
  CHECK(ok.result->reasoning.find(kReasoningMarker) != std::string::npos);
  auto big = chatWith(chat, plansRequest(4090));
  REQUIRE_FALSE(big.result);
  CHECK(big.result.error().message.find("maximum context length is 4096") != std::string::npos);
  CHECK(big.result.error().message.find("recurrent.contextTokens") != std::string::npos);
}

TEST_CASE("llama.cpp without --embeddings: a 501 is final and says what to do") {
  FakeLlmServer server;
  SchemaAnswers answers;
  server.setHandler(answers.handler(ServerProfile::NoEmbeddings));
  BackendConfig c = configFor(server);
  c.embedModel = "e";
  OpenAiEmbedder embedder(c);
  CancelToken cancel;
  auto r = embedder.embed({"one"}, cancel);
  REQUIRE_FALSE(r);
  CHECK(server.requestCount("/v1/embeddings") == 1);
  CHECK(r.error().message.find("--embeddings") != std::string::npos);
  CHECK(r.error().message.find("RECURRENT_EMBED_MODEL") != std::string::npos);
}

TEST_CASE("Anthropic: headers, system on top, a tool for the schema, thinking kept apart, a 529 retried") {
  FakeLlmServer server;
  SchemaAnswers answers;
  server.setHandler(answers.handler(ServerProfile::Anthropic));
  BackendConfig c = configFor(server, "claude-test");
  c.provider = "anthropic";
  c.apiKey = "sk-ant-test-key";
  AnthropicChatModel chat(c);
  auto s = chatWith(chat, plansRequest());
  REQUIRE_MESSAGE(s.result, s.result.error().message);
  CHECK(s.result->attempts == 2);
  REQUIRE(s.notices.size() == 1);
  CHECK(s.notices[0].reason.httpStatus == 529);
  CHECK(json::parse(s.result->text)["plans"].size() == 3);
  CHECK(s.result->reasoning.find(kReasoningMarker) != std::string::npos);
  CHECK(s.result->text.find(kReasoningMarker) == std::string::npos);
  CHECK(s.streamed.find(kReasoningMarker) == std::string::npos);
  CHECK(s.result->usage.promptTokens > 0);
  CHECK_FALSE(s.result->usage.estimated);
  auto sent = server.requests("/v1/messages");
  REQUIRE(sent.size() == 2);
  const FakeRequest &r = sent[1];
  CHECK(r.headers.at("x-api-key") == "sk-ant-test-key");
  CHECK(r.headers.count("authorization") == 0);
  CHECK(r.headers.at("anthropic-version") == "2023-06-01");
  CHECK(r.json["system"] == "You are a novelist.");
  CHECK(r.json["messages"].size() == 1);
  CHECK(r.json["max_tokens"] == 600);
  CHECK(r.json["tools"][0]["name"] == "story_plans");
  CHECK(r.json["tools"][0]["input_schema"]["required"][0] == "plans");
  CHECK(r.json["tool_choice"]["type"] == "tool");
}

TEST_CASE("Anthropic: an error event mid-stream and a refused key are reported in one line") {
  FakeLlmServer server;
  BackendConfig c = configFor(server, "claude-test");
  c.provider = "anthropic";
  c.maxAttempts = 2;
  std::string overloaded = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                           "{\"input_tokens\":5}}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                           "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  server.enqueue("/v1/messages", FakeResponse::sse(overloaded));
  server.enqueue("/v1/messages", FakeResponse::sse(overloaded));
  {
    AnthropicChatModel noKey(c);
    auto s = chatWith(noKey, plansRequest());
    REQUIRE_FALSE(s.result);
    CHECK(s.result.error().message.find("ANTHROPIC_API_KEY") != std::string::npos);
    CHECK(server.requestCount("/v1/messages") == 0);
  }
  c.apiKey = "sk-ant-test-key";
  AnthropicChatModel chat(c);
  auto s = chatWith(chat, plansRequest());
  REQUIRE_FALSE(s.result);
  CHECK(server.requestCount("/v1/messages") == 2); // retried, bounded
  CHECK(s.result.error().message.find("overloaded") != std::string::npos);
  CHECK(s.result.error().message.find("sk-ant-test-key") == std::string::npos);
}

TEST_CASE("vLLM: once its max_model_len is known, the story's prompts are sized to it, not to contextTokens") {
  FakeLlmServer server;
  SchemaAnswers answers;
  OpenAiChatModel::forgetEndpointQuirks();
  server.setHandler(answers.handler(ServerProfile::Vllm));
  test::TempDir dir;
  const auto file = dir / "novel.md";
  const std::string text = "# The Cape\n\nThe keeper lit the lamp. The fog came in from the sea.\n\n"
                           "A ship passed the rocks at night, and the keeper watched it go.\n";
  REQUIRE(writeFileAtomically(file, text).ok());
  SessionOptions options; // contextTokens 8192, more than the server's 4096
  auto opened = StorySession::open(file, std::make_shared<OpenAiChatModel>(configFor(server, "")),
                                   std::make_shared<HashedEmbedder>(), std::make_shared<ExtractiveSummarizer>(), options);
  REQUIRE(opened.ok());
  auto &session = *opened.value();
  REQUIRE(session.adopt(Manuscript(text), "", "", StoryMode::Novel, {}).ok()); // the first call learns 4096
  StorySession::StepRequest step;
  step.cursor = text.size();
  auto pending = session.prepareStep(Manuscript(text), step, {});
  REQUIRE_MESSAGE(pending, pending.error().message);
  auto call = session.lastCall();
  REQUIRE(call);
  REQUIRE(call->budget);
  CHECK(call->budget->limit == 4096);
}
