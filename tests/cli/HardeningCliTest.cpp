// Faults and limits through the built binary: unwritable state, a full disk, mangled state files,
// the API key kept out of every output, and writes confined to the manuscript's .recurrent/ folder.
#include "engine/StatePaths.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"
#include "tests/hardening/Process.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <sys/stat.h>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::ProcessOptions;
using recurrent::test::runBinary;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kNobody = 65534;

std::string book(int paragraphs, int salt = 0) {
  const char *people[] = {"Ilse", "Tomasz", "Beatrix", "Oduya", "Fenwick", "Marguerite"};
  const char *places[] = {"lighthouse", "vineyard", "copper mine", "cathedral", "ferry", "orchard"};
  std::string text = "# The Harbour Book\n\n";
  for (int i = 0; i < paragraphs; ++i)
    text += std::string(people[i % 6]) + " walked to the " + places[(i / 6) % 6] + " on day " +
            std::to_string(i + salt) + " and counted " + std::to_string(i * 13 + 5) +
            " gulls. The weather turned, as it always did, and the harbour bell rang twice.\n\n";
  return text;
}

ProcessOptions in(const fs::path &dir) {
  ProcessOptions o;
  o.cwd = dir;
  return o;
}

/// A one-line reason on stderr (ignoring blank lines and warnings), naming the command.
bool oneLineError(const std::string &err) {
  std::size_t lines = 0;
  std::size_t start = 0;
  while (start < err.size()) {
    std::size_t end = err.find('\n', start);
    std::string line = err.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.find("warning") == std::string::npos)
      ++lines;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return lines == 1 && err.rfind("recurrent", 0) == 0;
}

/// Every state file present loads cleanly; returns the memory's entry count.
std::size_t memoryLoadsCleanly(const fs::path &manuscript) {
  auto paths = StatePaths::forManuscript(manuscript);
  if (fs::exists(paths.longTermMemory())) {
    std::vector<std::string> bad;
    auto text = readFile(paths.longTermMemory());
    REQUIRE(text);
    parseMemoryFile(*text, bad);
    CHECK_MESSAGE(bad.empty(), "memory.jsonl has unusable lines: ", bad.front());
  }
  if (fs::exists(paths.vectorIndexMeta()) || fs::exists(paths.vectorIndex())) {
    auto index = VectorIndex::load(paths.vectorIndex(), paths.vectorIndexMeta());
    CHECK_MESSAGE(index, "the vector index does not load: ", index ? "" : index.error().message);
  }
  auto memory = LongTermMemory::open(paths, std::make_shared<HashedEmbedder>());
  REQUIRE(memory);
  auto warnings = (*memory)->loadWarnings();
  CHECK_MESSAGE(warnings.empty(), "loading needed repairs: ", warnings.empty() ? "" : warnings.front());
  return (*memory)->size();
}

/// Files under the state folder that are not state files (left-over temporaries).
std::vector<std::string> strayFiles(const fs::path &stateDir) {
  std::vector<std::string> out;
  if (!fs::exists(stateDir))
    return out;
  for (const auto &e : fs::directory_iterator(stateDir)) {
    std::string name = e.path().filename().string();
    if (name != "memory.jsonl" && name != "vectors.hnsw" && name != "vectors.json" && name != "story.json" &&
        name != "calls.jsonl" && name != "short-term-memory.md" && name != "plans.md" && name != "history" &&
        name.find(".corrupt-") == std::string::npos)
      out.push_back(name);
  }
  return out;
}

