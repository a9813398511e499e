// `recurrent index` and `recurrent search` through the built binary.
#include "engine/book/StateLock.h"
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>

using namespace recurrent;
namespace fs = std::filesystem;

namespace {

/// Runs the binary in `dir` with no backend environment (no key, no provider), stdin closed.
test::ProcessResult run(const fs::path &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir, {}, std::nullopt, std::nullopt});
}

std::string generatedBook() {
  const char *places[] = {"lighthouse", "vineyard", "copper mine", "cathedral", "ferry", "orchard"};
  const char *people[] = {"Ilse", "Tomasz", "Beatrix", "Oduya", "Fenwick", "Marguerite"};
  std::string text = "# The Harbour Book\n\n";
  for (int i = 0; i < 30; ++i) {
    if (i % 10 == 0)
      text += "## Chapter " + std::to_string(i / 10 + 1) + "\n\n";
    text += std::string(people[i % 6]) + " walked to the " + places[(i / 6) % 6] + " on day " + std::to_string(i) +
            " and counted " + std::to_string(i * 13 + 5) + " gulls. The weather turned, as it always did.\n\n";
  }
  text += "The keeper of the lighthouse polished the great brass lens while the fog horn moaned all night.\n";
  return text;
}

} // namespace

TEST_CASE("recurrent index --json builds the memory, a second run reuses it") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook()).ok());
  auto first = run(dir.path(), {"index", "book.md", "--json"});
  INFO(first.err);
  REQUIRE(first.exitCode == 0);
  auto j = nlohmann::json::parse(first.out);
  CHECK(j["paragraphs"] == 31);
  CHECK(j["summarised"] == 31);
  CHECK(j["embedded"] == 31);
  CHECK(j["summarizer"] == "extractive-v1");
  CHECK(j["embedder"].get<std::string>().rfind("hashed-v1-", 0) == 0);
  CHECK(fs::exists(dir / ".recurrent/book.md/memory.jsonl"));

  auto second = run(dir.path(), {"index", "book.md", "--json"});
  REQUIRE(second.exitCode == 0);
  auto k = nlohmann::json::parse(second.out);
  CHECK(k["summarised"] == 0);
  CHECK(k["reused"] == 31);

  auto text = run(dir.path(), {"index", "book.md"});
  REQUIRE(text.exitCode == 0);
  CHECK(text.out.find("31 paragraphs") != std::string::npos);
  CHECK(text.err.empty()); // no progress line when stderr is not a terminal
}

TEST_CASE("recurrent search --json ranks the paragraph a sentence comes from first") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook()).ok());
  // search builds the memory itself when needed
  auto r = run(dir.path(), {"search", "book.md", "the brass lens of the lighthouse and the fog horn", "-k", "2",
                            "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  auto hits = nlohmann::json::parse(r.out);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0]["paragraph"] == 31);
  CHECK(hits[0]["line"] > 60);
  CHECK(hits[0]["summary"].get<std::string>().find("brass lens") != std::string::npos);
  CHECK(hits[0]["score"].get<double>() >= hits[1]["score"].get<double>());
  CHECK(hits[0]["chapter"] == "Chapter 3");

  auto plain = run(dir.path(), {"search", "book.md", "Beatrix counted gulls"});
  REQUIRE(plain.exitCode == 0);
  CHECK(plain.out.find("1. ") != std::string::npos);
  CHECK(plain.out.find("3. ") != std::string::npos); // default k is 3
  CHECK(plain.out.find("4. ") == std::string::npos);
}

TEST_CASE("recurrent index/search: errors exit non-zero with one line on stderr") {
  test::TempDir dir;
  auto missing = run(dir.path(), {"index", "nope.md"});
  CHECK(missing.exitCode == 1);
  CHECK(missing.err.rfind("recurrent index: ", 0) == 0);
  CHECK(missing.err.find("nope.md") != std::string::npos);
  CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
  CHECK(missing.out.empty());

  auto searchMissing = run(dir.path(), {"search", "nope.md", "query"});
  CHECK(searchMissing.exitCode == 1);
  CHECK(searchMissing.err.rfind("recurrent search: ", 0) == 0);

  CHECK(run(dir.path(), {"index"}).exitCode == 2);
  CHECK(run(dir.path(), {"search", "book.md"}).exitCode == 2);
  auto badK = run(dir.path(), {"search", "book.md", "q", "-k", "many"});
  CHECK(badK.exitCode == 2);
  CHECK(badK.err.find("--k") != std::string::npos);
  auto unknown = run(dir.path(), {"index", "book.md", "--frobnicate"});
  CHECK(unknown.exitCode == 2);
  CHECK(unknown.err.find("--frobnicate") != std::string::npos);

  auto help = run(dir.path(), {"index", "--help"});
  CHECK(help.exitCode == 0);
  CHECK(help.out.find("usage: recurrent index FILE") != std::string::npos);
  CHECK(run(dir.path(), {"search", "--help"}).out.find("-k N") != std::string::npos);
}

TEST_CASE("recurrent index: a corrupted memory file is set aside with a warning and rebuilt") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook()).ok());
  REQUIRE(run(dir.path(), {"index", "book.md"}).exitCode == 0);
  REQUIRE(writeFileAtomically(dir / ".recurrent/book.md/memory.jsonl", "{{{ broken").ok());
  auto r = run(dir.path(), {"index", "book.md", "--json"});
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.find("warning") != std::string::npos);
  CHECK(r.err.find("memory.jsonl.corrupt-") != std::string::npos);
  CHECK(nlohmann::json::parse(r.out)["summarised"] == 31);
}

