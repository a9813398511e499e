// The chat model for Anthropic's Messages API (provider "anthropic").
//
// POSTs /messages with stream: true, the key in x-api-key and an anthropic-version header;
// system messages go to the top-level "system" field. A schema request forces one tool
// whose input_schema is the schema, and the tool's input (streamed as input_json_delta) is
// the answer; a server that refuses the tool gets the schema spelled out in the prompt
// and the JSON is extracted from the text. Thinking blocks are kept apart in
// ChatResult::reasoning. Errors arrive as {"type":"error","error":{"type","message"}}, in
// the body or as an "error" event mid-stream; overloaded_error (529) and rate limits are
// retried like any 5xx/429, with the same attempts, backoff, cancellation and stall
// timeout as the OpenAI-compatible model. An answer stopped at max_tokens is asked again
// once with a raised cap.
//
// Thread-safety: chat() may be called from several threads at once; callbacks run on the
// calling thread. After onRetry, the streamed text (onDelta) starts over.
#pragma once

#include "engine/llm/BackendConfig.h"
#include "engine/llm/ChatModel.h"

namespace recurrent::engine {

class AnthropicChatModel final : public ChatModel {
public:
  explicit AnthropicChatModel(BackendConfig config);

  Result<ChatResult> chat(const ChatRequest &request, const CancelToken &cancel,
                          const ChatCallbacks &callbacks = {}) override;
  std::string describe() const override { return config_.describe(); }

private:
  const BackendConfig config_;
};

} // namespace recurrent::engine
