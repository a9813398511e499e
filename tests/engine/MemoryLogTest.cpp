// The long-term memory file as a log: appends per step, tombstones, torn lines, compaction, hand edits.
#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/MemoryIndexer.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

std::string para(std::size_t i) {
  static const char *kThings[] = {"lantern", "harbour", "orchard", "glacier", "bell tower", "spice market"};
  return "Scene " + std::to_string(i) + " happens near the " + kThings[i % 6] + " where Ilsa counts " +
         std::to_string(i * 13 + 7) + " stones. Then she leaves quietly.";
}

std::string text(std::size_t n) {
  std::string t;
  for (std::size_t i = 0; i < n; ++i)
    t += para(i) + "\n\n";
  return t;
}

std::size_t lines(const std::string &file) {
  std::size_t n = 0, pos = 0;
  while (pos < file.size()) {
    auto nl = file.find('\n', pos);
    if (file[pos] != '#')
      ++n;
    pos = nl == std::string::npos ? file.size() : nl + 1;
  }
  return n;
}

struct Fixture {
  test::TempDir dir;
  StatePaths paths = StatePaths::forManuscript(dir / "book.md");
  std::shared_ptr<Embedder> embedder = std::make_shared<HashedEmbedder>(256);
  ExtractiveSummarizer summarizer;

  std::unique_ptr<LongTermMemory> open() {
    auto m = LongTermMemory::open(paths, embedder);
    REQUIRE(m.ok());
    return std::move(m.value());
  }
  IndexReport update(LongTermMemory &memory, const std::string &t) {
    MemoryIndexer indexer(memory, summarizer);
    auto r = indexer.update(Manuscript(t));
    REQUIRE(r.ok());
    return *r;
  }
  std::string file() { return *readFile(paths.longTermMemory()); }
};

} // namespace

TEST_CASE("memory log: a step appends one line, a reopened memory reads the appended entries") {
  Fixture f;
  auto memory = f.open();
  f.update(*memory, text(10));
  const std::string before = f.file();
  CHECK(lines(before) == 10);
  f.update(*memory, text(11));
  const std::string after = f.file();
  REQUIRE(after.size() > before.size());
  CHECK(after.compare(0, before.size(), before) == 0); // appended, not rewritten
  CHECK(lines(after) == 11);
  CHECK(after.find("\"paragraph\":10,") != std::string::npos);

  REQUIRE(memory->flush().ok());
  auto reopened = f.open();
  CHECK(reopened->loadWarnings().empty());
  REQUIRE(reopened->size() == 11);
  CHECK(reopened->entryAt(10)->hash == hashParagraphText(para(10)));
  auto report = f.update(*reopened, text(11));
  CHECK(report.summarisedNow == 0);
  CHECK(report.embedded == 0);
}

TEST_CASE("memory log: a deleted paragraph leaves a tombstone, the memory and the vector index") {
  Fixture f;
  {
    auto memory = f.open();
    f.update(*memory, text(8));
    auto report = f.update(*memory, text(7)); // the last paragraph is deleted
    CHECK(report.removed == 1);
    CHECK(memory->size() == 7);
    CHECK(f.file().find("{\"paragraph\":7,\"removed\":true}") != std::string::npos);
    auto hits = memory->search(para(7), 7);
    REQUIRE(hits.ok());
    for (const auto &h : *hits)
      CHECK(h.paragraph < 7);
  } // the destructor saves the vector index
  auto reopened = f.open();
  CHECK(reopened->size() == 7);
  CHECK_FALSE(reopened->entryAt(7));
  auto report = f.update(*reopened, text(7));
  CHECK(report.embedded == 0);
  CHECK(report.removed == 0);
}

