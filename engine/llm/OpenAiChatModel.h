// The chat model for any OpenAI-compatible server (OpenAI, Ollama, llama.cpp, vLLM, ...).
//
// POSTs /chat/completions with stream: true and forwards the streamed text as it comes.
// Reasoning (delta.reasoning_content, delta.reasoning, a <think> block or a lone </think>
// in content) is kept apart in ChatResult::reasoning and never searched for the answer.
// For a schema request it sends response_format json_schema (strict); a server that
// rejects it (a 400, or any status naming response_format) gets the schema spelled out in
// the prompt instead. stream_options and temperature are dropped, and max_tokens becomes
// max_completion_tokens, when a server names them; each adaptation is told once through
// onRetry. What an endpoint (base URL + model) refused, and the context window it named
// (vLLM's max_model_len, llama.cpp's n_ctx), is remembered for the life of the process.
// An answer cut off at its cap (finish_reason "length") is asked again once with a raised
// cap; one cut off short of it means the context is full, a final error naming the fix.
// Every answer is extracted tolerantly, checked against the schema and request.validate,
// and retried (bounded, with backoff) when unusable; a retry after a bad answer tells the
// model what was wrong. With no model configured, the server's /models is asked once for
// its first chat model (embedding models, which Ollama may list first, are skipped).
//
// Thread-safety: chat() may be called from several threads at once; callbacks run on the
// calling thread. After onRetry, the streamed text (onDelta) starts over.
#pragma once

#include "engine/llm/BackendConfig.h"
#include "engine/llm/ChatModel.h"

#include <mutex>
#include <vector>

namespace recurrent::engine {

class OpenAiChatModel final : public ChatModel {
public:
  explicit OpenAiChatModel(BackendConfig config);

  Result<ChatResult> chat(const ChatRequest &request, const CancelToken &cancel,
                          const ChatCallbacks &callbacks = {}) override;
  std::string describe() const override;
  std::optional<long> serverContextTokens() const override;

  /// Forgets what every endpoint was found not to support (for tests).
  static void forgetEndpointQuirks();

private:
  struct ModelCard {
    std::string id;
    long contextTokens = 0; ///< vLLM's max_model_len; 0 when the card has none
  };
  /// GET /models; remembers each card's context window.
  Result<std::vector<ModelCard>> listModels(const CancelToken &cancel) const;
  static std::string modelNames(const std::vector<ModelCard> &cards);
  Result<std::string> resolveModel(const CancelToken &cancel);

  const BackendConfig config_;
  mutable std::mutex modelMutex_;
  std::string model_; ///< configured, or learnt from /models
};

} // namespace recurrent::engine
