// Co-writing over LSP: the real server, the real engine, a fake OpenAI-compatible model on
// 127.0.0.1, and a test client that applies the server's edits like an editor does.
#include "engine/StatePaths.h"
#include "engine/manuscript/Wrapping.h"
#include "protocol/Encoding.h"
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/server/EditorMirror.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;

namespace {

const char *kManuscript =
    "# The Harbour\n\n"
    "Mara kept the lighthouse on the north cape. Every night she climbed the stairs.\n\n"
    "The ships came less often that winter, and the village grew quiet.\n\n"
    "One evening a stranger rowed in from the fog, carrying a sealed letter.\n";

/// Enough prose for the offline stand-in to learn a continuation from.
std::string longManuscript() {
  std::string text = kManuscript;
  const char *more[] = {
      "Mara read the letter by the lamp. It spoke of a ship that had sailed north and never come back, and "
      "of a "
      "map that the stranger had kept hidden for years.",
      "The stranger said his name was Tomas. He had come from the south with the map, and he asked Mara to "
      "light "
      "the lamp every night until the ship came home.",
      "In the morning the fog lifted from the harbour. Mara walked down to the village with the letter, and "
      "the "
      "fishermen gathered to hear what the stranger had said.",
      "Old Ines remembered the ship. She said the ship had sailed in the winter of the great storm, and that "
      "her "
      "brother had been on it with the map.",
      "That night Mara climbed the stairs again and lit the lamp. Far out on the water she saw a light "
      "answer hers, "
      "and she knew the ship was coming home.",
      "Tomas watched the light from the harbour. He unfolded the map and traced the route the ship had "
      "taken, "
      "north past the cape and into the fog.",
  };
  for (const char *p : more)
    text += std::string("\n") + p + "\n";
  return text;
}

bool memoryReady(const json &state) {
  return !state["busy"].get<bool>() && state["counts"]["memoryEntries"] == state["counts"]["paragraphs"];
}

bool adopted(const json &state) {
  return memoryReady(state) && state["plans"].size() == 3;
}

/// The writer's word: a file becomes a story only through a command (docs/LSP.md, "Opt-in").
json adopt(LspTestClient &client, const std::string &uri) {
  return client.call("workspace/executeCommand", {{"command", "recurrent.adopt"}, {"arguments", {{{"uri", uri}}}}})
      .take();
}

std::vector<json> continueActions(const json &actions) {
  std::vector<json> out;
  for (const auto &a : actions)
    if (a["title"].get<std::string>().rfind("Continue: ", 0) == 0)
      out.push_back(a);
  return out;
}

/// A fake model that answers every schema; once `slow` is set, in pieces of at most `maxPiece` bytes, `delay` apart.
struct SlowModel : FakeLlmServer {
  SchemaAnswers answers;
  std::atomic<bool> slow{false};
  SlowModel(unsigned seed, std::size_t maxPiece, std::chrono::milliseconds delay) {
    setHandler([this, seed, maxPiece, delay](const FakeRequest &request) {
      FakeResponse response = answers.respond(request);
      if (slow)
        response.split(seed, maxPiece, delay);
      return response;
    });
  }
};

} // namespace