TEST_CASE("memory log: a torn last line is skipped with a warning and nothing before it is lost") {
  Fixture f;
  {
    auto memory = f.open();
    f.update(*memory, text(6));
    f.update(*memory, text(7));
  }
  // A kill during the next append: half a line, no newline.
  std::string file = f.file();
  std::string torn = "{\"paragraph\":7,\"chapter\":\"\",\"summary\":\"Half of a summ";
  REQUIRE(writeFileAtomically(f.paths.longTermMemory(), file + torn).ok());
  auto memory = f.open();
  REQUIRE(memory->loadWarnings().size() == 1);
  CHECK(memory->loadWarnings()[0].find("cut short") != std::string::npos);
  CHECK(memory->size() == 7);
  for (const auto &e : fs::directory_iterator(f.paths.dir))
    CHECK(e.path().filename().string().find("corrupt") == std::string::npos);
  auto report = f.update(*memory, text(8));
  CHECK(report.summarisedNow == 1);
  // The next save rewrote the file without the torn line.
  auto again = f.open();
  CHECK(again->loadWarnings().empty());
  CHECK(again->size() == 8);
  CHECK(f.file().find("Half of a summ") == std::string::npos);
}

TEST_CASE("memory log: superseded lines are compacted by an atomic rewrite") {
  Fixture f;
  auto memory = f.open();
  f.update(*memory, text(20));
  // Inserting a paragraph at the top moves every entry: each move is a line.
  std::string t = text(20);
  for (int round = 0; round < 8; ++round) {
    t = "Before it all, in prologue " + std::to_string(round) + ", Ilsa walks along the dunes. Then she rests.\n\n" + t;
    f.update(*memory, t);
    CHECK(lines(f.file()) <= 2 * memory->size() + 64);
  }
  // Eventually rewritten: one line per live entry, in order.
  std::size_t records = lines(f.file());
  CHECK(records < 28 * 8);
  CHECK(memory->size() == 28);
  auto reopened = f.open();
  CHECK(reopened->loadWarnings().empty());
  CHECK(reopened->size() == 28);
  auto entries = reopened->entries();
  for (std::size_t i = 0; i < entries.size(); ++i)
    CHECK(entries[i].paragraph == i);
}

TEST_CASE("memory log: a hand edit is used even on a line a later one supersedes") {
  Fixture f;
  {
    auto memory = f.open();
    f.update(*memory, text(5));
    // A paragraph inserted at the top moves paragraph 2 to 3: a new line for its text.
    f.update(*memory, "A brand new opening paragraph.\n\n" + text(5));
  }
  std::string file = f.file();
  // The writer edits the first line they find for paragraph 2's text: the superseded one.
  auto at = file.find("\"paragraph\":2,");
  REQUIRE(at != std::string::npos);
  REQUIRE(file.find("\"paragraph\":3,", at) != std::string::npos);
  auto key = file.find("\"summary\":\"", at) + 11;
  auto end = file.find("\",\"edited\"", key);
  file.replace(key, end - key, "Ilsa meets a talking heron at the orchard.");
  REQUIRE(writeFileAtomically(f.paths.longTermMemory(), file).ok());

  auto memory = f.open();
  auto entry = memory->entryAt(3);
  REQUIRE(entry);
  CHECK(entry->hash == hashParagraphText(para(2)));
  CHECK(entry->edited);
  CHECK(entry->summary == "Ilsa meets a talking heron at the orchard.");
  auto report = f.update(*memory, "A brand new opening paragraph.\n\n" + text(5));
  CHECK(report.embedded == 1);
  auto hits = memory->search("talking heron", 1);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  CHECK(hits->at(0).paragraph == 3);
  // An edit through the API afterwards wins over the older hand edit, after reopening too.
  REQUIRE(memory->editSummary(3, "Ilsa and the heron part ways.").ok());
  CHECK(f.open()->entryAt(3)->summary == "Ilsa and the heron part ways.");
}

