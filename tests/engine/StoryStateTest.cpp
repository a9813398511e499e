// The story state on disk: round trips, lenient loading, human edits, undo snapshots.
#include "engine/story/StoryState.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

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
