// Scripted answers to the continuity check's model requests, for the fake OpenAI-compatible server.
//
// A test says which issues the model reports for a passage holding some text (onPassage); every other check
// request is answered with no issue, and every other request (steps, summaries, plans) by SchemaAnswers. The
// check requests are counted and kept, so a test can prove the cache sent nothing, or what one request held.
//
// Thread-safety: the handler runs on the server's thread; every method locks.
#pragma once

#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace recurrent::test {

class CheckAnswers {
public:
  /// One issue as the model writes it (CheckPrompt.h's schema).
  static nlohmann::json issue(std::string paragraph, std::string quote, std::string subtype, std::string source,
                              std::string sourceQuote, std::string explanation, std::string replacement = "");
  /// The request is the continuity check's (its schema is "continuity_issues").
  static bool isCheckRequest(const FakeRequest &request);
  /// The user message of a chat request (the prompt's sources and instructions).
  static std::string userPrompt(const FakeRequest &request);

  /// A check request whose prompt holds `passageText` is answered with `issues` (the first match wins).
  void onPassage(std::string passageText, nlohmann::json issues);
  /// For FakeLlmServer::setHandler.
  FakeLlmServer::Handler handler();
  int checkRequests() const;
  /// The user prompts of the check requests so far, in order.
  std::vector<std::string> checkPrompts() const;

private:
  struct State {
    std::mutex mutex;
    std::vector<std::pair<std::string, nlohmann::json>> scripts;
    std::vector<std::string> prompts;
    SchemaAnswers others;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

} // namespace recurrent::test
