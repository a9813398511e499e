// The embedder for any OpenAI-compatible /embeddings endpoint.
//
// Texts go in batches (BackendConfig::embedBatchSize per call) with the same retry,
// backoff and cancellation policy as the chat model; vectors come back normalised to unit
// length, in input order. The dimension is learnt from the first answer (0 before it),
// and id() is "openai:" + the model, so changing the model makes stored vectors stale.
//
// Thread-safety: embed() may be called from several threads at once.
#pragma once

#include "engine/llm/BackendConfig.h"
#include "engine/llm/ChatModel.h"
#include "engine/memory/Embedder.h"

#include <atomic>
#include <functional>

namespace recurrent::engine {

class OpenAiEmbedder final : public Embedder {
public:
  /// Uses config.embedModel as the model. `onRetry` (optional) hears about each retry.
  explicit OpenAiEmbedder(BackendConfig config, std::function<void(const RetryNotice &)> onRetry = {});

  Result<std::vector<Vector>> embed(const std::vector<std::string> &texts, const CancelToken &cancel) override;
  /// 0 until the first answer.
  int dimension() const override { return dimension_.load(); }
  std::string id() const override { return "openai:" + config_.embedModel; }

private:
  Result<std::vector<Vector>> embedBatch(const std::vector<std::string> &texts, size_t begin, size_t end,
                                         const CancelToken &cancel);

  const BackendConfig config_;
  const std::function<void(const RetryNotice &)> onRetry_;
  std::atomic<int> dimension_{0};
};

} // namespace recurrent::engine