/// A minimal author for `recurrent write`: a valid answer for each structured task.
test::FakeResponse author(const test::FakeRequest &r) {
  using nlohmann::json;
  if (r.path == "/v1/embeddings") { // what the server answers by default (a handler replaces the defaults)
    json inputs = r.json.value("input", json::array()), data = json::array();
    if (inputs.is_string())
      inputs = json::array({inputs});
    for (const auto &text : inputs)
      data.push_back({{"index", data.size()}, {"embedding", test::FakeLlmServer::embeddingFor(text.get<std::string>(), 8)}});
    return test::FakeResponse::json({{"data", data}, {"model", "fake-embed"}});
  }
  std::string schema = r.json.value("/response_format/json_schema/name"_json_pointer, std::string());
  json answer;
  if (schema == "story_opening")
    answer = {{"title", "The Keeper"},
              {"outline", "A keeper finds a letter in the lens room."},
              {"paragraphs", {"The keeper climbed the stairs at dusk.", "A letter lay beside the lens."}},
              {"shortTermMemory", "The keeper has found a letter."},
              {"plans", {"She opens it.", "She burns it.", "She hides it."}}};
  else if (schema == "story_step")
    answer = {{"paragraph", "She read the letter twice, then a third time, by the light of the turning lamp."},
              {"rationale", "kept the letter"},
              {"shortTermMemory", "The keeper read the letter."},
              {"summary", "The keeper reads the letter."},
              {"plans", {"She writes back.", "She leaves.", "She waits."}}};
  else if (schema == "plan_choice")
    answer = {{"choice", 1}, {"reason", "first"}};
  else if (schema == "story_plans")
    answer = {{"plans", {"a", "b", "c"}}};
  else if (schema == "paragraph_summaries")
    answer = {{"summaries", json::array()}};
  else
    return test::FakeResponse::error(400, "unexpected task " + schema);
  return test::chatStream(answer.dump());
}

} // namespace

TEST_CASE("hardening: a state folder that cannot be written fails in one line and keeps the old state") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", book(12)));
  REQUIRE(runBinary({"index", "book.md"}, in(dir.path())).exitCode == 0);
  const std::size_t before = memoryLoadsCleanly(dir / "book.md");
  REQUIRE(before == 12);
  const std::string grown = book(20);
  REQUIRE(writeFileAtomically(dir / "book.md", grown));
  auto stateBefore = test::snapshot(dir.path());

  ProcessOptions o = in(dir.path());
  if (::geteuid() == 0) {
    // Root writes anywhere: run as nobody, who owns the files but may not write the state folder.
    for (const auto &e : fs::recursive_directory_iterator(dir.path()))
      REQUIRE(::chown(e.path().c_str(), kNobody, kNobody) == 0);
    REQUIRE(::chown(dir.path().c_str(), kNobody, kNobody) == 0);
    o.user = kNobody;
  }
  fs::path state = StatePaths::forManuscript(dir / "book.md").dir;
  fs::permissions(state, fs::perms::owner_read | fs::perms::owner_exec);

  SUBCASE("index") {
    auto r = runBinary({"index", "book.md"}, o);
    INFO(r.err);
    CHECK(r.signal == 0);
    CHECK(r.exitCode != 0);
    CHECK(oneLineError(r.err));
  }
  SUBCASE("search still answers from the memory it can read") {
    auto r = runBinary({"search", "book.md", "lighthouse gulls"}, o);
    INFO(r.err);
    CHECK(r.signal == 0);
    CHECK((r.exitCode == 0 || oneLineError(r.err)));
  }
  fs::permissions(state, fs::perms::owner_all);
  CHECK(test::snapshot(dir.path()) == stateBefore);
  CHECK(memoryLoadsCleanly(dir / "book.md") == before);
}

TEST_CASE("hardening: the manuscript's folder cannot be written, so .recurrent/ cannot be created") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", book(5)));
  ProcessOptions o = in(dir.path());
  if (::geteuid() == 0) {
    REQUIRE(::chown(dir.path().c_str(), kNobody, kNobody) == 0);
    REQUIRE(::chown((dir / "book.md").c_str(), kNobody, kNobody) == 0);
    o.user = kNobody;
  }
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  auto r = runBinary({"index", "book.md"}, o);
  fs::permissions(dir.path(), fs::perms::owner_all);
  INFO(r.err);
  CHECK(r.signal == 0);
  CHECK(r.exitCode != 0);
  CHECK(oneLineError(r.err));
  CHECK(!fs::exists(dir / ".recurrent"));
  CHECK(readFile(dir / "book.md").value() == book(5));
}

