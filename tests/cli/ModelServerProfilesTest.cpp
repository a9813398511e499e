// `recurrent write` (3 steps, the human simulator) against fake servers that behave as real
// ones do (issue 15): each succeeds with no reasoning text in the manuscript, the memory or the
// plans (the reasoning is in calls.jsonl, apart from the answer), or fails in one line naming
// the fix with the manuscript and the state untouched. The HTTP-level behaviour of each
// profile is tested in tests/engine/LlmServerProfilesTest.cpp.
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/Process.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <sstream>

using namespace recurrent;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::kReasoningMarker;
using recurrent::test::SchemaAnswers;
using recurrent::test::ServerProfile;
using nlohmann::json;

namespace {

const std::string kLog = ".recurrent/novel.md/calls.jsonl";

std::map<std::string, std::string> envFor(ServerProfile profile, const FakeLlmServer &server) {
  std::map<std::string, std::string> env{{"RECURRENT_BASE_URL", server.baseUrl()},
                                         {"RECURRENT_MAX_ATTEMPTS", "2"},
                                         {"RECURRENT_STALL_TIMEOUT", "10"}};
  if (profile == ServerProfile::Anthropic) {
    env["RECURRENT_PROVIDER"] = "anthropic";
    env["RECURRENT_MODEL"] = "claude-test";
    env["ANTHROPIC_API_KEY"] = "sk-ant-test-key";
  } else if (profile != ServerProfile::Ollama) { // Ollama: no model given, the server's list decides
    env["RECURRENT_MODEL"] = profile == ServerProfile::OpenAiReasoning ? "o4-mini" : "m";
  }
  return env;
}

/// No reasoning anywhere but the log's own "reasoning" fields.
void checkNoReasoningLeaked(const std::map<std::string, std::string> &files, bool expectReasoning) {
  for (const auto &file : files) { // no structured binding: clang 14 cannot capture one in CAPTURE
    const std::string &path = file.first, &text = file.second;
    CAPTURE(path);
    if (path == kLog)
      continue;
    CHECK(text.find(kReasoningMarker) == std::string::npos);
    CHECK(text.find("think>") == std::string::npos);
  }
  REQUIRE(files.count(kLog) == 1);
  std::istringstream lines(files.at(kLog));
  int reasoned = 0;
  for (std::string line; std::getline(lines, line);) {
    auto call = json::parse(line);
    CHECK(call["answer"].get<std::string>().find(kReasoningMarker) == std::string::npos);
    if (call.contains("reasoning") && call["reasoning"].get<std::string>().find(kReasoningMarker) != std::string::npos)
      ++reasoned;
  }
  if (expectReasoning)
    CHECK(reasoned > 0);
}

void writeSucceeds(ServerProfile profile, bool expectReasoning) {
  CAPTURE(static_cast<int>(profile));
  FakeLlmServer server;
  auto answers = std::make_shared<SchemaAnswers>();
  server.setHandler(answers->handler(profile));
  test::TempDir dir;
  auto r = test::runBinary({"write", "--topic", "a ferry in winter", "--type", "drama", "--iterations", "3", "--select",
                            "llm", "--out", "novel.md"},
                           {dir.path(), envFor(profile, server), std::nullopt, std::nullopt});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("3 steps written to novel.md") != std::string::npos);
  auto files = test::snapshot(dir.path());
  REQUIRE(files.count("novel.md") == 1);
  CHECK(files.at("novel.md").find("moves on.") != std::string::npos); // the fake model's prose
  checkNoReasoningLeaked(files, expectReasoning);
}

/// An opening written against a well-behaved server, then one step against `profile`.
void stepFails(ServerProfile profile, const std::string &mentions, std::map<std::string, std::string> extraEnv = {}) {
  CAPTURE(static_cast<int>(profile));
  FakeLlmServer server;
  auto answers = std::make_shared<SchemaAnswers>();
  auto failing = std::make_shared<std::atomic<bool>>(false);
  server.setHandler([answers, failing, profile](const FakeRequest &r) {
    return answers->respondAs(*failing ? profile : ServerProfile::Plain, r);
  });
  test::TempDir dir;
  test::ProcessOptions o{dir.path(), envFor(ServerProfile::Plain, server), std::nullopt, std::nullopt};
  auto opening = test::runBinary(
      {"write", "--topic", "a ferry in winter", "--type", "drama", "--iterations", "1", "--select", "first", "--out",
       "novel.md"},
      o);
  REQUIRE_MESSAGE(opening.exitCode == 0, opening.err);
  const auto before = test::snapshot(dir.path());
  *failing = true;
  for (auto &[k, v] : extraEnv)
    o.env[k] = v;
  auto step = test::runBinary({"write", "--resume", "--out", "novel.md", "--iterations", "1", "--select", "llm"}, o);
  INFO("stderr: " << step.err);
  CHECK(step.exitCode != 0);
  std::vector<std::string> lines;
  std::istringstream err(step.err);
  for (std::string line; std::getline(err, line);)
    if (line.rfind("recurrent write:", 0) == 0)
      lines.push_back(line);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(mentions) != std::string::npos);
  auto after = test::snapshot(dir.path());
  if (after.count(kLog) && before.count(kLog)) {
    CHECK(after[kLog].rfind(before.at(kLog), 0) == 0); // the log of calls only grew
    after[kLog] = before.at(kLog);
  }
  CHECK(after == before);
}

} // namespace

TEST_CASE("write against reasoning models in each shape: the story, without the reasoning") {
  writeSucceeds(ServerProfile::ReasoningContent, true);
  writeSucceeds(ServerProfile::ReasoningField, true);
  writeSucceeds(ServerProfile::ThinkTags, true);
  writeSucceeds(ServerProfile::LoneThinkClose, true);
}

TEST_CASE("write against reasoning that exhausts the small caps, and against OpenAI's reasoning models") {
  writeSucceeds(ServerProfile::ReasoningExhaustsCap, true);
  writeSucceeds(ServerProfile::OpenAiReasoning, false);
}

TEST_CASE("write against old llama.cpp, Ollama's model list, vLLM and Anthropic") {
  writeSucceeds(ServerProfile::OldLlamaCpp, false);
  writeSucceeds(ServerProfile::Ollama, true);
  writeSucceeds(ServerProfile::Vllm, true);
  writeSucceeds(ServerProfile::Anthropic, true);
}

TEST_CASE("a step against a small context or a server without embeddings fails in one line naming the fix") {
  stepFails(ServerProfile::SmallContext, "recurrent.contextTokens");
  stepFails(ServerProfile::NoEmbeddings, "--embeddings", {{"RECURRENT_EMBED_MODEL", "e"}});
}
