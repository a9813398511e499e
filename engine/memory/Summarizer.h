// The summarizer interface: paragraphs in, one-sentence long-term-memory summaries out.
//
// Implementations: ExtractiveSummarizer (offline: picks the most informative
// sentence, no model) in engine/memory/, and LlmSummarizer (a batched prompt to
// the chat model) in engine/story/. The memory indexer calls summarize() in
// batches and saves after each batch, so an interrupted indexing resumes.
//
// Thread-safety: summarize() may be called from several threads at once.
#pragma once

#include "support/Cancellation.h"
#include "support/Error.h"

#include <string>
#include <vector>

namespace recurrent::engine {

struct SummaryRequest {
  std::string text;        ///< the paragraph
  std::string chapter;     ///< its chapter title, for context (may be empty)
};

class Summarizer {
public:
  virtual ~Summarizer() = default;
  /// One summary per request, in order. The story's language is kept.
  virtual Result<std::vector<std::string>> summarize(const std::vector<SummaryRequest> &batch,
                                                     const std::string &language,
                                                     const CancelToken &cancel) = 0;
  /// Recorded beside each summary ("extractive-v1", "openai:gpt-4o-mini"), so a
  /// writer can see which summaries came from a model.
  virtual std::string id() const = 0;
  /// How many paragraphs one summarize() call should take.
  virtual int preferredBatchSize() const = 0;
};

} // namespace recurrent::engine
