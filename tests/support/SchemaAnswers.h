// Answers a fake model's chat request with JSON that follows the request's schema.
//
// The fake OpenAI-compatible server knows nothing of stories: this fills any JSON Schema the
// request carries (response_format.json_schema.schema, or the schema spelled out in the prompt
// when a server refused json_schema, or an Anthropic tool's input_schema) with plausible
// values, so every task of the recurrence (init, step, summaries, plans, selection) gets a valid
// answer. Strings carry the property name and a call counter, so tests can tell answers apart;
// a "paragraph" is a few sentences long.
//
// Server profiles reproduce how real servers behave (from their source, docs and issue
// trackers): reasoning models in each of their four shapes, with a draft JSON in the reasoning;
// reasoning that exhausts a small output cap; a small context; old llama.cpp's 500 for
// json_schema; OpenAI reasoning models' 400s; Ollama's model list; llama.cpp without
// --embeddings; vLLM's model cards; Anthropic's Messages API. Every reasoning text holds
// kReasoningMarker, so a test can prove it reached no manuscript, memory or plan.
//
// Thread-safety: one instance per test; the counter is atomic, the profile's own state locked.
#pragma once

#include "tests/support/FakeLlmServer.h"

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

namespace recurrent::test {

/// In every reasoning text (and every draft answer inside one) the profiles send.
inline constexpr const char *kReasoningMarker = "THINKING-DRAFT";

enum class ServerProfile {
  Plain,                ///< OpenAI's classic models: json_schema, usage, no reasoning
  ReasoningContent,     ///< delta.reasoning_content (llama.cpp, DeepSeek, vLLM up to 0.10)
  ReasoningField,       ///< delta.reasoning (vLLM 0.11+, OpenRouter)
  ThinkTags,            ///< <think>draft</think> then the answer in content (llama.cpp --reasoning-format none)
  LoneThinkClose,       ///< draft</think> then the answer in content (DeepSeek-R1)
  ReasoningExhaustsCap, ///< 1,500 reasoning tokens counted against max_tokens: a small cap ends in "length"
  SmallContext,         ///< llama.cpp -c kSmallContext: the answer is cut when the context fills
  OldLlamaCpp,          ///< llama.cpp up to b3777: HTTP 500 naming response_format for json_schema
  OpenAiReasoning,      ///< o1/o3/gpt-5: 400 for max_tokens and for a temperature other than 1
  Ollama,               ///< /v1/models lists an embedding model first; delta.reasoning
  NoEmbeddings,         ///< llama.cpp without --embeddings: 501 on /v1/embeddings
  Vllm,                 ///< /v1/models cards with max_model_len; 400 past it
  Anthropic,            ///< POST /v1/messages, SSE events, a tool for the schema, one 529 first
};

/// The context window of the SmallContext profile: a story step's prompt (about 500 tokens
/// after an opening) fits, its answer does not, as on a laptop's llama.cpp with -c 2048 later on.
inline constexpr long kSmallContext = 560;
/// The embedding model Ollama lists first, and the chat model after it.
inline constexpr const char *kOllamaEmbedModel = "nomic-embed-text:latest";
inline constexpr const char *kOllamaChatModel = "qwen3:8b";

class SchemaAnswers {
public:
  /// The JSON object the request's schema asks for (an empty object when it carries none).
  nlohmann::json answer(const FakeRequest &request);
  /// A streamed chat answer with answer() as its content.
  FakeResponse respond(const FakeRequest &request);
  /// A handler for FakeLlmServer::setHandler.
  FakeLlmServer::Handler handler();
  /// A handler answering as `profile` does (all paths: models, embeddings, chat, messages).
  FakeLlmServer::Handler handler(ServerProfile profile);
  /// One request answered as `profile` does.
  FakeResponse respondAs(ServerProfile profile, const FakeRequest &request);
  int calls() const { return calls_.load(); }

private:
  nlohmann::json fill(const nlohmann::json &schema, const std::string &name, int call);
  FakeResponse anthropic(const FakeRequest &request);
  std::atomic<int> calls_{0};
  std::mutex mutex_;
  bool overloadedOnce_ = false; ///< the Anthropic profile's one 529
};

} // namespace recurrent::test