TEST_CASE("parseMemoryLog: the last line for a position wins, removals drop it, a torn tail is flagged") {
  auto parsed = parseMemoryLog("{\"paragraph\":0,\"hash\":\"01\",\"summary\":\"a\"}\n"
                               "{\"paragraph\":1,\"hash\":\"02\",\"summary\":\"b\"}\n"
                               "{\"paragraph\":0,\"hash\":\"03\",\"summary\":\"c\"}\n"
                               "{\"paragraph\":1,\"removed\":true}\n"
                               "{\"paragraph\":2,\"hash\":\"04\",\"summ");
  REQUIRE(parsed.entries.size() == 1);
  CHECK(parsed.entries[0].hash == 3u);
  CHECK(parsed.entries[0].summary == "c");
  CHECK(parsed.records == 4);
  CHECK(parsed.tornTail);
  REQUIRE(parsed.bad.size() == 1);
  CHECK(parsed.bad[0].rfind("line 5:", 0) == 0);
}

namespace {

/// A line as recurrent writes it (the keys of LongTermMemory's appendLine, in its order).
std::string canonicalLine(std::size_t paragraph, const std::string &chapter, const std::string &summary,
                          const std::string &hash, const std::string &sig, const std::string &opening) {
  nlohmann::ordered_json j;
  j["paragraph"] = paragraph;
  j["chapter"] = chapter;
  j["summary"] = summary;
  j["edited"] = false;
  j["summarizer"] = "extractive-v1";
  j["words"] = 42;
  j["hash"] = hash;
  j["sig"] = sig;
  j["opening"] = opening;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void checkSameParse(const std::string &bytes) {
  const MemoryFile fast = parseMemoryLog(bytes, MemoryLineReader::Canonical);
  const MemoryFile slow = parseMemoryLog(bytes, MemoryLineReader::Json);
  CHECK(fast.bad == slow.bad);
  CHECK(fast.records == slow.records);
  CHECK(fast.tornTail == slow.tornTail);
  CHECK(fast.handEdited == slow.handEdited);
  CHECK(fast.endsInNewline == slow.endsInNewline);
  REQUIRE(fast.entries.size() == slow.entries.size());
  for (std::size_t i = 0; i < fast.entries.size(); ++i) {
    const MemoryEntry &a = fast.entries[i], &b = slow.entries[i];
    CHECK(a.hash == b.hash);
    CHECK(a.paragraph == b.paragraph);
    CHECK(a.chapter == b.chapter);
    CHECK(a.words == b.words);
    CHECK(a.summary == b.summary);
    CHECK(a.summarizer == b.summarizer);
    CHECK(a.edited == b.edited);
    CHECK(a.opening == b.opening);
  }
  CHECK(memoryEntriesDigest(fast.entries) == memoryEntriesDigest(slow.entries));
}

} // namespace

TEST_CASE("parseMemoryLog: the canonical line reader reads exactly what the JSON reader reads") {
  std::vector<std::string> strings = {"plain",
                                      "",
                                      "  padded summary  ",
                                      "quotes \" and back\\slash / and tab\tnewline\nreturn\r",
                                      std::string("control \x01 and \x1f and DEL \x7f"),
                                      "accents: Natásha, Bolkónski; 中文; emoji \xF0\x9F\x99\x82",
                                      std::string("stray bytes \xff\xfe and a cut \xE4\xB8 end")};
  std::string bytes = "# a comment\n\n";
  for (std::size_t i = 0; i < strings.size(); ++i)
    bytes += canonicalLine(i, strings[(i + 3) % strings.size()], strings[i], "00000000000000a" + std::to_string(i),
                           "deadbeef", strings[(i + 5) % strings.size()]);
  // What a hand edit or another writer leaves: other key orders, spaces, escapes, a removal, bad lines.
  const char *raw[] = {
      "{\"paragraph\": 20, \"hash\": \"ff\", \"summary\": \"spaced\"}",
      "{\"hash\":\"fe\",\"summary\":\"no position\"}",
      "{\"paragraph\":21,\"chapter\":\"c\",\"summary\":\"\\u00e9t\\u00e9 \\ud83d\\ude42\",\"edited\":false,"
      "\"summarizer\":\"x\",\"words\":3,\"hash\":\"fd\",\"sig\":\"0\",\"opening\":\"o\"}",
      "{\"paragraph\":22,\"chapter\":\"c\",\"summary\":\"s\",\"edited\":true,\"summarizer\":\"x\",\"words\":3,"
      "\"hash\":\"fc\",\"sig\":\"0\",\"opening\":\"o\"}\r",
      "{\"paragraph\":023,\"removed\":true}",
      "{\"paragraph\":2,\"removed\":true}",
      "{\"paragraph\":3,\"removed\":false}",
      "{\"paragraph\":24,\"chapter\":\"c\",\"summary\":\"s\",\"edited\":false,\"summarizer\":\"x\","
      "\"words\":99999999999999999999,\"hash\":\"fb\",\"sig\":\"0\",\"opening\":\"o\"}",
      "{\"paragraph\":25,\"chapter\":\"\xED\xA0\x80\",\"summary\":\"surrogate\",\"edited\":false,\"summarizer\":\"x\","
      "\"words\":1,\"hash\":\"fa\",\"sig\":\"0\",\"opening\":\"o\"}",
      "{\"paragraph\":26,\"chapter\":\"\xC0\xAF\",\"summary\":\"overlong\",\"edited\":false,\"summarizer\":\"x\","
      "\"words\":1,\"hash\":\"f9\",\"sig\":\"0\",\"opening\":\"o\"}",
      "{\"paragraph\":27,\"chapter\":\"c\",\"summary\":\"s\",\"edited\":false,\"summarizer\":\"x\",\"words\":1,"
      "\"hash\":\"f8\",\"sig\":\"0\",\"opening\":\"o\"} trailing",
      "{\"paragraph\":28,\"chapter\":\"c\",\"summary\":\"s\",\"edited\":false,\"summarizer\":\"x\",\"words\":1,"
      "\"hash\":\"nothex\",\"sig\":\"0\",\"opening\":\"o\"}",
      "{\"paragraph\":29,\"chapter\":\"c\",\"summary\":\"bad \\q escape\",\"edited\":false,\"summarizer\":\"x\","
      "\"words\":1,\"hash\":\"f7\",\"sig\":\"0\",\"opening\":\"o\"}",
      "{\"paragraph\":0,\"chapter\":\"c\",\"summary\":\"dup of a\",\"edited\":false,\"summarizer\":\"x\","
      "\"words\":1,\"hash\":\"00000000000000a1\",\"sig\":\"0\",\"opening\":\"o\"}",
      "[1, 2]",
      "not json at all",
  };
  for (const char *line : raw)
    bytes += std::string(line) + "\n";
  checkSameParse(bytes);
  // Each line alone, and cut short anywhere (a torn append).
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    std::string line = bytes.substr(pos, nl - pos + 1);
    checkSameParse(line);
    for (std::size_t cut = 0; cut < line.size(); cut += 7)
      checkSameParse(bytes.substr(0, pos) + line.substr(0, cut));
    pos = nl + 1;
  }
}

TEST_CASE("parseMemoryLog: a memory written by recurrent reads the same with both readers") {
  Fixture f;
  std::string t = "# Chapter \"one\"\n\n" + text(30) + "Nat\xC3\xA1sha said \"no\\yes\"\tand left.\n\n# \xE7\xAC\xAC\xE4\xBA\x8C\n\n\xE4\xB8\xAD\xE6\x96\x87.\n";
  {
    auto memory = f.open();
    f.update(*memory, t);
    REQUIRE(memory->editSummary(3, "The writer's own \"words\"\\ here"));
  }
  const std::string bytes = f.file();
  checkSameParse(bytes);
  CHECK(parseMemoryLog(bytes).entries.size() >= 30);
}
