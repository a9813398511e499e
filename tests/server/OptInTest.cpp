// Opt-in and cost safety: no file becomes a story, and nothing reaches a model, without the
// writer's word; summarising many paragraphs with a paid model asks first. The real server, the
// real engine, the fake OpenAI-compatible model on 127.0.0.1.
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char *kReadme = "# Project notes\n\n"
                      "This folder holds the build scripts and a few notes about the release process.\n\n"
                      "Run the tests before tagging, and write the changelog by hand.\n";

/// `n` short paragraphs of prose under one heading.
std::string paragraphs(int n, const std::string &topic = "harbour") {
  std::string text = "# The " + topic + "\n";
  for (int i = 1; i <= n; ++i)
    text += "\nParagraph " + std::to_string(i) + " about the " + topic + ": Mara walked to the " + topic +
            " and counted " + std::to_string(i * 3) + " boats before the fog came in.\n";
  return text;
}

std::size_t chatRequests(const FakeLlmServer &model) {
  std::size_t n = 0;
  for (const auto &r : model.requests())
    n += r.path == "/v1/chat/completions";
  return n;
}

std::size_t lines(const fs::path &file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    n += !line.empty();
  return n;
}

json openAiSettings(const FakeLlmServer &model) {
  return {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false}};
}

/// Waits past the server's open and edit debounces (the index would have run by then).
void settle(LspTestClient &client) {
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  client.sync();
}

} // namespace

TEST_CASE("opt-in: an arbitrary Markdown file gets outline and hover, no state and no model call, until Adopt") {
  TempDir dir;
  auto path = dir / "docs" / "README.md";
  REQUIRE(writeFileAtomically(path, kReadme).ok());
  std::string uri = protocol::pathToUri(path);
  FakeLlmServer model;
  SchemaAnswers answers;
  model.setHandler(answers.handler());

  {
    LspTestClient client(storyClientOptions());
    client.settings = openAiSettings(model);
    client.onRequest("workspace/applyEdit", [](const json &) { return json{{"applied", true}}; });
    client.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
    client.initialize(kStoryCapabilities);
    client.open(uri, kReadme);
    client.notify("textDocument/didChange",
                  {{"textDocument", {{"uri", uri}, {"version", 2}}},
                   {"contentChanges", json::array({{{"text", std::string(kReadme) + "\nOne more line.\n"}}})}});
    settle(client);

    // What works on any file: outline, folding, hover of paragraph numbers.
    CHECK(client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}}).take().size() == 1);
    CHECK(client.call("textDocument/foldingRange", {{"textDocument", {{"uri", uri}}}}).take().is_array());
    json hover = client
                     .call("textDocument/hover", {{"textDocument", {{"uri", uri}}},
                                                  {"position", {{"line", 2}, {"character", 3}}}})
                     .take();
    REQUIRE(hover.is_object());
    CHECK(hover["contents"]["value"].get<std::string>().find("Paragraph 1") != std::string::npos);
    // What needs a story stays quiet: no lenses, no ghost text, no plans; Continue says why.
    CHECK(client.call("textDocument/codeLens", {{"textDocument", {{"uri", uri}}}}).take().empty());
    json ghost = client
                     .call("textDocument/inlineCompletion", {{"textDocument", {{"uri", uri}}},
                                                             {"position", {{"line", 5}, {"character", 0}}},
                                                             {"context", {{"triggerKind", 1}}}})
                     .take();
    CHECK(ghost["items"].empty());
    json refused = runCommand(client, "recurrent.continue", {{"uri", uri}}).takeError();
    CHECK(refused["message"].get<std::string>().find("not a story") != std::string::npos);
    json state = client.call("recurrent/storyState", {{"uri", uri}}).take();
    CHECK(state["adopted"] == false);
    CHECK(state["counts"]["paragraphs"] == 3);
    CHECK(client.call("workspace/symbol", {{"query", "release"}}).take().empty());
    // The way in is offered, and offering it calls nothing.
    CHECK(commandsOffered(client, uri) == std::set<std::string>{"recurrent.adopt"});
    client.takeNotifications("window/showMessage");

    CHECK_FALSE(fs::exists(dir / "docs" / ".recurrent"));
    CHECK(model.requests().empty());

    // The writer's word.
    json adopted = runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
    CHECK(adopted["plans"].size() == 3);
    CHECK(fs::is_directory(dir / "docs" / ".recurrent" / "README.md"));
    CHECK(chatRequests(model) > 0);
    CHECK(client.stop() == 0);
  }

  // Reopened later: it resumes silently, as a story, with no new model call.
  std::size_t before = model.requests().size();
  LspTestClient again(storyClientOptions());
  again.settings = openAiSettings(model);
  again.initialize(kStoryCapabilities);
  again.open(uri, std::string(kReadme) + "\nOne more line.\n");
  json resumed = waitForStory(again, uri, storyMemoryReady);
  CHECK(resumed["plans"].size() == 3);
  CHECK(model.requests().size() == before);
  CHECK(again.stop() == 0);
}

