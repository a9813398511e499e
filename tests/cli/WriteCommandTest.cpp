// `recurrent write` and `recurrent state` as a user runs them: the built binary, a temporary
// folder, the fake OpenAI-compatible server (with faults), or no network at all (offline).
#include "engine/book/StateLock.h"
#include "engine/manuscript/Manuscript.h"
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <mutex>
#include <thread>
#include <regex>
#include <set>

using namespace recurrent;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::FakeResponse;
using nlohmann::json;

namespace {

const std::regex kItemMarker(R"(\[\d+\])");

/// Runs the binary in `dir` with no backend environment (no key, no provider), stdin closed.
test::ProcessResult run(const test::TempDir &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir.path(), {}, std::nullopt, std::nullopt});
}

/// Valid answers for every task, with the faults of the acceptance scenario injected in order.
struct ScriptedAuthor {
  std::mutex mutex;
  int chatRequests = 0, steps = 0;
  std::set<int> faultsServed;

  FakeResponse operator()(const FakeRequest &r) {
    std::lock_guard lock(mutex);
    if (r.path == "/v1/models")
      return FakeResponse::json({{"object", "list"}, {"data", {{{"id", "m"}, {"object", "model"}}}}});
    if (r.path != "/v1/chat/completions")
      return FakeResponse::error(404, "no such path");
    int n = ++chatRequests;
    std::string schema = r.json["response_format"]["json_schema"]["name"].get<std::string>();
    std::string user = r.json["messages"].back()["content"].get<std::string>();
    json answer;
    if (schema == "story_opening") {
      answer = {{"title", "The Visitors"},
                {"outline", "Aliens arrive at a research station."},
                {"paragraphs", {"The signal came at dawn. Dr. Ines Vale was alone on the station.",
                                "She checked the array twice. The pattern was not natural.",
                                "By noon the sky over the ice had changed colour."}},
                {"shortTermMemory", "Ines is alone on the station; an alien signal has arrived."},
                {"plans", {"Ines answers the signal.", "Ines calls the base.", "Ines goes outside."}}};
    } else if (schema == "story_step") {
      int k = ++steps;
      answer = {{"paragraph", "Step " + std::to_string(k) + ": Ines watched the lights over the ice. They moved "
                              "against the wind, and she wrote down every change in her log."},
                {"rationale", "kept the signal, added the lights"},
                {"shortTermMemory", "Ines watches the lights (step " + std::to_string(k) + ")."},
                {"summary", "Ines watches the lights, step " + std::to_string(k) + "."},
                {"plans", {"The lights land.", "The radio speaks.", "Ines hides."}}};
    } else if (schema == "plan_choice") {
      answer = {{"choice", 1 + n % 3}, {"reason", "it raises the stakes"}};
    } else if (schema == "paragraph_summaries") {
      int items = static_cast<int>(std::distance(std::sregex_iterator(user.begin(), user.end(), kItemMarker),
                                                 std::sregex_iterator()));
      json list = json::array();
      for (int i = 0; i < items; ++i)
        list.push_back("summary " + std::to_string(i + 1));
      answer = {{"summaries", list}};
    } else if (schema == "story_plans") {
      answer = {{"plans", {"a", "b", "c"}}};
    } else {
      return FakeResponse::error(400, "unexpected schema " + schema);
    }
    // The acceptance scenario's faults: two 429s, a 500, a truncated stream, an invalid answer.
    switch (n) {
    case 4: faultsServed.insert(n); return FakeResponse::error(429, "rate limited", std::string("0"));
    case 9: faultsServed.insert(n); return FakeResponse::error(429, "rate limited again", std::string("0"));
    case 15: faultsServed.insert(n); return FakeResponse::error(500, "internal error");
    case 22: faultsServed.insert(n); return recurrent::test::chatStream(answer.dump()).cutAfter(60);
    case 30: faultsServed.insert(n); return recurrent::test::chatStream(R"({"paragraph": 42})");
    default: return recurrent::test::chatStream(answer.dump());
    }
  }
};

std::size_t proseParagraphs(const std::string &text) {
  std::size_t n = 0;
  engine::Manuscript m(text);
  for (const auto &p : m.paragraphs())
    n += m.paragraphText(p).rfind("#", 0) == 0 ? 0 : 1;
  return n;
}

} // namespace

