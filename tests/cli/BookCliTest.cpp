// Folder books through the built binary: one memory and one state for every chapter file.
#include "engine/StatePaths.h"
#include "engine/memory/LongTermMemory.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/Process.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <set>
#include <thread>

using namespace recurrent;
namespace fs = std::filesystem;

namespace {

test::ProcessResult run(const fs::path &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir, {}, std::nullopt, std::nullopt});
}

std::string chapter(int n, int paragraphs) {
  const char *places[] = {"lighthouse", "vineyard", "copper mine", "cathedral", "ferry", "orchard"};
  std::string out = "# Chapter " + std::to_string(n) + "\n";
  for (int i = 0; i < paragraphs; ++i)
    out += "\nIn chapter " + std::to_string(n) + " Ilse walked to the " + places[(n + i) % 6] + " and counted " +
           std::to_string(n * 100 + i) + " gulls before the weather turned.\n";
  return out;
}

std::vector<std::string> fakeModelArgs(const test::FakeLlmServer &server) {
  return {"--provider", "openai", "--base-url", server.baseUrl(), "--model", "fake-model"};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace

TEST_CASE("book cli: two chapter files of a folder book share one memory and one step counter") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "novel/ch2.md", chapter(2, 3)).ok());
  REQUIRE(writeFileAtomically(dir / "novel/ch1.md", chapter(1, 3)).ok());
  auto adopt = run(dir.path(), {"write", "--from", "novel", "--iterations", "2", "--select", "first", "--seed", "3"});
  INFO(adopt.err);
  REQUIRE(adopt.exitCode == 0);
  CHECK(fs::exists(dir / "novel/.recurrent/book/story.json"));
  CHECK_FALSE(fs::exists(dir / "novel/.recurrent/ch1.md"));

  auto one = run(dir.path(), {"state", "novel/ch1.md", "--json"});
  auto two = run(dir.path(), {"state", "novel/ch2.md", "--json"});
  REQUIRE(one.exitCode == 0);
  REQUIRE(two.exitCode == 0);
  auto s1 = nlohmann::json::parse(one.out), s2 = nlohmann::json::parse(two.out);
  CHECK(s1["step"] == 2);
  CHECK(s2["step"] == 2);
  CHECK(s1["statePath"] == s2["statePath"]);
  CHECK(s1["book"]["chapters"] == nlohmann::json::array({"ch1.md", "ch2.md"}));
  CHECK(s1["counts"]["paragraphs"] == 8);
  CHECK(s1["counts"]["memoryEntries"] == 8);
  // The steps went to the last chapter.
  auto ch2 = readFile(dir / "novel/ch2.md");
  REQUIRE(ch2.ok());
  CHECK(*ch2 != chapter(2, 3));

  auto index = run(dir.path(), {"index", "novel/ch1.md", "--json"});
  REQUIRE(index.exitCode == 0);
  auto ij = nlohmann::json::parse(index.out);
  CHECK(ij["paragraphs"] == 8);
  CHECK(ij["summarised"] == 0);

  // Search finds paragraphs of either file and names them.
  std::set<std::string> files;
  for (auto query : {"Ilse counted 101 gulls", "Ilse counted 202 gulls"}) {
    auto found = run(dir.path(), {"search", "novel", query, "--json", "-k", "1"});
    REQUIRE(found.exitCode == 0);
    auto hits = nlohmann::json::parse(found.out);
    REQUIRE(hits.size() == 1);
    files.insert(hits[0]["file"].get<std::string>());
    CHECK(hits[0]["line"].get<int>() >= 3);
  }
  CHECK(files == std::set<std::string>{"ch1.md", "ch2.md"});
}

