#include "engine/Backends.h"

#include "engine/llm/AnthropicChatModel.h"
#include "engine/llm/OpenAiChatModel.h"
#include "engine/llm/OpenAiEmbedder.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/story/LlmSummarizer.h"
#include "engine/story/OfflineChatModel.h"

namespace recurrent::engine {
namespace {

/// Keeps the chat model alive as long as the summarizer that talks to it.
struct ModelSummarizer {
  std::shared_ptr<ChatModel> model;
  LlmSummarizer summarizer;
  ModelSummarizer(std::shared_ptr<ChatModel> m, std::string id)
      : model(std::move(m)), summarizer(*model, std::move(id), LlmSummarizer::Options{}) {}
};

} // namespace

Backends makeBackends(const BackendConfig &config) {
  Backends b;
  b.config = config;
  if (config.isOffline()) {
    b.chat = std::make_shared<OfflineChatModel>();
    b.summarizer = std::make_shared<ExtractiveSummarizer>();
  } else {
    if (config.provider == "anthropic")
      b.chat = std::make_shared<AnthropicChatModel>(config);
    else
      b.chat = std::make_shared<OpenAiChatModel>(config);
    auto held = std::make_shared<ModelSummarizer>(b.chat, "llm:" + (config.model.empty() ? std::string("default") : config.model));
    b.summarizer = std::shared_ptr<Summarizer>(held, &held->summarizer);
  }
  if (config.embedModel.empty())
    b.embedder = std::make_shared<HashedEmbedder>();
  else
    b.embedder = std::make_shared<OpenAiEmbedder>(config);
  return b;
}

} // namespace recurrent::engine