TEST_CASE("opt-in: recurrent.autoAdopt adopts on open, and the state's own files are never stories") {
  TempDir dir;
  auto path = dir / "story.md";
  std::string text = paragraphs(4);
  REQUIRE(writeFileAtomically(path, text).ok());
  std::string uri = protocol::pathToUri(path);

  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "offline"}, {"autoAdopt", true}};
  client.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  client.initialize(kStoryCapabilities);
  client.open(uri, text);
  json state = waitForStory(client, uri, [](const json &s) { return storyMemoryReady(s) && s["plans"].size() == 3; });
  CHECK(state["step"] == 0);

  // A short-term memory opened from the state folder: not adopted, even with autoAdopt, nor on request.
  auto memoryFile = dir / ".recurrent" / "story.md" / "short-term-memory.md";
  REQUIRE(fs::exists(memoryFile));
  std::string memoryUri = protocol::pathToUri(memoryFile);
  client.open(memoryUri, readFile(memoryFile).value());
  settle(client);
  CHECK(client.call("recurrent/storyState", {{"uri", memoryUri}}).take()["adopted"] == false);
  json refused = runCommand(client, "recurrent.adopt", {{"uri", memoryUri}}).takeError();
  CHECK(refused["message"].get<std::string>().find("state files") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / ".recurrent" / "story.md" / ".recurrent"));
  CHECK(client.stop() == 0);
}

TEST_CASE("opt-in: an Adopt sent right after didOpen waits for the document's settings, and uses the writer's model") {
  TempDir dir;
  auto path = dir / "story.md";
  std::string text = paragraphs(3);
  REQUIRE(writeFileAtomically(path, text).ok());
  std::string uri = protocol::pathToUri(path);
  FakeLlmServer model;
  SchemaAnswers answers;
  model.setHandler(answers.handler());

  LspTestClient client(storyClientOptions());
  // An editor slow to answer workspace/configuration (a busy extension host): the Adopt arrives
  // first. Run with the defaults, it would adopt with the offline stand-in, not the writer's model.
  client.onRequest("workspace/configuration", [&model](const json &params) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    json out = json::array();
    for (std::size_t i = 0; i < params["items"].size(); ++i)
      out.push_back(openAiSettings(model));
    return out;
  });
  client.initialize(kStoryCapabilities);
  client.open(uri, text);
  json adopted = runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  CHECK(adopted["plans"].size() == 3);
  CHECK(chatRequests(model) > 0); // with the defaults there would be none
  CHECK(client.stop() == 0);
}

TEST_CASE("cost: summarising more paragraphs than the threshold asks first: no sends nothing, yes sends and logs every call") {
  TempDir dir;
  auto path = dir / "long.md";
  std::string text = paragraphs(8);
  REQUIRE(writeFileAtomically(path, text).ok());
  std::string uri = protocol::pathToUri(path);
  FakeLlmServer model;
  SchemaAnswers answers;
  model.setHandler(answers.handler());

  LspTestClient client(storyClientOptions());
  client.settings = openAiSettings(model);
  client.settings["confirmSummariesAbove"] = 5;
  client.settings["confirmLocal"] = true; // the fake model is on 127.0.0.1: asked about as a paid one
  std::atomic<bool> accept{false};
  std::atomic<int> asked{0};
  std::mutex mutex;
  std::string question;
  client.onRequest("window/showMessageRequest", [&](const json &params) {
    {
      std::lock_guard lock(mutex);
      question = params["message"];
    }
    ++asked;
    return accept ? params["actions"][0] : json(nullptr); // null: the writer dismissed the question
  });
  client.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  client.initialize(kStoryCapabilities);
  client.open(uri, text);
  settle(client); // the settings (a paid model) arrive after didOpen

  // Declined: nothing reaches the model, and the file is no further than before.
  json declined = runCommand(client, "recurrent.adopt", {{"uri", uri}}).takeError();
  CHECK(declined["code"] == -32800);
  REQUIRE(asked == 1);
  {
    std::lock_guard lock(mutex);
    CHECK(question.find("8 new paragraphs") != std::string::npos);
    CHECK(question.find("tokens") != std::string::npos);
  }
  settle(client);
  CHECK(model.requests().empty());

  // Accepted: the summaries go out, and calls.jsonl holds every request the model got.
  accept = true;
  json adopted = runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  CHECK(adopted["paragraphs"] == 8);
  CHECK(asked == 2);
  std::size_t sent = chatRequests(model);
  CHECK(sent >= 2); // at least one batch of summaries, and the synopsis/plans
  CHECK(lines(dir / ".recurrent" / "long.md" / "calls.jsonl") == sent);

  // A big paste: the background index asks too; declining sends nothing more.
  accept = false;
  std::string paste = paragraphs(7, "lighthouse");
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                           {"contentChanges", json::array({{{"text", text + "\n" + paste}}})}});
  for (int i = 0; i < 200 && asked < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(asked == 3);
  settle(client);
  CHECK(chatRequests(model) == sent);
  client.takeNotifications("window/showMessage");
  CHECK(client.stop() == 0);
}

TEST_CASE("cost: a model on this machine summarises without asking, unless confirmLocal (as the CLI's --confirm-local)") {
  TempDir dir;
  auto path = dir / "long.md";
  std::string text = paragraphs(8);
  REQUIRE(writeFileAtomically(path, text).ok());
  std::string uri = protocol::pathToUri(path);
  FakeLlmServer model; // on 127.0.0.1: costs time, not money
  SchemaAnswers answers;
  model.setHandler(answers.handler());

  LspTestClient client(storyClientOptions());
  client.settings = openAiSettings(model);
  client.settings["confirmSummariesAbove"] = 5;
  std::atomic<int> asked{0};
  client.onRequest("window/showMessageRequest", [&](const json &) {
    ++asked;
    return json(nullptr);
  });
  client.initialize(kStoryCapabilities);
  client.open(uri, text);
  settle(client);

  json adopted = runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  CHECK(adopted["paragraphs"] == 8);
  CHECK(asked == 0);
  CHECK(chatRequests(model) >= 2);
  CHECK(client.stop() == 0);
}
