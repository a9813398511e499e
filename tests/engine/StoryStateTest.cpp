// The story state on disk: round trips, lenient loading, human edits, undo snapshots.
#include "engine/story/StoryState.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <map>

using namespace recurrent;
using namespace recurrent::engine;

namespace {
StoryState sample() {
  StoryState s;
  s.title = "The Salt Archive";
  s.genre = "mystery";
  s.language = "English";
  s.outline = "Mara finds the ledgers.";
  s.shortTermMemory = "Mara saw a light.\n\nHer father is afraid.";
  s.rationale = "Kept the light.";
  s.plans = {"Mara goes to the customs house.", "Tobias tells the truth.", "Corvin arrives."};
  s.step = 7;
  s.seed = 0xfeedfacecafebeefull;
  s.model = "offline";
  s.offline = true;
  s.manuscript = {1234, 0xabcdef, 12};
  s.stats.llmCalls = 9;
  return s;
}
} // namespace

TEST_CASE("state round-trips through story.json and the Markdown files") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  auto s = sample();
  REQUIRE(store.save(s).ok());
  auto loaded = store.load();
  REQUIRE(loaded.ok());
  CHECK(loaded->existed);
  CHECK(loaded->notes.empty());
  const auto &l = loaded->state;
  CHECK(l.title == s.title);
  CHECK(l.shortTermMemory == s.shortTermMemory);
  CHECK(l.rationale == s.rationale);
  CHECK(l.plans == s.plans);
  CHECK(l.step == 7);
  CHECK(l.seed == s.seed);
  CHECK(l.manuscript == s.manuscript);
  CHECK(l.stats.llmCalls == 9);
  CHECK(l.offline);
  auto plansMd = readFile(store.paths().plans());
  REQUIRE(plansMd.ok());
  CHECK(plansMd->find("offline stand-in") != std::string::npos); // marked where a user reads it
}

TEST_CASE("a writer's edit of the Markdown files is what loads") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  REQUIRE(store.save(sample()).ok());
  REQUIRE(writeFileAtomically(store.paths().shortTermMemory(),
                              "# Short-term memory\n\nMara has the blue ledger now.\n\n## Why it changed\n\nI said so.\n")
              .ok());
  REQUIRE(writeFileAtomically(store.paths().plans(), "# Plans\n\n1. Burn the ledger.\n2. Hide it\n   under the stair.\n").ok());
  auto loaded = store.load();
  REQUIRE(loaded.ok());
  CHECK(loaded->state.shortTermMemory == "Mara has the blue ledger now.");
  CHECK(loaded->state.rationale == "I said so.");
  REQUIRE(loaded->state.plans.size() == 2);
  CHECK(loaded->state.plans[1] == "Hide it under the stair.");
}

TEST_CASE("plans parse from numbers, bullets or bare paragraphs, comments and notes are skipped") {
  CHECK(parsePlansMarkdown("- one\n- two\n* three\n") == std::vector<std::string>{"one", "two", "three"});
  CHECK(parsePlansMarkdown("<!-- hi -->\n> note\n\nFirst idea\nspans lines.\n\nSecond idea.\n") ==
        std::vector<std::string>{"First idea spans lines.", "Second idea."});
  CHECK(parsePlansMarkdown("1) a\n2) b").size() == 2);
  CHECK(parsePlansMarkdown("").empty());
}

TEST_CASE("a mangled field is reset with a note, a non-JSON story.json is set aside") {
  auto parsed = parseStoryJson(R"({"title": "T", "step": "seven", "plans": 3, "mode": "opera"})");
  CHECK(parsed.readable);
  CHECK(parsed.state.title == "T");
  CHECK(parsed.state.step == 0);
  CHECK(parsed.notes.size() == 3);

  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  REQUIRE(store.save(sample()).ok());
  REQUIRE(writeFileAtomically(store.paths().story(), "{ this is not json").ok());
  auto loaded = store.load();
  REQUIRE(loaded.ok());
  REQUIRE(loaded->notes.size() == 1);
  CHECK(loaded->notes[0].find("set aside") != std::string::npos);
  CHECK(loaded->state.shortTermMemory == sample().shortTermMemory); // the Markdown files still count
  CHECK_FALSE(std::filesystem::exists(store.paths().story()));
}