TEST_CASE("recurrent search --explain names the matched words, the neighbour that held them, the fused score") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook()).ok());
  // Paragraph 31 holds "lens"; "Marguerite walked" is in paragraph 30, the one before it.
  auto r = run(dir.path(), {"search", "book.md", "the lens Marguerite", "-k", "1", "--json", "--explain"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  auto hits = nlohmann::json::parse(r.out);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0]["paragraph"] == 31);
  const auto &why = hits[0]["explain"];
  CHECK(why["fused"].get<double>() > 0);
  std::map<std::string, std::vector<long long>> words;
  for (const auto &w : why["words"])
    words[w["word"].get<std::string>()] = w["paragraphs"].get<std::vector<long long>>();
  CHECK(words["lens"] == std::vector<long long>{31});
  CHECK(words["marguerite"] == std::vector<long long>{30});

  auto text = run(dir.path(), {"search", "book.md", "the lens Marguerite", "-k", "1", "--explain"});
  REQUIRE(text.exitCode == 0);
  CHECK(text.out.find("why: fused ") != std::string::npos);
  CHECK(text.out.find("marguerite (-1)") != std::string::npos);
  CHECK(text.out.find("lens (here)") != std::string::npos);
}

namespace {

/// Runs the same search in `dir` and in a copy of it without memory.verified (the full check at open):
/// both answers must be the same, byte for byte.
std::string searchBothWays(const fs::path &dir, const std::string &query) {
  test::TempDir full;
  fs::copy(dir, full.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::remove(full.path() / ".recurrent/book.md/memory.verified");
  auto fast = run(dir, {"search", "book.md", query, "--json", "--explain", "-k", "5"});
  auto slow = run(full.path(), {"search", "book.md", query, "--json", "--explain", "-k", "5"});
  INFO(fast.err);
  INFO(slow.err);
  REQUIRE(fast.exitCode == 0);
  REQUIRE(slow.exitCode == 0);
  CHECK(fast.out == slow.out);
  CHECK(nlohmann::json::parse(fast.out).size() == 5);
  return fast.out;
}

} // namespace

TEST_CASE("recurrent search: the memory checked at the last close answers exactly as the full check does") {
  test::TempDir dir;
  const fs::path state = dir / ".recurrent/book.md";
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook()).ok());
  REQUIRE(run(dir.path(), {"index", "book.md"}).exitCode == 0);
  CHECK(fs::exists(state / "memory.verified"));
  const std::string stamp = *readFile(state / "memory.verified");
  searchBothWays(dir.path(), "the keeper polished the brass lens");
  CHECK(*readFile(state / "memory.verified") == stamp); // nothing changed: nothing written

  // The state as it was, to put old files back later.
  test::TempDir before;
  fs::copy(state, before.path(), fs::copy_options::recursive);

  SUBCASE("a hand edit of memory.jsonl") {
    auto memory = *readFile(state / "memory.jsonl");
    auto at = memory.find("\"summary\":\"");
    REQUIRE(at != std::string::npos);
    memory.insert(at + 11, "Zanzibar quartermaster ");
    REQUIRE(writeFileAtomically(state / "memory.jsonl", memory).ok());
    auto out = searchBothWays(dir.path(), "Zanzibar quartermaster");
    CHECK(out.find("Zanzibar") != std::string::npos);
  }
  SUBCASE("a changed manuscript") {
    auto text = generatedBook();
    auto at = text.find("polished");
    text.replace(at, 8, "scrubbed and oiled");
    REQUIRE(writeFileAtomically(dir / "book.md", text).ok());
    auto out = searchBothWays(dir.path(), "scrubbed and oiled the lens");
    CHECK(out.find("scrubbed") != std::string::npos);
  }
  SUBCASE("a stale words.index, stale vectors and a stale memory.verified") {
    auto text = generatedBook() + "\nA new paragraph about the Zanzibar quartermaster and his brass lens.\n";
    REQUIRE(writeFileAtomically(dir / "book.md", text).ok());
    REQUIRE(run(dir.path(), {"index", "book.md"}).exitCode == 0);
    for (const char *name : {"words.index", "vectors.hnsw", "vectors.json", "memory.verified"}) {
      fs::copy_file(before / name, state / name, fs::copy_options::overwrite_existing);
      auto out = searchBothWays(dir.path(), "Zanzibar quartermaster brass lens");
      CHECK(out.find("Zanzibar") != std::string::npos);
    }
  }
  SUBCASE("memory.verified of the current files but another manuscript") {
    // The caches and the memory file as they are, the stamp naming a manuscript digest that is not this one.
    auto stampText = *readFile(state / "memory.verified");
    auto sp = stampText.find(' ');
    stampText.replace(sp + 1, 16, "0123456789abcdef");
    REQUIRE(writeFileAtomically(state / "memory.verified", stampText).ok());
    searchBothWays(dir.path(), "the keeper polished the brass lens");
  }
}