TEST_CASE("hardening: a full disk (file-size limit) fails cleanly and leaves loadable state") {
  test::TempDir dir;
  const std::string small = book(6);
  REQUIRE(writeFileAtomically(dir / "book.md", small));
  REQUIRE(runBinary({"index", "book.md"}, in(dir.path())).exitCode == 0);
  REQUIRE(memoryLoadsCleanly(dir / "book.md") == 6);

  // 400 paragraphs: memory.jsonl and the index far exceed the limit. Each limit cuts a different write.
  const std::string big = book(400, 7);
  REQUIRE(writeFileAtomically(dir / "book.md", big));
  for (long limit : {512L, 4096L, 20000L, 60000L}) {
    CAPTURE(limit);
    ProcessOptions o = in(dir.path());
    o.fileSizeLimit = limit;
    auto r = runBinary({"index", "book.md"}, o);
    INFO(r.err);
    CHECK(r.signal == 0);
    CHECK(r.exitCode != 0);
    CHECK(oneLineError(r.err));
    CHECK(readFile(dir / "book.md").value() == big);
    memoryLoadsCleanly(dir / "book.md");
    CHECK(strayFiles(StatePaths::forManuscript(dir / "book.md").dir) == std::vector<std::string>{});
  }
  // With room again, the same command finishes the job.
  auto r = runBinary({"index", "book.md"}, in(dir.path()));
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(memoryLoadsCleanly(dir / "book.md") == 400);
}

TEST_CASE("hardening: mangled state files are repaired or set aside, never a crash") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", book(40)));
  REQUIRE(runBinary({"index", "book.md"}, in(dir.path())).exitCode == 0);
  auto paths = StatePaths::forManuscript(dir / "book.md");
  const std::map<std::string, std::string> good = {
      {"memory.jsonl", readFile(paths.longTermMemory()).value()},
      {"vectors.hnsw", readFile(paths.vectorIndex()).value()},
      {"vectors.json", readFile(paths.vectorIndexMeta()).value()}};

  std::mt19937 rng(6021);
  for (int round = 0; round < 24; ++round) {
    // Restore a good state, then mangle one or more files in one of several ways.
    for (const auto &[name, bytes] : good)
      REQUIRE(writeFileAtomically(paths.dir / name, bytes));
    std::string what;
    int mangled = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mangled; ++m) {
      auto it = std::next(good.begin(), static_cast<long>(rng() % good.size()));
      std::string bytes = readFile(paths.dir / it->first).value();
      switch (rng() % 5) {
      case 0: bytes.resize(bytes.empty() ? 0 : rng() % bytes.size()); what += it->first + " truncated; "; break;
      case 1: bytes.clear(); what += it->first + " emptied; "; break;
      case 2:
        for (int i = 0; i < 16 && !bytes.empty(); ++i)
          bytes[rng() % bytes.size()] = static_cast<char>(rng());
        what += it->first + " 16 bytes flipped; ";
        break;
      case 3: bytes = "{\"not\": \"what you expect\"}\n\x01\x02garbage\n"; what += it->first + " replaced; "; break;
      default:
        bytes.insert(rng() % (bytes.size() + 1), std::string(1000, static_cast<char>(rng())));
        what += it->first + " 1000 bytes inserted; ";
      }
      REQUIRE(writeFileAtomically(paths.dir / it->first, bytes));
    }
    CAPTURE(round);
    CAPTURE(what);
    auto search = runBinary({"search", "book.md", "Beatrix and the copper mine"}, in(dir.path()));
    CHECK_MESSAGE(search.signal == 0, search.err);
    CHECK_MESSAGE((search.exitCode == 0 || oneLineError(search.err)), search.err);
    auto index = runBinary({"index", "book.md"}, in(dir.path()));
    CHECK_MESSAGE(index.signal == 0, index.err);
    CHECK_MESSAGE(index.exitCode == 0, index.err);
    CHECK(memoryLoadsCleanly(dir / "book.md") == 40);
    auto again = runBinary({"search", "book.md", "Beatrix and the copper mine", "--json"}, in(dir.path()));
    CHECK_MESSAGE(again.exitCode == 0, again.err);
    CHECK(again.out.find("Beatrix") != std::string::npos);
  }
}