TEST_CASE("undo restores the newest snapshot, then the one before") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  auto s = sample();
  s.step = 1;
  REQUIRE(store.snapshot(s).ok());
  s.step = 2;
  s.shortTermMemory = "two";
  REQUIRE(store.snapshot(s).ok());
  s.step = 3;
  REQUIRE(store.save(s).ok());
  auto r = store.restoreSnapshot();
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->step == 2);
  CHECK(store.load()->state.shortTermMemory == "two");
  CHECK((*store.restoreSnapshot())->step == 1);
  CHECK_FALSE(store.restoreSnapshot()->has_value());
}

TEST_CASE("the step journal survives a round trip") {
  auto s = sample();
  StepJournal j;
  j.step = 8;
  j.paragraph = "She opened the door.";
  j.plans = {"a", "b", "c"};
  j.before = {10, 1, 1};
  j.after = {32, 2, 2};
  s.journal = j;
  auto parsed = parseStoryJson(renderStoryJson(s));
  REQUIRE(parsed.state.journal.has_value());
  CHECK(parsed.state.journal->paragraph == j.paragraph);
  CHECK(parsed.state.journal->after == j.after);
}

TEST_CASE("a bare '#' line in the memory file is a heading, not a crash (found by fuzzing)") {
  auto doc = parseShortTermMemoryMarkdown("#\nMara keeps the ledger.\n##\n");
  CHECK(doc.memory == "Mara keeps the ledger.");
}

namespace {
namespace fs = std::filesystem;

fs::path snapshotFolder(const StateStore &store, long step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%06ld", step);
  return store.paths().history() / name;
}

std::string bytesOf(const fs::path &p) {
  auto r = readFile(p);
  return r ? *r : std::string("<missing>");
}

std::size_t entriesIn(const fs::path &dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator(dir))
    ++n;
  return n;
}

const char *const kStateFiles[] = {"short-term-memory.md", "plans.md", "story.json"};

fs::path liveFile(const StateStore &store, const std::string &name) { return store.paths().dir / name; }
} // namespace

TEST_CASE("a snapshot links the live files that hold its state, the next save leaves it untouched") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  REQUIRE(store.save(sample()).ok());
  auto loaded = store.load(); // what the session does before every step
  REQUIRE(loaded.ok());
  std::map<std::string, std::string> before;
  for (std::string name : kStateFiles)
    before[name] = bytesOf(liveFile(store, name));

  REQUIRE(store.snapshot(loaded->state).ok());
  REQUIRE(store.snapshot(loaded->state).ok()); // again (a retried step): replaces, leaves no temporary name
  auto kept = snapshotFolder(store, 8);
  CHECK(entriesIn(kept) == 3);
  for (std::string name : kStateFiles) {
    CAPTURE(name);
    CHECK(bytesOf(kept / name) == before[name]);
    CHECK(fs::equivalent(kept / name, liveFile(store, name))); // a link, not a copy
  }

  auto next = loaded->state;
  next.step = 8;
  next.shortTermMemory = "Mara reached the customs house.";
  next.plans = {"She reads the ledger."};
  REQUIRE(store.save(next).ok());
  for (std::string name : kStateFiles) {
    CAPTURE(name);
    CHECK(bytesOf(liveFile(store, name)) != before[name]);
    CHECK(bytesOf(kept / name) == before[name]);
    CHECK(fs::hard_link_count(kept / name) == 1);
  }
  auto restored = store.restoreSnapshot();
  REQUIRE(restored.ok());
  REQUIRE(restored->has_value());
  CHECK((*restored)->step == 7);
  for (std::string name : kStateFiles) {
    CAPTURE(name);
    CHECK(bytesOf(liveFile(store, name)) == before[name]);
  }
}