TEST_CASE("acceptance: 30 steps with the human simulator through two 429s, a 500, a cut stream and a bad answer") {
  FakeLlmServer server;
  auto author = std::make_shared<ScriptedAuthor>();
  server.setHandler([author](const FakeRequest &r) { return (*author)(r); });
  test::TempDir dir;
  auto r = run(dir, {"write", "--base-url", server.baseUrl(), "--model", "m", "--topic", "Aliens", "--type",
                     "science fiction", "--iterations", "30", "--select", "llm", "--out", "novel.md"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(author->faultsServed.size() == 5);
  CHECK(r.out.find("30 steps written to novel.md") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(retries: (\d+))")));
  CHECK(std::stoi(m[1]) >= 5);
  CHECK(r.out.find("LLM calls: ") != std::string::npos);
  CHECK(r.out.find("tokens: ") != std::string::npos);
  CHECK(r.err.find("retrying") != std::string::npos);
  auto text = readFile(dir / "novel.md");
  REQUIRE(text.ok());
  CHECK(text->rfind("# The Visitors", 0) == 0);
  CHECK(proseParagraphs(*text) == 33);
  // Thirty step paragraphs, each once (answers cut off by a fault were never written).
  std::set<std::string> seen;
  int markers = 0;
  const std::regex stepMarker(R"(Step \d+: )");
  for (std::sregex_iterator it(text->begin(), text->end(), stepMarker), end; it != end; ++it, ++markers)
    seen.insert(it->str());
  CHECK(markers == 30);
  CHECK(seen.size() == 30);

  auto state = run(dir, {"state", "novel.md", "--json"});
  REQUIRE(state.exitCode == 0);
  auto j = json::parse(state.out);
  CHECK(j["step"] == 30);
  CHECK(j["counts"]["paragraphs"] == 33);
}

TEST_CASE("offline with nothing given: the bundled opening continued, marked offline, readable") {
  test::TempDir dir;
  auto r = run(dir, {"write", "--iterations", "12", "--seed", "5"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.out.find("offline stand-in") != std::string::npos);
  CHECK(r.out.find("12 steps written to story.md") != std::string::npos);
  auto text = readFile(dir / "story.md");
  REQUIRE(text.ok());
  CHECK(text->rfind("# The Salt Archive", 0) == 0);
  CHECK(proseParagraphs(*text) == 12 + 12);
  CHECK(text->find("offline") == std::string::npos); // the prose is never marked
  CHECK(readFile(dir / ".recurrent/story.md/plans.md")->find("offline stand-in") != std::string::npos);

  auto state = run(dir, {"state", "story.md", "--json"});
  REQUIRE(state.exitCode == 0);
  auto j = json::parse(state.out);
  CHECK(j["step"] == 12);
  CHECK(j["offline"] == true);
  CHECK(j["plans"].size() == 3);
  CHECK(j["counts"]["memoryEntries"] == 24);
  auto human = run(dir, {"state", "story.md"});
  CHECK(human.out.find("Short-term memory") != std::string::npos);
  CHECK(human.out.find("step 12") != std::string::npos);

  // Resume continues where it stopped.
  auto more = run(dir, {"write", "--resume", "--out", "story.md", "--iterations", "3"});
  INFO("stderr: " << more.err);
  REQUIRE(more.exitCode == 0);
  CHECK(json::parse(run(dir, {"state", "story.md", "--json"}).out)["step"] == 15);
  CHECK(proseParagraphs(readFile(dir / "story.md").value()) == 27);
}

TEST_CASE("write waits while another process holds the story's writer lock, then writes") {
  test::TempDir dir;
  REQUIRE(run(dir, {"write", "--iterations", "2", "--seed", "3"}).exitCode == 0);
  // This test process plays the editor's server: it holds the lock for a few seconds.
  auto held = engine::StateLock::tryAcquire(dir / ".recurrent/story.md", "recurrent lsp");
  REQUIRE(held.ok());
  REQUIRE(held->lock != nullptr);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::seconds(4)); // the write below starts in well under that
    held->lock.reset();
  });
  auto r = run(dir, {"write", "--resume", "--out", "story.md", "--iterations", "2"});
  release.join();
  INFO("stderr: " << r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.err.find("waiting: process " + std::to_string(::getpid()) + " (recurrent lsp) is writing this story") !=
        std::string::npos);
  CHECK(json::parse(run(dir, {"state", "story.md", "--json"}).out)["step"] == 4);
}

TEST_CASE("write explains its options and refuses what would lose work") {
  test::TempDir dir;
  auto help = run(dir, {"write", "--help"});
  CHECK(help.exitCode == 0);
  for (const char *flag : {"--topic", "--type", "--iterations", "--out", "--from", "--resume", "--select", "--language",
                           "--seed", "--mode", "--context-tokens", "--base-url", "--model", "--provider"})
    CHECK_MESSAGE(help.out.find(flag) != std::string::npos, flag);
  auto bad = run(dir, {"write", "--select", "sometimes"});
  CHECK(bad.exitCode != 0);
  CHECK(bad.err.find("--select") != std::string::npos);
  REQUIRE(writeFileAtomically(dir / "mine.md", "My own words.\n").ok());
  auto clobber = run(dir, {"write", "--topic", "x", "--out", "mine.md"});
  CHECK(clobber.exitCode != 0);
  CHECK(readFile(dir / "mine.md").value() == "My own words.\n");
  auto noState = run(dir, {"state", "mine.md"});
  CHECK(noState.exitCode != 0);
  CHECK(noState.err.find("no story state") != std::string::npos);
}
