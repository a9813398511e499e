// The model's continuity check in the editor: recurrent.check sends the chapter once (through the story's
// recorded model, so recurrent/lastPrompt shows it), its findings become diagnostics with the bible line one
// click away, a second check sends nothing, and editing the paragraph clears its finding until it is checked
// again. The fake OpenAI-compatible server answers on 127.0.0.1.
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/EditorMirror.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/CheckAnswers.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kStory = "Natasha ran into the hall, her green eyes shining, and laughed at the old count.\n\n"
                           "The count shook his head and went back to his letters without a word.\n";

/// The diagnostics of the next publications for `uri` until `done` holds (only what is published from now on).
json latestDiagnostics(LspTestClient &client, const std::string &uri, const std::function<bool(const json &)> &done) {
  json latest;
  for (int i = 0; i < 250; ++i) {
    for (const auto &n : client.takeNotifications("textDocument/publishDiagnostics"))
      if (n["uri"] == uri)
        latest = n["diagnostics"];
    if (!latest.is_null() && done(latest))
      return latest;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("diagnostics never reached the expected shape: " << latest.dump());
  return latest;
}

/// story.md (kStory) beside a bible entry for Natasha Rostova, `details` under its heading.
fs::path writeStory(const TempDir &dir, const std::string &details = "") {
  const fs::path story = dir / "story.md";
  REQUIRE(writeFileAtomically(story, kStory).ok());
  REQUIRE(writeFileAtomically(dir / "story.bible/natasha.md",
                              "---\ntype: character\naliases: [Natasha]\n---\n# Natasha Rostova\n" + details)
              .ok());
  return story;
}

/// The model's finding on kStory's first paragraph: its green eyes against the bible's dark grey.
void answerGreenEyes(CheckAnswers &answers) {
  answers.onPassage("green eyes shining",
                    json::array({CheckAnswers::issue("P1", "green eyes", "factual detail", "Natasha Rostova",
                                                     "dark grey", "The bible gives Natasha dark grey eyes.",
                                                     "dark grey eyes")}));
}

/// Settings for a paid model at `model` that checks only when asked (no check after a step).
json checkWhenAsked(const FakeLlmServer &model) {
  return {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false},
          {"checkAfterStep", false}};
}

} // namespace

