// The chat model for any OpenAI-compatible server (OpenAI, Ollama, llama.cpp, vLLM, ...).
//
// POSTs /chat/completions with stream: true and forwards the streamed text as it comes.
// For a schema request it sends response_format json_schema (strict); a server that
// rejects it gets the schema spelled out in the prompt instead. stream_options and
// temperature are likewise dropped when a server refuses them. What an endpoint (base
// URL + model) refused is remembered for the life of the process. Every answer is
// extracted tolerantly, checked against the schema and request.validate, and retried
// (bounded, with backoff) when unusable; a retry after a bad answer tells the model what
// was wrong. With no model configured, the server's /models is asked once for its first.
//
// Thread-safety: chat() may be called from several threads at once; callbacks run on the
// calling thread. After onRetry, the streamed text (onDelta) starts over.
#pragma once

#include "engine/llm/BackendConfig.h"
#include "engine/llm/ChatModel.h"

#include <mutex>

namespace recurrent::engine {

class OpenAiChatModel final : public ChatModel {
public:
  explicit OpenAiChatModel(BackendConfig config);

  Result<ChatResult> chat(const ChatRequest &request, const CancelToken &cancel,
                          const ChatCallbacks &callbacks = {}) override;
  std::string describe() const override;

  /// Forgets what every endpoint was found not to support (for tests).
  static void forgetEndpointQuirks();

private:
  Result<std::string> resolveModel(const CancelToken &cancel);

  const BackendConfig config_;
  mutable std::mutex modelMutex_;
  std::string model_; ///< configured, or learnt from /models
};

} // namespace recurrent::engine