TEST_CASE("a snapshot writes its files when the live ones are missing or hold another state") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));

  SUBCASE("no live files") {
    REQUIRE(store.snapshot(sample()).ok());
    auto kept = snapshotFolder(store, 8);
    CHECK(bytesOf(kept / "story.json") == renderStoryJson(sample()));
    CHECK(parsePlansMarkdown(bytesOf(kept / "plans.md")) == sample().plans);
    CHECK(parseShortTermMemoryMarkdown(bytesOf(kept / "short-term-memory.md")).memory == sample().shortTermMemory);
  }

  SUBCASE("the writer edited the memory after it was loaded") {
    REQUIRE(store.save(sample()).ok());
    auto loaded = store.load();
    REQUIRE(loaded.ok());
    REQUIRE(writeFileAtomically(store.paths().shortTermMemory(), "# Short-term memory\n\nMara burnt the ledger.\n").ok());
    REQUIRE(store.snapshot(loaded->state).ok());
    auto kept = snapshotFolder(store, 8);
    CHECK_FALSE(fs::equivalent(kept / "short-term-memory.md", store.paths().shortTermMemory()));
    CHECK(fs::equivalent(kept / "plans.md", store.paths().plans())); // the others still link
    auto restored = store.restoreSnapshot();
    REQUIRE(restored.ok());
    REQUIRE(restored->has_value());
    CHECK((*restored)->shortTermMemory == sample().shortTermMemory); // the state snapshotted, not the edit
  }

  SUBCASE("the live story.json carries the step journal") {
    REQUIRE(store.save(sample()).ok());
    auto journaled = sample();
    StepJournal j;
    j.step = 8;
    j.paragraph = "She opened the door.";
    j.after = {40, 2, 2};
    journaled.journal = j;
    REQUIRE(store.saveStoryJson(journaled).ok());
    auto loaded = store.load();
    REQUIRE(loaded.ok());
    REQUIRE(loaded->state.journal.has_value());
    REQUIRE(store.snapshot(loaded->state).ok());
    auto kept = snapshotFolder(store, 8);
    CHECK_FALSE(fs::equivalent(kept / "story.json", store.paths().story()));
    CHECK(bytesOf(kept / "story.json").find("journal") == std::string::npos);
    CHECK(fs::equivalent(kept / "plans.md", store.paths().plans()));
  }
}

TEST_CASE("undo drops a step journal found in a snapshot") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  auto old = sample();
  StepJournal j;
  j.step = 8;
  j.paragraph = "She opened the door.";
  j.after = {40, 2, 2};
  old.journal = j;
  // A snapshot written by hand, or by an older version, with the journal of the step it precedes.
  REQUIRE(writeFileAtomically(snapshotFolder(store, 8) / "story.json", renderStoryJson(old)).ok());
  auto restored = store.restoreSnapshot();
  REQUIRE(restored.ok());
  REQUIRE(restored->has_value());
  CHECK((*restored)->step == 7);
  CHECK_FALSE((*restored)->journal.has_value());
  CHECK_FALSE(store.load()->state.journal.has_value());
  CHECK(bytesOf(store.paths().story()).find("journal") == std::string::npos);
}

TEST_CASE("undo skips snapshots cut short by a crash: an empty folder, or one without story.json") {
  test::TempDir dir;
  StateStore store(StatePaths::forManuscript(dir / "novel.md"));
  auto s = sample();
  s.step = 1;
  s.shortTermMemory = "one";
  REQUIRE(store.snapshot(s).ok());
  s.step = 2;
  s.shortTermMemory = "two";
  REQUIRE(store.snapshot(s).ok());
  fs::create_directories(snapshotFolder(store, 4));
  s.step = 4;
  s.shortTermMemory = "four";
  REQUIRE(writeFileAtomically(snapshotFolder(store, 5) / "short-term-memory.md",
                              renderShortTermMemoryMarkdown("four", "", ""))
              .ok());
  s.step = 5;
  REQUIRE(store.save(s).ok());

  auto r = store.restoreSnapshot();
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->step == 2);
  CHECK((*r)->shortTermMemory == "two");
  CHECK((*r)->title == sample().title);
  CHECK_FALSE(fs::exists(snapshotFolder(store, 5)));
  CHECK_FALSE(fs::exists(snapshotFolder(store, 4)));
  CHECK((*store.restoreSnapshot())->shortTermMemory == "one");
  CHECK_FALSE(store.restoreSnapshot()->has_value());
}
