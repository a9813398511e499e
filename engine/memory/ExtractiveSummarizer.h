// The offline summarizer: a paragraph's most informative sentence, verbatim, no model.
//
// Sentences are scored by their content words (words off the stop list, longer
// and capitalised words counting more, as a stand-in for rarity) with a bonus
// for the paragraph's opening sentence, and the best one is kept. A summary is
// always text taken from the paragraph (at most trimmed at a word boundary and
// marked with "…"); nothing is invented. CJK punctuation (。！？) ends sentences.
//
// Thread-safety: stateless; summarize() may run on many threads.
#pragma once

#include "engine/memory/Summarizer.h"

#include <string_view>

namespace recurrent::engine {

class ExtractiveSummarizer final : public Summarizer {
public:
  struct Options {
    int maxWords = 40;  ///< longer sentences are cut at a word boundary (CJK characters count as words)
    int batchSize = 512;
  };
  ExtractiveSummarizer() : ExtractiveSummarizer(Options{}) {}
  explicit ExtractiveSummarizer(Options options) : options_(options) {}

  Result<std::vector<std::string>> summarize(const std::vector<SummaryRequest> &batch, const std::string &language,
                                             const CancelToken &cancel) override;
  std::string id() const override { return "extractive-v1"; }
  int preferredBatchSize() const override { return options_.batchSize; }

  /// The summary of one paragraph.
  std::string summarizeOne(std::string_view paragraph) const;

private:
  Options options_;
};

} // namespace recurrent::engine
