#include "engine/story/LlmSummarizer.h"

namespace recurrent::engine {

LlmSummarizer::LlmSummarizer(ChatModel &model, std::string id, Options options)
    : model_(model), id_(std::move(id)), options_(options) {}

Result<std::vector<std::string>> LlmSummarizer::summarize(const std::vector<SummaryRequest> &batch,
                                                          const std::string &language, const CancelToken &cancel) {
  if (batch.empty())
    return std::vector<std::string>{};
  std::vector<SummarizeItem> items;
  for (const auto &r : batch)
    items.push_back({r.text, r.chapter});
  auto prepared = makeSummarizeRequest(items, language, options_.prompt);
  if (!prepared && prepared.error().kind == ErrorKind::Config && batch.size() > 1) {
    // Too much text for one prompt: halve the batch.
    std::size_t half = batch.size() / 2;
    auto first = summarize({batch.begin(), batch.begin() + static_cast<long>(half)}, language, cancel);
    if (!first)
      return first;
    auto second = summarize({batch.begin() + static_cast<long>(half), batch.end()}, language, cancel);
    if (!second)
      return second;
    first->insert(first->end(), second->begin(), second->end());
    return first;
  }
  if (!prepared)
    return prepared.error();
  auto result = model_.chat(prepared->request, cancel);
  if (!result)
    return result.error();
  return parseSummarizeAnswer(result->text, batch.size());
}

} // namespace recurrent::engine