TEST_CASE("hardening: the API key appears in no output and no file, but reaches the server") {
  const std::string key = "sk-test-SECRET-7d41c0ffee93b2a8e5";
  test::FakeLlmServer server;
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", book(15)));
  ProcessOptions o = in(dir.path());
  o.env = {{"RECURRENT_API_KEY", key},
           {"RECURRENT_PROVIDER", "openai"},
           {"RECURRENT_BASE_URL", server.baseUrl()},
           {"RECURRENT_EMBED_MODEL", "fake-embed"},
           {"RECURRENT_LOG_LEVEL", "trace"},
           {"SPDLOG_LEVEL", "trace"},
           {"CURL_VERBOSE", "1"}};
  std::vector<test::ProcessResult> runs;
  runs.push_back(runBinary({"index", "book.md", "--json"}, o));
  runs.push_back(runBinary({"search", "book.md", "the lighthouse", "--json"}, o));
  runs.push_back(runBinary({"index", "book.md"}, o));
  runs.push_back(runBinary({"search", "book.md", "harbour bell"}, o));
  server.setHandler(author);
  runs.push_back(runBinary({"write", "--topic", "a lighthouse keeper", "--type", "mystery", "--iterations", "3",
                            "--select", "first", "--out", "novel.md"},
                           o));
  INFO("write: ", runs.back().err);
  CHECK(runs.back().exitCode == 0);
  CHECK(fs::exists(StatePaths::forManuscript(dir / "novel.md").callLog()));
  o.env["RECURRENT_API_KEY"] = key + "-wrong";
  server.setHandler([](const test::FakeRequest &r) {
    return r.path == "/v1/embeddings" ? test::FakeResponse::error(401, "Incorrect API key provided")
                                      : test::FakeResponse::error(404, "no");
  });
  runs.push_back(runBinary({"search", "book.md", "rejected key"}, o));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(i);
    CHECK(runs[i].signal == 0);
    CHECK(runs[i].out.find("SECRET") == std::string::npos);
    CHECK(runs[i].err.find("SECRET") == std::string::npos);
  }
  CHECK(runs[0].exitCode == 0);
  CHECK(runs[1].exitCode == 0);
  CHECK(runs.back().exitCode != 0); // the rejected key is reported (without the key)

  auto embeddings = server.requests("/v1/embeddings");
  REQUIRE(!embeddings.empty());
  for (const auto &r : embeddings)
    CHECK(r.headers.count("authorization") == 1);
  CHECK(embeddings.front().headers.at("authorization") == "Bearer " + key);
  auto chats = server.requests("/v1/chat/completions");
  REQUIRE(!chats.empty());
  CHECK(chats.front().headers.at("authorization") == "Bearer " + key);

  for (const auto &[rel, bytes] : test::snapshot(dir.path())) {
    CAPTURE(rel);
    CHECK(bytes.find("SECRET") == std::string::npos);
  }
}

TEST_CASE("hardening: state is private and nothing outside .recurrent/ changes") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", book(10)));
  REQUIRE(writeFileAtomically(dir / "notes.txt", "the writer's own notes\n"));
  fs::create_directories(dir / "drafts");
  REQUIRE(writeFileAtomically(dir / "drafts" / "old.md", book(3)));
  ::umask(022);
  auto before = test::snapshot(dir.path());

  for (auto args : std::vector<std::vector<std::string>>{{"index", "book.md"},
                                                         {"search", "book.md", "gulls"},
                                                         {"index", "drafts/old.md", "--json"},
                                                         {"state", "book.md"}}) {
    auto r = runBinary(args, in(dir.path()));
    CAPTURE(args.front());
    CHECK(r.signal == 0);
  }
  auto after = test::snapshot(dir.path(), ".recurrent");
  CHECK(after.count("drafts/.recurrent") == 1);
  std::erase_if(after, [](const auto &kv) { return kv.first.rfind("drafts/.recurrent", 0) == 0; });
  CHECK(after == before);
  for (const fs::path &p : {dir / ".recurrent", dir / ".recurrent" / "book.md", dir / "drafts" / ".recurrent"}) {
    CAPTURE(p);
    REQUIRE(fs::exists(p));
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    CHECK((st.st_mode & 077) == 0);
  }
  for (const auto &e : fs::recursive_directory_iterator(dir / ".recurrent")) {
    struct stat st {};
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    CAPTURE(e.path());
    CHECK((st.st_mode & 077) == 0);
  }
}
