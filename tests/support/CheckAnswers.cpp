#include "tests/support/CheckAnswers.h"

namespace recurrent::test {
using nlohmann::json;

json CheckAnswers::issue(std::string paragraph, std::string quote, std::string subtype, std::string source,
                         std::string sourceQuote, std::string explanation, std::string replacement) {
  return {{"paragraph", paragraph}, {"quote", quote},           {"subtype", subtype},
          {"source", source},       {"sourceQuote", sourceQuote}, {"explanation", explanation},
          {"severity", "high"},     {"replacement", replacement}};
}

bool CheckAnswers::isCheckRequest(const FakeRequest &request) {
  const json &j = request.json;
  return request.path == "/v1/chat/completions" && j.is_object() && j.contains("response_format") &&
         j["response_format"].value("json_schema", json::object()).value("name", "") == "continuity_issues";
}

std::string CheckAnswers::userPrompt(const FakeRequest &request) {
  std::string out;
  if (request.json.is_object() && request.json.contains("messages"))
    for (const auto &m : request.json["messages"])
      if (m.value("role", "") == "user")
        out += m.value("content", "");
  return out;
}

void CheckAnswers::onPassage(std::string passageText, json issues) {
  std::lock_guard lock(state_->mutex);
  state_->scripts.emplace_back(std::move(passageText), std::move(issues));
}

FakeLlmServer::Handler CheckAnswers::handler() {
  auto state = state_;
  return [state](const FakeRequest &request) -> FakeResponse {
    if (request.path == "/v1/models")
      return FakeResponse::json({{"object", "list"}, {"data", {{{"id", "fake-model"}, {"object", "model"}}}}});
    if (request.path != "/v1/chat/completions")
      return FakeResponse::error(404, "not scripted");
    if (!isCheckRequest(request))
      return state->others.respond(request);
    std::string prompt = userPrompt(request);
    json issues = json::array();
    {
      std::lock_guard lock(state->mutex);
      state->prompts.push_back(prompt);
      for (const auto &[text, scripted] : state->scripts)
        if (prompt.find(text) != std::string::npos) {
          issues = scripted;
          break;
        }
    }
    ChatStreamOptions o;
    o.promptTokens = static_cast<long>(prompt.size() / 4);
    return chatStream(json{{"issues", issues}}.dump(), o);
  };
}

int CheckAnswers::checkRequests() const {
  std::lock_guard lock(state_->mutex);
  return static_cast<int>(state_->prompts.size());
}

std::vector<std::string> CheckAnswers::checkPrompts() const {
  std::lock_guard lock(state_->mutex);
  return state_->prompts;
}

} // namespace recurrent::test