TEST_CASE("continuity server: recurrent.check turns the model's contradiction into a diagnostic, once") {
  TempDir dir;
  const fs::path story = writeStory(dir, "\n- eyes: dark grey\n");
  FakeLlmServer model;
  CheckAnswers answers;
  answerGreenEyes(answers);
  model.setHandler(answers.handler());
  LspTestClient client(storyClientOptions());
  client.settings = checkWhenAsked(model);
  client.initialize(kStoryCapabilities);
  const std::string uri = protocol::pathToUri(story);
  client.open(uri, kStory);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  CHECK(answers.checkRequests() == 0); // adopting checks nothing

  json report = runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "chapter"}}).take();
  CHECK(report["findings"] == 1);
  CHECK(report["calls"] == 1);
  CHECK(answers.checkRequests() == 1);
  // The check went through the story's recorded model: the context viewer and the call log show it.
  json last = client.call("recurrent/lastPrompt", {{"uri", uri}}).take();
  CHECK(last["task"] == "check");
  CHECK(last["messages"].dump().find("green eyes shining") != std::string::npos);
  // Its sources, as for a continuation: the passage (never cut) and the evidence it was read against.
  REQUIRE(last["budget"]["included"].is_array());
  CHECK(last["budget"]["included"].dump().find(R"("kind":"material")") != std::string::npos);
  CHECK(readFile(dir / ".recurrent/story.md/calls.jsonl").value().find("\"task\":\"check\"") != std::string::npos);
  json diagnostics = latestDiagnostics(client, uri, [](const json &d) { return d.size() == 1; });
  CHECK(diagnostics[0]["code"] == "factual-detail");
  CHECK(diagnostics[0]["severity"] == 2);
  CHECK(diagnostics[0]["range"]["start"] == json{{"line", 0}, {"character", 31}});
  CHECK(diagnostics[0]["relatedInformation"][0]["location"]["uri"] ==
        protocol::pathToUri(dir / "story.bible/natasha.md"));

  // Unchanged text is never checked twice.
  json again = runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "book"}}).take();
  CHECK(again["calls"] == 0);
  CHECK(again["fromCache"] == 2);
  CHECK(answers.checkRequests() == 1);

  // The quick fix replaces only the quoted span.
  json actions = client.call("textDocument/codeAction", {{"textDocument", {{"uri", uri}}},
                                                         {"range", diagnostics[0]["range"]},
                                                         {"context", {{"diagnostics", json::array()}}}})
                     .take();
  bool offered = false;
  json canon;
  for (const auto &a : actions) {
    offered = offered || a["title"] == "Use ‘dark grey eyes’";
    if (a["title"].get<std::string>().rfind("This changed here", 0) == 0)
      canon = a;
  }
  CHECK(offered);
  // "This changed here: record a fact" puts the fact above the paragraph.
  REQUIRE(canon.is_object());
  json insert = canon["edit"]["changes"][uri][0];
  CHECK(insert["range"]["start"] == json{{"line", 0}, {"character", 0}});
  CHECK(insert["newText"] == "<!-- fact: Natasha Rostova: green eyes -->\n\n");
  {
    // Applied and then taken back: with the fact above it, the paragraph's finding goes (the evidence changed).
    LspTestClient &c = client;
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                        {"contentChanges", {{{"text", insert["newText"].get<std::string>() + kStory}}}}});
    latestDiagnostics(c, uri, [](const json &d) { return d.empty(); });
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 3}}},
                                        {"contentChanges", {{{"text", kStory}}}}});
    latestDiagnostics(c, uri, [](const json &d) { return d.size() == 1; }); // the cache still knows it
  }

  // Editing the paragraph clears its finding until it is checked again.
  std::string edited = kStory;
  edited.replace(edited.find("green eyes"), 10, "grey eyes");
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 4}}},
                                           {"contentChanges", {{{"text", edited}}}}});
  latestDiagnostics(client, uri, [](const json &d) { return d.empty(); });
  CHECK(answers.checkRequests() == 1);
}

TEST_CASE("continuity server: a check of a selection sends only the paragraphs it touches") {
  TempDir dir;
  const fs::path story = writeStory(dir);
  FakeLlmServer model;
  CheckAnswers answers;
  model.setHandler(answers.handler());
  LspTestClient client(storyClientOptions());
  client.settings = checkWhenAsked(model);
  client.initialize(kStoryCapabilities);
  const std::string uri = protocol::pathToUri(story);
  client.open(uri, kStory);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  json selection = {{"start", {{"line", 2}, {"character", 4}}}, {"end", {{"line", 2}, {"character", 20}}}};
  json report = runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "selection"}, {"range", selection}}).take();
  CHECK(report["paragraphs"] == 1);
  CHECK(answers.checkRequests() == 1);
  json last = client.call("recurrent/lastPrompt", {{"uri", uri}}).take();
  CHECK(last["messages"].dump().find("went back to his letters") != std::string::npos);
  CHECK(last["messages"].dump().find("green eyes shining") == std::string::npos);
  json error = runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "selection"}}).takeError();
  CHECK(error["message"].get<std::string>().find("\"selection\" (with a range)") != std::string::npos);
}

