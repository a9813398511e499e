// An editor's Continue against fake servers that behave as real ones do (issue 15), streaming on:
// each writes its paragraph with no reasoning in any text the editor was sent (the live preview
// included), the story's files or the plans; or fails with one message naming the fix, the
// document and the state untouched. `recurrent write` against the same profiles is tested in
// tests/cli/ModelServerProfilesTest.cpp.
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/EditorMirror.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/Process.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kManuscript = "# The Ferry\n\nThe ferry left at dawn, its horn low over the grey water.\n\n"
                                "Mara kept to the rail and counted the gulls that followed them out.\n";
const std::string kLog = ".recurrent/ferry.md/calls.jsonl";

/// A client whose settings and environment point at `server` as a writer using `profile` would.
LspTestClient::Options optionsFor(ServerProfile profile) {
  LspTestClient::Options options = storyClientOptions();
  // A reasoning model's adoption streams thousands of tokens of thinking per call, slow under a
  // sanitizer on a loaded machine: a generous deadline, not a measure.
  options.timeout = std::chrono::seconds(60);
  const bool anthropic = profile == ServerProfile::Anthropic;
  options.server.coWriter.environment = [anthropic](std::string_view name) -> std::optional<std::string> {
    if (name == "RECURRENT_MAX_ATTEMPTS")
      return "2";
    if (anthropic && name == "ANTHROPIC_API_KEY")
      return "sk-ant-test-key";
    return std::nullopt;
  };
  return options;
}

json settingsFor(ServerProfile profile, const FakeLlmServer &server) {
  json settings{{"provider", "openai"}, {"baseUrl", server.baseUrl()}, {"streaming", true}, {"checkAfterStep", false}};
  if (profile == ServerProfile::Anthropic) {
    settings["provider"] = "anthropic";
    settings["model"] = "claude-test";
  } else if (profile != ServerProfile::Ollama) { // Ollama: no model given, the server's list decides
    settings["model"] = profile == ServerProfile::OpenAiReasoning ? "o4-mini" : "m";
  }
  return settings;
}

void checkNoReasoning(const std::string &what, const std::string &text) {
  CAPTURE(what);
  CHECK(text.find(kReasoningMarker) == std::string::npos);
  CHECK(text.find("think>") == std::string::npos);
  CHECK(text.find("Let me think") == std::string::npos);
}

std::vector<json> errorMessages(LspTestClient &client) {
  std::vector<json> errors;
  for (auto &m : client.takeNotifications("window/showMessage"))
    if (m["type"] == 1)
      errors.push_back(m);
  return errors;
}

/// Adopt, then one streamed Continue against `profile` from the start.
void continueSucceeds(ServerProfile profile) {
  CAPTURE(static_cast<int>(profile));
  TempDir dir;
  const fs::path path = dir / "ferry.md";
  REQUIRE(writeFileAtomically(path, kManuscript).ok());
  const std::string uri = protocol::pathToUri(path);
  FakeLlmServer model;
  auto answers = std::make_shared<SchemaAnswers>();
  // The Continue's streams arrive in small pieces, as from a real server, so the editor is sent a
  // live preview; the adoption before it needs no preview and goes faster in one piece.
  auto adopted = std::make_shared<std::atomic<bool>>(false);
  model.setHandler([answers, profile, adopted](const FakeRequest &r) {
    FakeResponse response = answers->respondAs(profile, r);
    if (response.chunked && *adopted)
      response.split(7, 96, std::chrono::milliseconds(1));
    return response;
  });
  LspTestClient client(optionsFor(profile));
  client.settings = settingsFor(profile, model);
  EditorMirror editor(client, uri, kManuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, kManuscript);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  waitForStory(client, uri, storyMemoryReady);

  *adopted = true;
  json result = runCommand(client, "recurrent.continue", {{"uri", uri}}).take();
  CHECK(result["step"] == 1);
  const std::string text = editor.text();
  CHECK(text.rfind(kManuscript, 0) == 0);
  CHECK(text.find("moves on.") != std::string::npos); // the fake model's prose
  // The preview streamed: the first piece alone, then the rest (on a slow build all of it may
  // arrive while that first edit is in flight, and goes in as one). Not streamed would be one edit.
  CHECK(editor.appliedEdits() >= 2);
  checkNoReasoning("every text the editor was sent", editor.insertedTexts());
  json state = client.call("recurrent/storyState", {{"uri", uri}}).take();
  checkNoReasoning("the story state", state.dump());
  for (const auto &file : snapshot(dir.path())) // no structured binding: clang 14 cannot capture one
    if (file.first != kLog)
      checkNoReasoning(file.first, file.second);
  CHECK(errorMessages(client).empty());
}

enum class Outcome {
  Untouched,     ///< the step fails before writing: the document and the state as they were
  ParagraphKept, ///< the paragraph is written and recorded; only the memory's update failed
};

