#include "server/SummaryCost.h"

#include "engine/story/TokenBudget.h"
#include "server/LspServer.h"

#include <unordered_set>

namespace recurrent::server {
namespace {

// What one summary costs besides the paragraph: its share of the batch prompt's instructions and
// of the answer (one sentence). Erring high, like estimateTokens.
constexpr std::size_t kTokensPerSummary = 60;

} // namespace

SummaryEstimate estimateSummaries(const engine::LongTermMemory &memory, const engine::Manuscript &manuscript) {
  std::unordered_set<engine::ParagraphHash> known;
  for (const auto &entry : memory.entries())
    known.insert(entry.hash);
  SummaryEstimate e;
  for (const auto &p : manuscript.paragraphs()) {
    if (known.count(p.hash))
      continue;
    ++e.paragraphs;
    e.tokens += static_cast<std::size_t>(engine::estimateTokens(manuscript.paragraphText(p))) + kTokensPerSummary;
  }
  return e;
}

void askBeforeSpending(LspServer &server, const std::string &message, const std::string &action,
                       std::function<void(bool)> answer) {
  protocol::json params{{"type", static_cast<int>(protocol::MessageType::Warning)},
                        {"message", message},
                        {"actions", {{{"title", action}}, {{"title", "Not now"}}}}};
  server.call("window/showMessageRequest", params,
              [action, answer = std::move(answer)](std::optional<protocol::json> result, auto error) {
                answer(!error && result && result->is_object() && result->value("title", "") == action);
              });
}

void askToSummarise(LspServer &server, const std::string &file, const std::string &model,
                    const SummaryEstimate &estimate, std::function<void(bool)> answer) {
  askBeforeSpending(server,
                    "Recurrent: summarising " + std::to_string(estimate.paragraphs) + " new paragraphs of " + file +
                        " with " + model + " takes about " + std::to_string(estimate.tokens) +
                        " tokens. Summarise them now?",
                    kSummariseAction, std::move(answer));
}

} // namespace recurrent::server
