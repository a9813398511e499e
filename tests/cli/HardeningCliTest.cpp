// Faults and limits through the built binary: unwritable state, a full disk, mangled state files,
// the API key kept out of every output, and writes confined to the manuscript's .recurrent/ folder.
#include "engine/StatePaths.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/VectorIndex.h"
#include "engine/story/StoryState.h"
#include "support/Files.h"
#include "tests/hardening/Fixtures.h"
#include "tests/hardening/LspProcess.h"
#include "tests/support/Process.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
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
using recurrent::test::book;
using recurrent::test::oneLineError;
using recurrent::test::memoryLoadsCleanly;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kNobody = 65534;

ProcessOptions in(const fs::path &dir) {
  ProcessOptions o;
  o.cwd = dir;
  return o;
}

/// Files under the state folder that are not state files (left-over temporaries).
std::vector<std::string> strayFiles(const fs::path &stateDir) {
  std::vector<std::string> out;
  if (!fs::exists(stateDir))
    return out;
  for (const auto &e : fs::directory_iterator(stateDir)) {
    std::string name = e.path().filename().string();
    if (name != "memory.jsonl" && name != "vectors.hnsw" && name != "vectors.json" && name != "words.index" &&
        name != "memory.verified" && name != "story.json" && name != "calls.jsonl" && name != "short-term-memory.md" && name != "plans.md" && name != "history" &&
        name != "lock" && // the writer lock (engine/book/StateLock.h)
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
  const std::size_t before = memoryLoadsCleanly(dir / "book.md").size();
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
  CHECK(memoryLoadsCleanly(dir / "book.md").size() == before);
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
  REQUIRE(memoryLoadsCleanly(dir / "book.md").size() == 6);

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
  CHECK(test::entriesMatchManuscript(memoryLoadsCleanly(dir / "book.md"), big) == 400);
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
    CHECK(test::entriesMatchManuscript(memoryLoadsCleanly(dir / "book.md"), book(40)) == 40);
    auto again = runBinary({"search", "book.md", "Beatrix and the copper mine", "--json"}, in(dir.path()));
    CHECK_MESSAGE(again.exitCode == 0, again.err);
    CHECK(again.out.find("Beatrix") != std::string::npos);
  }
}

TEST_CASE("hardening: the API key appears in no output and no file, but reaches the server") {
  // Grepped for in full and in part (a masked "sk-...a8e5" would still hand out the middle).
  const std::string key = "sk-test-SECRET-7d41c0ffee93b2a8e5";
  const std::vector<std::string> fragments = {key, "SECRET", "c0ffee93"};
  test::FakeLlmServer server;
  test::SchemaAnswers answers;
  server.setHandler([&answers](const test::FakeRequest &r) {
    if (r.path == "/v1/chat/completions")
      return answers.respond(r);
    if (r.path == "/v1/models")
      return test::FakeResponse::json({{"object", "list"}, {"data", {{{"id", "fake-model"}, {"object", "model"}}}}});
    return author(r); // embeddings
  });
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book.md", book(15)));
  REQUIRE(writeFileAtomically(dir / "chapter.md", book(8, 100)));
  ProcessOptions o = in(dir.path());
  o.env = {{"RECURRENT_API_KEY", key},
           {"RECURRENT_PROVIDER", "openai"},
           {"RECURRENT_BASE_URL", server.baseUrl()},
           {"RECURRENT_MODEL", "fake-model"},
           {"RECURRENT_EMBED_MODEL", "fake-embed"}};
  std::vector<std::pair<std::string, std::string>> outputs; // (what, bytes)
  auto run = [&](const std::vector<std::string> &args) {
    auto r = runBinary(args, o);
    CAPTURE(args.front());
    CHECK_MESSAGE(r.signal == 0, r.err);
    outputs.push_back({args.front() + " stdout", r.out});
    outputs.push_back({args.front() + " stderr", r.err});
    return r;
  };
  CHECK(run({"index", "book.md", "--json"}).exitCode == 0);
  CHECK(run({"search", "book.md", "the lighthouse", "--json"}).exitCode == 0);
  CHECK(run({"index", "book.md"}).exitCode == 0);
  CHECK(run({"search", "book.md", "harbour bell"}).exitCode == 0);
  auto write = run({"write", "--topic", "a lighthouse keeper", "--type", "mystery", "--iterations", "3", "--select",
                    "llm", "--out", "novel.md"});
  CHECK_MESSAGE(write.exitCode == 0, write.err);
  CHECK(run({"state", "novel.md", "--json"}).exitCode == 0);
  CHECK(fs::exists(StatePaths::forManuscript(dir / "novel.md").callLog()));

  // The editor session with every log level on: trace to a log file, and $/logTrace echoes.
  const std::string uri = "file://" + (dir / "chapter.md").string();
  {
    test::LspProcess lsp(o, dir / "lsp-stderr.txt", {"--log-level", "trace", "--log-file", (dir / "lsp.log").string()});
    lsp.settings = {{"provider", "openai"}, {"autoAdopt", true}};
    REQUIRE(!lsp.initialize(dir.path(), "verbose").is_null());
    lsp.notify("$/setTrace", {{"value", "verbose"}});
    lsp.open(uri, book(8, 100));
    auto ready = lsp.waitForNotification("$/progress", [](const nlohmann::json &p) {
      return p["value"].value("kind", "") == "end";
    });
    REQUIRE_MESSAGE(!ready.is_null(), lsp.transcript());
    CHECK(ready["value"].value("message", "") == "memory ready");
    CHECK(lsp.call("workspace/symbol", {{"query", "gulls at the ferry"}}).contains("result"));
    CHECK(lsp.call("recurrent/lastPrompt", {{"uri", uri}}).contains("result"));
    CHECK(lsp.stop() == 0);
    CHECK(!lsp.notifications("$/logTrace").empty());
    outputs.push_back({"lsp stdout", lsp.transcript()});
  }
  CHECK(readFile(dir / "lsp.log").value().find("[debug] opened") != std::string::npos); // the level took effect

  // A rejected key, on the command line and in the editor: reported, without the key.
  o.env["RECURRENT_API_KEY"] = key + "-wrong";
  server.setHandler([](const test::FakeRequest &) {
    return test::FakeResponse::error(401, "Incorrect API key provided");
  });
  auto rejected = run({"search", "book.md", "rejected key"});
  CHECK(rejected.exitCode != 0);
  CHECK(rejected.err.find("401") != std::string::npos);
  {
    test::LspProcess lsp(o, dir / "lsp-stderr-2.txt", {"--log-level", "trace"});
    lsp.settings = {{"provider", "openai"}, {"autoAdopt", true}};
    REQUIRE(!lsp.initialize(dir.path(), "verbose").is_null());
    REQUIRE(writeFileAtomically(dir / "fresh.md", book(4, 300)));
    lsp.open("file://" + (dir / "fresh.md").string(), book(4, 300));
    auto shown = lsp.waitForNotification("window/showMessage");
    REQUIRE_MESSAGE(!shown.is_null(), lsp.transcript());
    CHECK(shown["message"].get<std::string>().find("401") != std::string::npos);
    CHECK(lsp.stop() == 0);
    outputs.push_back({"lsp stdout (rejected key)", lsp.transcript()});
  }

  auto embeddings = server.requests("/v1/embeddings");
  REQUIRE(!embeddings.empty());
  for (const auto &r : embeddings)
    CHECK(r.headers.count("authorization") == 1);
  CHECK(embeddings.front().headers.at("authorization") == "Bearer " + key);
  auto chats = server.requests("/v1/chat/completions");
  REQUIRE(!chats.empty());
  CHECK(chats.front().headers.at("authorization") == "Bearer " + key);

  for (const auto &[rel, bytes] : test::snapshot(dir.path()))
    outputs.push_back({rel, bytes});
  CHECK(outputs.size() > 20);
  for (const auto &output : outputs) // no structured binding: CAPTURE's lambda cannot take one in clang 14
    for (const auto &fragment : fragments) {
      CAPTURE(output.first);
      CHECK(output.second.find(fragment) == std::string::npos);
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

TEST_CASE("hardening: a mangled story.json is set aside with a note and rebuilt, and the story goes on") {
  const std::vector<std::pair<std::string, std::string>> manglings = {
      {"truncated", "{\"title\": \"The Salt"},
      {"garbage", "\x01\x02 not json at all \xff"},
      {"emptied", ""},
      {"wrong types", R"({"title": 12, "step": "many", "plans": {"a": 1}, "shortTermMemory": [1, 2]})"}};
  for (const auto &mangling : manglings) { // no structured binding: CAPTURE's lambda (clang 14)
    const std::string &how = mangling.first, &bytes = mangling.second;
    CAPTURE(how);
    test::TempDir dir;
    auto first = runBinary({"write", "--iterations", "1", "--seed", "5"}, in(dir.path()));
    REQUIRE_MESSAGE(first.exitCode == 0, first.err);
    const auto paths = StatePaths::forManuscript(dir / "story.md");
    const std::string manuscript = readFile(dir / "story.md").value();
    REQUIRE(writeFileAtomically(paths.story(), bytes));

    auto state = runBinary({"state", "story.md"}, in(dir.path()));
    CHECK(state.signal == 0);
    CHECK_MESSAGE(state.exitCode == 0, state.err);
    CHECK((state.out + state.err).find("story.json") != std::string::npos); // the writer is told
    auto resumed = runBinary({"write", "--resume", "--out", "story.md", "--iterations", "1"}, in(dir.path()));
    CHECK(resumed.signal == 0);
    CHECK_MESSAGE(resumed.exitCode == 0, resumed.err);
    // Nothing written is lost; one paragraph more; the new state is whole.
    const std::string after = readFile(dir / "story.md").value();
    CHECK(after.rfind(manuscript.substr(0, manuscript.find_last_not_of('\n') + 1), 0) == 0);
    CHECK(after.size() > manuscript.size());
    auto parsed = engine::parseStoryJson(readFile(paths.story()).value());
    CHECK(parsed.readable);
    CHECK(parsed.notes.empty());
    bool setAside = false;
    for (const auto &e : fs::directory_iterator(paths.dir))
      setAside |= e.path().filename().string().rfind("story.json.", 0) == 0;
    CHECK(setAside == (how != "wrong types")); // a readable file keeps its readable fields in place
  }
}