TEST_CASE("book cli: write --out DIR/ --chapter-steps starts chapter files that follow the naming pattern") {
  test::TempDir dir;
  auto r = run(dir.path(), {"write", "--out", "book/", "--iterations", "4", "--chapter-steps", "2", "--select",
                            "first", "--seed", "5"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(fs::exists(dir / "book/chapter-01.md"));
  CHECK(fs::exists(dir / "book/chapter-02.md"));
  CHECK_FALSE(fs::exists(dir / "book/chapter-03.md")); // steps 1-2 in chapter 1, steps 3-4 in chapter 2
  auto second = readFile(dir / "book/chapter-02.md");
  REQUIRE(second.ok());
  CHECK(second->rfind("# Chapter 2\n", 0) == 0);
  CHECK(second->size() > 100);
  auto state = nlohmann::json::parse(run(dir.path(), {"state", "book", "--json"}).out);
  CHECK(state["step"] == 4);
  CHECK(run(dir.path(), {"write", "--out", "story.md", "--chapter-steps", "2"}).exitCode != 0);
}

TEST_CASE("book cli: a declined cost confirmation sends no request, --yes sends them and calls.jsonl counts each") {
  test::TempDir dir;
  test::FakeLlmServer server;
  test::SchemaAnswers answers;
  server.setHandler(answers.handler());
  REQUIRE(writeFileAtomically(dir / "fresh/01.md", chapter(1, 4)).ok());
  REQUIRE(writeFileAtomically(dir / "fresh/02.md", chapter(2, 4)).ok());
  auto ask = with({"index", "fresh", "--confirm-above", "3", "--confirm-local"}, fakeModelArgs(server));
  auto declined = run(dir.path(), ask);
  CHECK(declined.exitCode != 0);
  CHECK(declined.err.find("8 new paragraphs to summarise") != std::string::npos);
  CHECK(declined.err.find("--yes") != std::string::npos);
  CHECK(server.requests().empty());
  CHECK_FALSE(fs::exists(dir / "fresh/.recurrent/book/memory.jsonl"));

  auto accepted = run(dir.path(), with(ask, {"--yes"}));
  INFO(accepted.err);
  REQUIRE(accepted.exitCode == 0);
  const auto chats = server.requestCount();
  CHECK(chats > 0);
  auto log = readFile(dir / "fresh/.recurrent/book/calls.jsonl");
  REQUIRE(log.ok());
  CHECK(static_cast<std::size_t>(std::count(log->begin(), log->end(), '\n')) == chats);
}

TEST_CASE("book cli: kill -9 while indexing a folder book, then rerun: every paragraph exactly once") {
  test::TempDir dir;
  test::FakeLlmServer server;
  test::SchemaAnswers answers;
  // Slow answers, so the kill lands in the middle of the run.
  server.setHandler([&](const test::FakeRequest &r) {
    auto response = answers.respond(r);
    return response.split(7, 64, std::chrono::milliseconds(2));
  });
  for (int n = 1; n <= 4; ++n)
    REQUIRE(writeFileAtomically(dir / ("book/ch" + std::to_string(n) + ".md"), chapter(n, 15)).ok());
  auto args = with({"index", "book", "--yes"}, fakeModelArgs(server));
  auto pid = test::startBinary(args, {dir.path(), {}, std::nullopt, std::nullopt}, dir / "out", dir / "err");
  for (int i = 0; i < 2000 && server.requestCount() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  test::waitChild(pid);
  const auto before = server.requestCount();
  CHECK(before >= 2);

  auto rerun = run(dir.path(), with(args, {"--json"}));
  INFO(rerun.err);
  REQUIRE(rerun.exitCode == 0);
  auto j = nlohmann::json::parse(rerun.out);
  CHECK(j["paragraphs"] == 60);
  CHECK(j["summarised"].get<int>() + j["reused"].get<int>() == 60);
  auto bytes = readFile(dir / "book/.recurrent/book/memory.jsonl");
  REQUIRE(bytes.ok());
  auto entries = engine::parseMemoryLog(*bytes).entries;
  CHECK(entries.size() == 60);
  std::set<std::size_t> positions;
  std::set<engine::ParagraphHash> hashes;
  for (const auto &e : entries) {
    positions.insert(e.paragraph);
    hashes.insert(e.hash);
    CHECK_FALSE(e.summary.empty());
  }
  CHECK(positions.size() == 60);
  CHECK(hashes.size() == 60);
}