TEST_CASE("while another process writes the story, index waits for it and search reads the memory as last saved") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook()).ok());
  REQUIRE(run(dir.path(), {"index", "book.md"}).exitCode == 0);
  const auto memory = dir / ".recurrent/book.md/memory.jsonl";
  const std::string saved = readFile(memory).value();
  // This test process plays the editor's server, which holds the lock, and the writer adds a paragraph.
  auto held = engine::StateLock::tryAcquire(dir / ".recurrent/book.md", "recurrent lsp");
  REQUIRE(held.ok());
  REQUIRE(held->lock != nullptr);
  REQUIRE(writeFileAtomically(dir / "book.md", generatedBook() + "\nA whale surfaced beside the ferry at dawn.\n").ok());

  auto search = run(dir.path(), {"search", "book.md", "brass lens in the fog", "--json"});
  INFO(search.err);
  REQUIRE(search.exitCode == 0);
  CHECK(search.err.find("process " + std::to_string(::getpid()) + " (recurrent lsp) is writing this story") !=
        std::string::npos);
  CHECK(nlohmann::json::parse(search.out).size() == 3);
  CHECK(readFile(memory).value() == saved); // nothing written beside the writer

  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::seconds(3)); // the index below starts in well under that
    held->lock.reset();
  });
  auto index = run(dir.path(), {"index", "book.md", "--json"});
  release.join();
  INFO(index.err);
  REQUIRE(index.exitCode == 0);
  CHECK(index.err.find("waiting: process " + std::to_string(::getpid()) + " (recurrent lsp) is writing this story") !=
        std::string::npos);
  CHECK(nlohmann::json::parse(index.out)["summarised"] == 1);
}
