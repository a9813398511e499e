// `recurrent write --check`: each new paragraph is checked by the model against the bible; findings print like a
// compiler's and stay in the state. The built binary, a temporary folder, the fake OpenAI-compatible server.
#include "support/Files.h"
#include "tests/support/CheckAnswers.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <atomic>

using namespace recurrent;
using recurrent::test::CheckAnswers;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::FakeResponse;
using nlohmann::json;

namespace {

test::ProcessResult run(const test::TempDir &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir.path(), {}, std::nullopt, std::nullopt});
}

const char *kOpening = "# The Ball\n\nNatasha stood by the window of the great hall, waiting for the music.\n\n"
                       "Her mother watched her from across the room and said nothing.\n";
const char *kBible = "---\naliases: [Natasha]\n---\n# Natasha Rostova\n\nThe younger countess.\n\n- eyes: dark grey\n";

} // namespace

TEST_CASE("write --check: a contradicting new paragraph is reported with its source and kept in the state") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "story.md", kOpening));
  REQUIRE(writeFileAtomically(dir / "story.bible/natasha.md", kBible));
  FakeLlmServer server;
  CheckAnswers answers;
  answers.onPassage("green eyes", json::array({CheckAnswers::issue("P1", "green eyes", "factual detail",
                                                                   "Natasha Rostova", "dark grey",
                                                                   "Natasha's eyes are dark grey.", "dark grey eyes"),
                                               CheckAnswers::issue("P1", "violet hair", "factual detail",
                                                                   "Natasha Rostova", "dark grey", "Not quoted.")}));
  auto checks = answers.handler();
  auto steps = std::make_shared<std::atomic<int>>(0);
  server.setHandler([checks, steps](const FakeRequest &r) -> FakeResponse {
    if (r.path == "/v1/chat/completions" && r.json["response_format"]["json_schema"]["name"] == "story_step") {
      int k = ++*steps;
      json step = {{"paragraph", "Step " + std::to_string(k) + ": Natasha turned her green eyes to the door."},
                   {"rationale", "r"},
                   {"shortTermMemory", "Natasha waits at the ball."},
                   {"summary", "Natasha looks at the door."},
                   {"plans", {"a", "b", "c"}}};
      return test::chatStream(step.dump());
    }
    return checks(r);
  });

  auto r = run(dir, {"write", "--from", "story.md", "--iterations", "2", "--select", "first", "--check",
                     "--base-url", server.baseUrl(), "--model", "fake-model"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(answers.checkRequests() == 2); // one per new paragraph
  for (const auto &prompt : answers.checkPrompts()) {
    CHECK(prompt.find("[Natasha Rostova]") != std::string::npos);
    // Only the new paragraph is the passage; the opening's paragraph about Natasha is evidence from memory.
    CHECK(prompt.find("[P1] Step ") != std::string::npos);
    CHECK(prompt.find("[P2]") == std::string::npos);
    CHECK(prompt.find("[story.md:3] Natasha stood by the window") != std::string::npos);
  }
  // Lines 7 and 9 of story.md hold the two steps; "green eyes" starts at byte 28 of each.
  CHECK(r.err.find("\nstory.md:7:28: warning: Natasha's eyes are dark grey. [factual-detail]") != std::string::npos);
  CHECK(r.err.find("\nstory.md:9:28: warning: Natasha's eyes are dark grey. [factual-detail]") != std::string::npos);
  CHECK(r.err.find("story.bible/natasha.md:8: note: dark grey\n  suggestion: \u2018dark grey eyes\u2019") != std::string::npos);
  CHECK(r.err.find("violet hair") == std::string::npos);
  CHECK(r.out.find("continuity check: 2 findings in 2 new paragraphs, 2 model calls") != std::string::npos);

  auto cache = readFile(dir / ".recurrent/story.md/model-checks.json");
  REQUIRE(cache.ok());
  auto j = json::parse(*cache);
  CHECK(j["paragraphs"].size() == 2);
  auto calls = readFile(dir / ".recurrent/story.md/calls.jsonl");
  REQUIRE(calls.ok());
  CHECK(calls->find("\"check\"") != std::string::npos);
}

TEST_CASE("write --check with the offline stand-in runs the offline checks only and says so") {
  test::TempDir dir;
  auto r = run(dir, {"write", "--iterations", "1", "--select", "first", "--check"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.find("--check: the offline stand-in cannot judge continuity") != std::string::npos);
  CHECK(r.out.find("continuity check (offline checks only): ") != std::string::npos);
  CHECK(r.out.find("1 step written") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / ".recurrent/story.md/model-checks.json"));
}
