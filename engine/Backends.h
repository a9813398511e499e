// Builds the chat model, embedder and summarizer a resolved BackendConfig asks for.
//
// One place decides which implementation serves which provider, so `recurrent write`,
// `index`, `search` and the language server agree: offline → OfflineChatModel,
// ExtractiveSummarizer; openai → OpenAiChatModel, LlmSummarizer over it; the hashed
// embedder unless an embedding model is configured. Thread-safety: pure factory.
#pragma once

#include "engine/llm/BackendConfig.h"
#include "engine/llm/ChatModel.h"
#include "engine/memory/Embedder.h"
#include "engine/memory/Summarizer.h"

#include <memory>

namespace recurrent::engine {

struct Backends {
  BackendConfig config;
  std::shared_ptr<ChatModel> chat;
  std::shared_ptr<Embedder> embedder;
  std::shared_ptr<Summarizer> summarizer;
};

Backends makeBackends(const BackendConfig &config);

} // namespace recurrent::engine
