// What the story tests share: a client set up for co-writing, the writer's word (Adopt), and a
// poll of recurrent/storyState until the background work reaches a shape.
#pragma once

#include "tests/support/LspTestClient.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace recurrent::test {

inline const nlohmann::json kStoryCapabilities = {
    {"workspace", {{"applyEdit", true}, {"configuration", true}}}, {"window", {{"workDoneProgress", true}}}};

inline LspTestClient::Options storyClientOptions() {
  LspTestClient::Options options;
  options.server.coWriter.indexDebounce = std::chrono::milliseconds(20);
  // No key, no base URL from the machine running the tests.
  options.server.coWriter.environment = [](std::string_view) { return std::optional<std::string>(); };
  return options;
}

/// Polls recurrent/storyState until `done` holds.
inline nlohmann::json waitForStory(LspTestClient &client, const std::string &uri,
                                   const std::function<bool(const nlohmann::json &)> &done) {
  nlohmann::json state;
  for (int i = 0; i < 500; ++i) {
    state = client.call("recurrent/storyState", {{"uri", uri}}).take();
    if (done(state))
      return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("story state never reached the expected shape: " << state.dump());
  return state;
}

inline bool storyMemoryReady(const nlohmann::json &state) {
  return state.value("adopted", false) && !state["busy"].get<bool>() &&
         state["counts"]["memoryEntries"] == state["counts"]["paragraphs"];
}

inline LspTestClient::CallResult runCommand(LspTestClient &client, const std::string &command,
                                            const nlohmann::json &args) {
  return client.call("workspace/executeCommand", {{"command", command}, {"arguments", {args}}});
}

/// The commands of the code actions offered on line 2 of `uri`.
inline std::set<std::string> commandsOffered(LspTestClient &client, const std::string &uri) {
  nlohmann::json actions =
      client
          .call("textDocument/codeAction",
                {{"textDocument", {{"uri", uri}}},
                 {"range", {{"start", {{"line", 2}, {"character", 0}}}, {"end", {{"line", 2}, {"character", 0}}}}},
                 {"context", {{"diagnostics", nlohmann::json::array()}}}})
          .take();
  std::set<std::string> commands;
  for (const auto &a : actions)
    if (a.contains("command")) // an edit of its own (a quick fix, a fact comment) runs no command
      commands.insert(a["command"]["command"].get<std::string>());
  return commands;
}

/// Applies LSP TextEdits to `text` (ASCII text: UTF-16 columns are bytes) from the end backwards, as an
/// editor would.
inline std::string applyEdits(std::string text, const nlohmann::json &edits) {
  auto offset = [&](const nlohmann::json &pos) {
    std::size_t at = 0;
    for (int line = 0; line < pos["line"].get<int>(); ++line)
      at = text.find('\n', at) + 1;
    return at + pos["character"].get<std::size_t>();
  };
  std::vector<nlohmann::json> sorted(edits.begin(), edits.end());
  std::sort(sorted.begin(), sorted.end(), [&](const nlohmann::json &a, const nlohmann::json &b) {
    return offset(a["range"]["start"]) > offset(b["range"]["start"]);
  });
  for (const auto &e : sorted) {
    auto begin = offset(e["range"]["start"]), end = offset(e["range"]["end"]);
    text.replace(begin, end - begin, e["newText"].get<std::string>());
  }
  return text;
}

} // namespace recurrent::test
