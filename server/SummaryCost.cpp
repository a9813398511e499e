#include "server/SummaryCost.h"

#include "server/LspServer.h"

namespace recurrent::server {

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