TEST_CASE("co-writing: adopt, plans as code actions, continue with plan 2, state and last prompt") {
  TempDir dir;
  auto path = dir / "harbour.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  std::string uri = protocol::pathToUri(path);

  FakeLlmServer model;
  SchemaAnswers answers;
  model.setHandler(answers.handler());

  LspTestClient client(storyClientOptions());
  // No continuity check after the step: its call would race the step's for recurrent/lastPrompt below.
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", true},
                     {"checkAfterStep", false}};
  EditorMirror editor(client, uri, kManuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, kManuscript);

  // Adopt: summaries, synopsis, short-term memory, three plans.
  json adopted = adopt(client, uri);
  REQUIRE(adopted["plans"].size() == 3);
  json before = client.call("recurrent/storyState", {{"uri", uri}}).take();
  CHECK(before["step"] == 0);
  std::string previousMemory = before["shortTermMemory"];
  CHECK_FALSE(previousMemory.empty());

  // Three "Continue" actions and "Suggest plans", at the end of the text; none calls the model.
  int callsBefore = answers.calls();
  json actions = client
                     .call("textDocument/codeAction",
                           {{"textDocument", {{"uri", uri}}},
                            {"range", {{"start", editor.endPosition()}, {"end", editor.endPosition()}}},
                            {"context", {{"diagnostics", json::array()}}}})
                     .take();
  auto continues = continueActions(actions);
  REQUIRE(continues.size() == 3);
  bool suggest = false;
  for (const auto &a : actions)
    suggest = suggest || a["title"] == "Suggest plans";
  CHECK(suggest);
  CHECK(answers.calls() == callsBefore);

  // Code lenses show the same plans.
  json lenses = client.call("textDocument/codeLens", {{"textDocument", {{"uri", uri}}}}).take();
  CHECK(lenses.size() == 3);

  // Run the second: the paragraph arrives through applyEdit.
  std::string plan2 = before["plans"][1];
  json command = continues[1]["command"];
  json result = client
                    .call("workspace/executeCommand",
                          {{"command", command["command"]}, {"arguments", command["arguments"]}})
                    .take();
  CHECK(result["step"] == 1);
  CHECK(editor.appliedEdits() >= 1);
  std::string text = editor.text();
  CHECK(text.rfind(kManuscript, 0) == 0);
  CHECK(text.find("the paragraph moves on") != std::string::npos);

  json after = waitForStory(client, uri, memoryReady);
  CHECK(after["step"] == 1);
  CHECK(after["shortTermMemory"] != previousMemory);
  CHECK(after["plans"].size() == 3);
  CHECK(after["plans"] != before["plans"]);
  CHECK(after["counts"]["memoryEntries"] == before["counts"]["memoryEntries"].get<int>() + 1);

  // The context viewer: the step's prompt held plan 2, the previous memory and retrieved memories.
  json prompt = client.call("recurrent/lastPrompt", {{"uri", uri}}).take();
  REQUIRE(prompt.is_object());
  CHECK(prompt["task"] == "step");
  std::string all;
  for (const auto &m : prompt["messages"])
    all += m["content"].get<std::string>() + "\n";
  CHECK(all.find(plan2) != std::string::npos);
  CHECK(all.find(previousMemory) != std::string::npos);
  CHECK(all.find("lighthouse") != std::string::npos); // a retrieved or recent paragraph

  // The manuscript and the state are consistent with what the editor holds.
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: hover shows the memory summary, and an edit re-summarises only that paragraph") {
  TempDir dir;
  auto path = dir / "harbour.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  std::string uri = protocol::pathToUri(path);

  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "offline"}};
  EditorMirror editor(client, uri, kManuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, kManuscript);
  adopt(client, uri);
  waitForStory(client, uri, memoryReady);

  auto hoverAt = [&](int line) {
    json hover = client
                     .call("textDocument/hover", {{"textDocument", {{"uri", uri}}},
                                                  {"position", {{"line", line}, {"character", 3}}}})
                     .take();
    return hover.is_null() ? std::string() : hover["contents"]["value"].get<std::string>();
  };
  std::string first = hoverAt(4);
  CHECK(first.find("village") != std::string::npos);

  // Rewrite that paragraph: its summary follows once the debounced index ran.
  std::string text = editor.text();
  std::size_t begin = text.find("The ships"), end = text.find('\n', begin);
  editor.replace(begin, end, "A whale surfaced beside the pier, and the children shouted from the rocks.");
  std::string updated;
  for (int i = 0; i < 300 && updated.find("whale") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    updated = hoverAt(4);
  }
  CHECK(updated.find("whale") != std::string::npos);
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: cancelling a slow continuation leaves the document and the state unchanged") {
  TempDir dir;
  auto path = dir / "harbour.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  std::string uri = protocol::pathToUri(path);

  SlowModel model(7, 4, std::chrono::milliseconds(40)); // a few bytes every 40 ms: seconds in all
  std::atomic<bool> &slow = model.slow;

  LspTestClient client(storyClientOptions());
  client.settings = {
      {"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false}};
  EditorMirror editor(client, uri, kManuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, kManuscript);
  adopt(client, uri);
  json before = waitForStory(client, uri, memoryReady);

  slow = true;
  auto call = client.call("workspace/executeCommand", {{"command", "recurrent.continue"},
                                                       {"arguments", {{{"uri", uri}, {"planIndex", 0}}}}});
  // While it streams, the server keeps answering.
  json symbols = client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}}).take();
  CHECK(symbols.size() == 1);
  json busy = client
                  .call("workspace/executeCommand",
                        {{"command", "recurrent.continue"}, {"arguments", {{{"uri", uri}}}}})
                  .takeError();
  CHECK(busy["message"].get<std::string>().find("already running") != std::string::npos);

  client.notify("$/cancelRequest", {{"id", call.id()}});
  json error = call.takeError();
  CHECK(error["code"] == -32800);
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(editor.appliedEdits() == 0);
  CHECK(editor.text() == kManuscript);
  json after = client.call("recurrent/storyState", {{"uri", uri}}).take();
  CHECK(after["step"] == before["step"]);
  CHECK(after["shortTermMemory"] == before["shortTermMemory"]);
  CHECK(after["plans"] == before["plans"]);
  client.takeNotifications("window/showMessage");
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: closing the document mid-stream cancels the continuation: no edit after didClose, nothing committed") {
  TempDir dir;
  auto path = dir / "harbour.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  std::string uri = protocol::pathToUri(path);

  SlowModel model(7, 8, std::chrono::milliseconds(10)); // a few seconds in all
  std::atomic<bool> &slow = model.slow;
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", true}, {"autoAdopt", true}};  // indexed on open, as the test needs
  EditorMirror editor(client, uri, kManuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, kManuscript);
  json before = waitForStory(client, uri, adopted);

  slow = true;
  auto call = client.call("workspace/executeCommand", {{"command", "recurrent.continue"},
                                                       {"arguments", {{{"uri", uri}, {"planIndex", 0}}}}});
  for (int i = 0; i < 2000 && editor.appliedEdits() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(editor.appliedEdits() > 0); // part of the paragraph is in the editor
  client.notify("textDocument/didClose", {{"textDocument", {{"uri", uri}}}});
  client.sync();
  client.takeRequests("workspace/applyEdit"); // those sent before the server read didClose
  json error = call.takeError();
  CHECK(error["code"] == -32800);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(client.takeRequests("workspace/applyEdit").empty()); // not even the removal of the partial text
  CHECK(readFile(path).value() == kManuscript);             // the file on disk is untouched

  client.open(uri, kManuscript, 2);
  json after = waitForStory(client, uri, memoryReady);
  CHECK(after["step"] == before["step"]);
  CHECK(after["shortTermMemory"] == before["shortTermMemory"]);
  CHECK(after["counts"]["memoryEntries"] == before["counts"]["memoryEntries"]);
  client.takeNotifications("window/showMessage");
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: the editor undoing a step's paragraph is noticed: one offer, and Undo step restores the state") {
  TempDir dir;
  auto path = dir / "harbour.md";
  const std::string manuscript = longManuscript();
  REQUIRE(writeFileAtomically(path, manuscript).ok());
  std::string uri = protocol::pathToUri(path);

  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "offline"}, {"autoAdopt", true}};  // indexed on open, as the test needs
  EditorMirror editor(client, uri, manuscript);
  std::atomic<int> offers{0};
  client.onRequest("window/showMessageRequest", [&](const json &params) {
    ++offers;
    return params["actions"][0]; // "Undo step N"
  });
  client.initialize(kStoryCapabilities);
  client.open(uri, manuscript);
  json before = waitForStory(client, uri, adopted);

  json result = client
                    .call("workspace/executeCommand",
                          {{"command", "recurrent.continue"}, {"arguments", {{{"uri", uri}, {"planIndex", 0}}}}})
                    .take();
  REQUIRE(result["step"] == before["step"].get<long>() + 1);
  std::string written = editor.text();
  REQUIRE(written.size() > manuscript.size() + 40);

  // A word added in the middle of the new paragraph is an edit, not a removal.
  std::size_t middle = written.find(' ', manuscript.size() + (written.size() - manuscript.size()) / 2);
  editor.replace(middle, middle, " very");
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(offers == 0);

  // The editor's undo takes the paragraph out: the server offers the state's undo once.
  editor.replace(manuscript.size(), editor.text().size(), "");
  REQUIRE(editor.text() == manuscript);
  json offer;
  for (int i = 0; i < 200 && offer.is_null(); ++i) {
    auto requests = client.takeRequests("window/showMessageRequest");
    if (!requests.empty())
      offer = requests.front();
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(!offer.is_null());
  CHECK(offer["actions"][0]["title"] == "Undo step " + std::to_string(result["step"].get<long>()));
  json after = waitForStory(client, uri, [&](const json &s) { return s["step"] == before["step"] && memoryReady(s); });
  CHECK(after["shortTermMemory"] == before["shortTermMemory"]);
  CHECK(after["plans"] == before["plans"]);
  editor.replace(editor.text().size(), editor.text().size(), "\n"); // another edit: no second offer
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(offers == 1);
  client.takeNotifications("window/showMessage");
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: a ghost-text request while an index waits leaves that index scheduled") {
  TempDir dir;
  auto path = dir / "harbour.md";
  const std::string manuscript = longManuscript();
  REQUIRE(writeFileAtomically(path, manuscript).ok());
  std::string uri = protocol::pathToUri(path);

  LspTestClient::Options options = storyClientOptions();
  options.server.coWriter.indexDebounce = std::chrono::milliseconds(400); // the request lands inside it
  LspTestClient client(options);
  client.settings = {{"provider", "offline"}, {"autoAdopt", true}};  // indexed on open, as the test needs
  EditorMirror editor(client, uri, manuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, manuscript);
  json before = waitForStory(client, uri, adopted);

  std::string pasted = "\nA gull landed on the rail of the gallery and watched Mara polish the brass.\n";
  editor.replace(manuscript.size(), manuscript.size(), pasted);
  json completion = client
                        .call("textDocument/inlineCompletion", {{"textDocument", {{"uri", uri}}},
                                                                {"position", editor.endPosition()},
                                                                {"context", {{"triggerKind", 1}}}})
                        .take();
  CHECK(completion["items"].size() == 1);
  json after = waitForStory(client, uri, memoryReady);
  CHECK(after["counts"]["memoryEntries"] == before["counts"]["memoryEntries"].get<int>() + 1);
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: ghost text the editor asks for on its own is off unless automaticGhostText is set") {
  TempDir dir;
  auto path = dir / "harbour.md";
  const std::string manuscript = longManuscript();
  REQUIRE(writeFileAtomically(path, manuscript).ok());
  std::string uri = protocol::pathToUri(path);

  FakeLlmServer model;
  SchemaAnswers answers;
  model.setHandler(answers.handler());
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"autoAdopt", true}};  // indexed on open, as the test needs
  EditorMirror editor(client, uri, manuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, manuscript);
  waitForStory(client, uri, adopted);

  auto ask = [&](int triggerKind) {
    return client
        .call("textDocument/inlineCompletion", {{"textDocument", {{"uri", uri}}},
                                                {"position", editor.endPosition()},
                                                {"context", {{"triggerKind", triggerKind}}}})
        .take();
  };
  int calls = answers.calls();
  CHECK(ask(2)["items"].empty());
  CHECK(answers.calls() == calls); // no model call the writer did not ask for
  CHECK(ask(1)["items"].size() == 1);
  CHECK(answers.calls() > calls);

  client.settings["automaticGhostText"] = true;
  client.notify("workspace/didChangeConfiguration", {{"settings", json::object()}});
  client.sync();
  json automatic;
  for (int i = 0; i < 50 && (automatic.is_null() || automatic["items"].empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    automatic = ask(2);
  }
  CHECK(automatic["items"].size() == 1);
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: ghost text round trip, offline, then undo") {
  TempDir dir;
  auto path = dir / "harbour.md";
  const std::string manuscript = longManuscript();
  REQUIRE(writeFileAtomically(path, manuscript).ok());
  std::string uri = protocol::pathToUri(path);

  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "offline"}};
  EditorMirror editor(client, uri, manuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, manuscript);
  adopt(client, uri);
  json opened = waitForStory(client, uri, adopted);
  CHECK(opened["step"] == 0);

  json end = editor.endPosition();
  // The cursor on the empty line after the last paragraph.
  json completion =
      client
          .call("textDocument/inlineCompletion",
                {{"textDocument", {{"uri", uri}}}, {"position", end}, {"context", {{"triggerKind", 1}}}})
          .take();
  REQUIRE(completion["items"].size() == 1);
  json item = completion["items"][0];
  std::string ghost = item["insertText"];
  CHECK(ghost.size() > 20);
  // On the empty line below the last paragraph, it starts a paragraph of its own.
  CHECK(ghost.rfind("\n", 0) == 0);
  CHECK(ghost.rfind("\n\n", 0) != 0);

  // The editor accepts: it inserts the text itself, then runs the item's command.
  std::string text = editor.text();
  editor.replace(text.size(), text.size(), ghost);
  json accepted = client
                      .call("workspace/executeCommand", {{"command", item["command"]["command"]},
                                                         {"arguments", item["command"]["arguments"]}})
                      .take();
  CHECK(accepted["step"] == 1);
  json state = waitForStory(client, uri, memoryReady);
  CHECK(state["step"] == 1);
  CHECK(state["counts"]["paragraphs"] == opened["counts"]["paragraphs"].get<int>() + 1);
  CHECK(state["offline"] == true);

  // Undo restores the state before the step.
  json undone = client
                    .call("workspace/executeCommand",
                          {{"command", "recurrent.undoStep"}, {"arguments", {{{"uri", uri}}}}})
                    .take();
  CHECK(undone["step"] == 0);
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: every command on a document that is not open is refused, and the server carries on") {
  TempDir dir;
  std::string uri = protocol::pathToUri(dir / "never-opened.md");
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "offline"}};
  client.initialize(kStoryCapabilities);
  for (const char *command : {"recurrent.continue", "recurrent.newStory", "recurrent.adopt",
                              "recurrent.suggestPlans", "recurrent.undoStep", "recurrent.acceptInline"}) {
    CAPTURE(command);
    json args{{"uri", uri}, {"topic", "a lighthouse"}, {"id", 1}};
    json error =
        client.call("workspace/executeCommand", {{"command", command}, {"arguments", {args}}}).takeError();
    CHECK(error["message"].get<std::string>().find("not open") != std::string::npos);
  }
  CHECK(client.call("workspace/symbol", {{"query", "lighthouse"}}).take().is_array());
  CHECK(client.stop() == 0);
}