TEST_CASE("continuity server: checking more paragraphs than confirmSummariesAbove with a paid model asks first") {
  TempDir dir;
  const fs::path story = writeStory(dir);
  FakeLlmServer model;
  CheckAnswers answers;
  model.setHandler(answers.handler());
  LspTestClient client(storyClientOptions());
  client.settings = checkWhenAsked(model);
  client.settings["confirmSummariesAbove"] = 1;
  client.settings["confirmLocal"] = true; // the fake model is on 127.0.0.1: asked about as a paid one
  std::string choice = "Summarise"; // adopting asks too
  json asked = json::array();
  client.onRequest("window/showMessageRequest", [&](const json &params) {
    asked.push_back(params);
    return json{{"title", choice}};
  });
  client.initialize(kStoryCapabilities);
  const std::string uri = protocol::pathToUri(story);
  client.open(uri, kStory);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take(); // two paragraphs: at the threshold's edge
  asked.clear();

  // One paragraph is within the threshold: no question.
  runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "paragraph"}, {"position", {{"line", 0}, {"character", 0}}}})
      .take();
  CHECK(asked.empty());
  CHECK(answers.checkRequests() == 1);

  // The chapter has one paragraph not checked yet: within the threshold too. A new one makes two.
  const std::string longer = kStory + "\nNatasha came back at dawn, and nobody asked her where she had been.\n";
  choice = "Not now";
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                           {"contentChanges", {{{"text", longer}}}}});
  json declined = runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "chapter"}}).takeError();
  REQUIRE(asked.size() == 1);
  CHECK(asked[0]["message"].get<std::string>().find("checking 2 paragraphs of story.md with") != std::string::npos);
  CHECK(asked[0]["actions"][0]["title"] == "Check");
  CHECK(declined["message"].get<std::string>().find("not checked") != std::string::npos);
  CHECK(answers.checkRequests() == 1); // nothing was sent

  choice = "Check";
  json report = runCommand(client, "recurrent.check", {{"uri", uri}, {"scope", "chapter"}}).take();
  CHECK(asked.size() == 2);
  CHECK(report["fromCache"] == 1);
  CHECK(answers.checkRequests() == 2); // the two new paragraphs, in one batch
}

TEST_CASE("continuity server: with the offline stand-in, recurrent.check says what to configure") {
  TempDir dir;
  const fs::path story = dir / "story.md";
  REQUIRE(writeFileAtomically(story, kStory).ok());
  LspTestClient client(storyClientOptions());
  client.initialize(kStoryCapabilities);
  const std::string uri = protocol::pathToUri(story);
  client.open(uri, kStory);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  json error = runCommand(client, "recurrent.check", {{"uri", uri}}).takeError();
  CHECK(error["message"].get<std::string>().find("configure a model") != std::string::npos);
}

TEST_CASE("continuity server: the paragraph a step writes is checked once, beside writing") {
  TempDir dir;
  const fs::path story = writeStory(dir);
  FakeLlmServer model;
  CheckAnswers answers;
  model.setHandler(answers.handler());
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false}};
  const std::string uri = protocol::pathToUri(story);
  EditorMirror editor(client, uri, kStory);
  client.initialize(kStoryCapabilities);
  client.open(uri, kStory);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  CHECK(answers.checkRequests() == 0);
  runCommand(client, "recurrent.continue", {{"uri", uri}}).take();
  for (int i = 0; i < 250 && answers.checkRequests() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(answers.checkRequests() == 1); // the new paragraph, and only it
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(answers.checkRequests() == 1);
}

TEST_CASE("continuity server: with checkOnSave a saved chapter is checked, and only what changed since") {
  TempDir dir;
  const fs::path story = writeStory(dir, "\n- eyes: dark grey\n");
  FakeLlmServer model;
  CheckAnswers answers;
  answerGreenEyes(answers);
  model.setHandler(answers.handler());
  LspTestClient client(storyClientOptions());
  client.settings = checkWhenAsked(model);
  client.initialize(kStoryCapabilities);
  const std::string uri = protocol::pathToUri(story);
  client.open(uri, kStory);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  auto save = [&] { client.notify("textDocument/didSave", {{"textDocument", {{"uri", uri}}}}); };
  auto settle = [&](std::size_t requests) {
    for (int i = 0; i < 250 && answers.checkRequests() < requests; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    client.sync();
    std::this_thread::sleep_for(std::chrono::milliseconds(100)); // nothing more follows
  };

  save(); // off by default: no model call
  settle(0);
  CHECK(answers.checkRequests() == 0);

  client.settings["checkOnSave"] = true;
  client.notify("workspace/didChangeConfiguration", {{"settings", nullptr}});
  client.sync();
  save();
  settle(1);
  CHECK(answers.checkRequests() == 1); // the chapter is one passage
  json diagnostics = latestDiagnostics(client, uri, [](const json &d) { return d.size() == 1; });
  CHECK(diagnostics[0]["code"] == "factual-detail");

  save(); // unchanged: the cache answers
  settle(1);
  CHECK(answers.checkRequests() == 1);

  std::string edited = kStory + "\nNatasha smiled at the count and left the hall.\n";
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                           {"contentChanges", {{{"text", edited}}}}});
  save();
  settle(2);
  CHECK(answers.checkRequests() == 2); // the changed passage only
}