/// Adopt against a well-behaved server with `settings`, change them by `changed` as the writer
/// would, then one Continue against `profile`.
void continueFails(ServerProfile profile, const std::string &mentions, Outcome outcome,
                   const json &settings = json::object(), const json &changed = json::object()) {
  CAPTURE(static_cast<int>(profile));
  CAPTURE(changed.dump());
  TempDir dir;
  const fs::path path = dir / "ferry.md";
  std::string manuscript = kManuscript;
  for (int i = 0; i < 10; ++i)
    manuscript += "\nThe crossing went on, hour " + std::to_string(i) + ", and nobody spoke of the island.\n";
  REQUIRE(writeFileAtomically(path, manuscript).ok());
  const std::string uri = protocol::pathToUri(path);
  FakeLlmServer model;
  auto answers = std::make_shared<SchemaAnswers>();
  auto failing = std::make_shared<std::atomic<bool>>(false);
  model.setHandler([answers, failing, profile](const FakeRequest &r) {
    return answers->respondAs(*failing ? profile : ServerProfile::Plain, r);
  });
  LspTestClient::Options options = optionsFor(ServerProfile::Plain);
  // The quiet refresh after the adoption is held off: it changes nothing, and would race the
  // comparison of the states before and after.
  options.server.coWriter.indexDebounce = std::chrono::hours(1);
  LspTestClient client(options);
  client.settings = settingsFor(ServerProfile::Plain, model);
  client.settings.update(settings);
  EditorMirror editor(client, uri, manuscript);
  client.initialize(kStoryCapabilities);
  client.open(uri, manuscript);
  runCommand(client, "recurrent.adopt", {{"uri", uri}}).take();
  waitForStory(client, uri, storyMemoryReady);
  if (!changed.empty()) {
    client.settings.update(changed);
    client.notify("workspace/didChangeConfiguration", {{"settings", nullptr}});
  }
  client.sync();
  errorMessages(client);
  auto before = snapshot(dir.path());
  json stateBefore = client.call("recurrent/storyState", {{"uri", uri}}).take();

  *failing = true;
  runCommand(client, "recurrent.continue", {{"uri", uri}}).takeError();
  client.sync();
  auto errors = errorMessages(client);
  REQUIRE(errors.size() == 1);
  CAPTURE(errors[0].dump());
  CHECK(errors[0]["message"].get<std::string>().find(mentions) != std::string::npos);
  if (outcome == Outcome::ParagraphKept) {
    // The editor holds the paragraph before the memory is told: it stays, the step counts, and
    // the next update of the memory embeds what is missing once the server offers embeddings.
    CHECK(errors[0]["message"].get<std::string>().find("the paragraph is in the document") != std::string::npos);
    CHECK(editor.text().rfind(manuscript, 0) == 0);
    CHECK(editor.text().size() > manuscript.size());
    CHECK(client.call("recurrent/storyState", {{"uri", uri}}).take()["step"] == 1);
    return;
  }
  CHECK(editor.text() == manuscript);
  CHECK(client.call("recurrent/storyState", {{"uri", uri}}).take() == stateBefore);
  auto after = snapshot(dir.path());
  if (after.count(kLog) && before.count(kLog)) {
    CHECK(after[kLog].rfind(before.at(kLog), 0) == 0); // the log of calls only grew
    after[kLog] = before.at(kLog);
  }
  CHECK(after == before);
}

} // namespace

TEST_CASE("editor profiles: Continue against reasoning models in each shape streams no reasoning") {
  continueSucceeds(ServerProfile::ReasoningContent);
  continueSucceeds(ServerProfile::ReasoningField);
  continueSucceeds(ServerProfile::ThinkTags);
  continueSucceeds(ServerProfile::LoneThinkClose);
}

TEST_CASE("editor profiles: Continue against reasoning that exhausts the caps, and OpenAI's reasoning models") {
  continueSucceeds(ServerProfile::ReasoningExhaustsCap);
  continueSucceeds(ServerProfile::OpenAiReasoning);
}

TEST_CASE("editor profiles: Continue against old llama.cpp, Ollama's model list, vLLM and Anthropic") {
  continueSucceeds(ServerProfile::OldLlamaCpp);
  continueSucceeds(ServerProfile::Ollama);
  continueSucceeds(ServerProfile::Vllm);
  continueSucceeds(ServerProfile::Anthropic);
}

TEST_CASE("editor profiles: Continue against a small context or a server without embeddings fails in one message naming the fix") {
  continueFails(ServerProfile::SmallContext, "recurrent.contextTokens", Outcome::Untouched);
  // The memory was embedded by the server, which then lost its embeddings: the Continue cannot
  // embed its query. Or the writer names a new embedding model the server lacks: the memory has no
  // vectors of that model to search, and the Continue writes before it finds out.
  continueFails(ServerProfile::NoEmbeddings, "--embeddings", Outcome::Untouched, {{"embedModel", "e"}});
  continueFails(ServerProfile::NoEmbeddings, "--embeddings", Outcome::ParagraphKept, json::object(),
                {{"embedModel", "e"}});
}