TEST_CASE("co-writing: the story state and status name the provider the session uses (anthropic, not openai)") {
  TempDir dir;
  const auto path = dir / "story.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  // A story already (its state folder exists), so the session opens; nothing is sent to a model here.
  std::filesystem::create_directories(engine::StatePaths::forManuscript(path).dir);
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "anthropic"}, {"baseUrl", "http://127.0.0.1:9/v1"}, {"model", "claude-test"}};
  client.initialize(kStoryCapabilities);
  const std::string uri = protocol::pathToUri(path);
  client.open(uri, kManuscript);
  // The settings arrive just after the open; the session follows them.
  json state = waitForStory(client, uri, [](const json &s) { return s.value("provider", "") == "anthropic"; });
  CHECK(state["offline"] == false);
  CHECK(state["model"].get<std::string>().find("claude-test") != std::string::npos);
}

TEST_CASE("co-writing: a hard-wrapped manuscript gets its continuation wrapped at the same column") {
  // The long manuscript, each paragraph wrapped at 60 columns as `gq` would.
  std::string wrapped;
  const engine::Manuscript source(longManuscript());
  wrapped = "# The Harbour\n";
  for (const auto &p : source.paragraphs())
    wrapped += "\n" + engine::wrapText(std::string_view(source.text()).substr(p.begin, p.end - p.begin), 60) + "\n";
  const auto width = engine::hardWrapWidth(engine::Manuscript(wrapped)); // the widest usual line: about 60
  REQUIRE(width);
  REQUIRE(*width > 45);
  TempDir dir;
  const auto path = dir / "wrapped.md";
  REQUIRE(writeFileAtomically(path, wrapped).ok());
  const std::string uri = protocol::pathToUri(path);
  LspTestClient client(storyClientOptions());
  EditorMirror editor(client, uri, wrapped);
  client.initialize(kStoryCapabilities);
  client.open(uri, wrapped);
  adopt(client, uri);
  json step = client.call("workspace/executeCommand", {{"command", "recurrent.continue"}, {"arguments", {{{"uri", uri}}}}})
                  .take();
  REQUIRE(step["words"] > 15);
  const std::string added = editor.text().substr(wrapped.size());
  std::size_t lines = 0, longest = 0;
  std::istringstream in(added);
  for (std::string line; std::getline(in, line);) {
    lines += !line.empty();
    longest = std::max(longest, line.size()); // the offline stand-in writes ASCII
  }
  CHECK(lines >= 2);
  CHECK(longest <= *width);
}

