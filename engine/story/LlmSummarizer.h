// Long-term-memory summaries written by the chat model, in batches.
//
// Implements Summarizer for the memory indexer when a model is configured: one
// prompt summarises a batch of paragraphs (one sentence each, in the story's
// language) and answers {"summaries": [...]}, checked for count and emptiness. A
// batch too large for the context is split in halves until it fits.
//
// Thread-safety: summarize() may be called from several threads (the chat model is).
#pragma once

#include "engine/llm/ChatModel.h"
#include "engine/memory/Summarizer.h"
#include "engine/story/Prompts.h"

#include <string>

namespace recurrent::engine {

class LlmSummarizer final : public Summarizer {
public:
  struct Options {
    PromptOptions prompt;
    int batchSize = 12;
  };
  /// `id` is recorded beside each summary, e.g. "llm:gpt-4o-mini".
  LlmSummarizer(ChatModel &model, std::string id, Options options);

  Result<std::vector<std::string>> summarize(const std::vector<SummaryRequest> &batch, const std::string &language,
                                             const CancelToken &cancel) override;
  std::string id() const override { return id_; }
  int preferredBatchSize() const override { return options_.batchSize; }

private:
  ChatModel &model_;
  std::string id_;
  Options options_;
};

} // namespace recurrent::engine