TEST_CASE("co-writing: while the model streams the memory and plans, the status says so and the plan lenses hide") {
  TempDir dir;
  const auto path = dir / "harbour.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  const std::string uri = protocol::pathToUri(path);
  FakeLlmServer model;
  auto answers = std::make_shared<SchemaAnswers>();
  // The step's answer in small pieces with pauses: its paragraph (the first field) is whole well before the rest.
  model.setHandler([answers](const FakeRequest &r) {
    FakeResponse response = answers->respond(r);
    if (response.chunked && r.body.find("story_step") != std::string::npos)
      response.split(3, 256, std::chrono::milliseconds(5));
    return response;
  });
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", true},
                     {"checkAfterStep", false}};
  EditorMirror editor(client, uri, kManuscript);
  std::atomic<int> refreshes{0};
  client.onRequest("workspace/codeLens/refresh", [&refreshes](const json &) {
    ++refreshes;
    return json(nullptr);
  });
  json capabilities = kStoryCapabilities;
  capabilities["workspace"]["codeLens"] = {{"refreshSupport", true}};
  client.initialize(capabilities);
  client.open(uri, kManuscript);
  adopt(client, uri);
  auto planLenses = [&] {
    int plans = 0;
    for (const auto &lens : client.call("textDocument/codeLens", {{"textDocument", {{"uri", uri}}}}).take())
      plans += lens["command"]["title"].get<std::string>().rfind("Plan ", 0) == 0;
    return plans;
  };
  REQUIRE(planLenses() == 3);
  client.takeNotifications("recurrent/status");
  const int refreshesBefore = refreshes.load();

  auto step = client.call("workspace/executeCommand", {{"command", "recurrent.continue"}, {"arguments", {{{"uri", uri}}}}});
  std::vector<json> statuses;
  for (int i = 0; i < 500 && statuses.empty(); ++i) {
    for (auto &s : client.takeNotifications("recurrent/status"))
      if (s["state"] == "writing")
        statuses.push_back(s);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE_FALSE(statuses.empty());
  CHECK(planLenses() == 0); // a plan clicked now could only be refused
  REQUIRE(step.take()["step"] == 1);
  client.sync();

  std::vector<std::string> states;
  for (auto &s : client.takeNotifications("recurrent/status")) {
    states.push_back(s["state"]);
    if (s["state"] == "updating")
      CHECK(s["message"] == "updating memory and plans");
  }
  // After "writing": "updating" once the paragraph is whole, then "idle".
  REQUIRE(states.size() >= 2);
  CHECK(std::count(states.begin(), states.end(), "updating") == 1);
  CHECK(states.back() == "idle");
  bool reported = false;
  for (auto &p : client.takeNotifications("$/progress"))
    reported = reported || p["value"].value("message", "") == "updating memory and plans";
  CHECK(reported);
  CHECK(refreshes.load() - refreshesBefore == 2); // hidden at the start, back at the end
  CHECK(planLenses() == 3);
}

TEST_CASE("co-writing: typing while the ghost text is written makes it stale: ContentModified, no offer") {
  TempDir dir;
  auto path = dir / "harbour.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  std::string uri = protocol::pathToUri(path);

  SlowModel model(7, 4, std::chrono::milliseconds(40)); // seconds in all: the edit comes first
  std::atomic<bool> &slow = model.slow;

  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false}};
  EditorMirror editor(client, uri, kManuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, kManuscript);
  adopt(client, uri);
  json before = waitForStory(client, uri, memoryReady);

  slow = true;
  auto call = client.call("textDocument/inlineCompletion", {{"textDocument", {{"uri", uri}}},
                                                            {"position", editor.endPosition()},
                                                            {"context", {{"triggerKind", 1}}}});
  editor.replace(0, 0, "Draft. ");
  json error = call.takeError();
  CHECK(error["code"] == -32801);
  CHECK(editor.appliedEdits() == 0);
  json after = client.call("recurrent/storyState", {{"uri", uri}}).take();
  CHECK(after["step"] == before["step"]);
  client.takeNotifications("window/showMessage");
  CHECK(client.stop() == 0);
}
