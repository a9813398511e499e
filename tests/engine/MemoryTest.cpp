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

#include <atomic>
#include <thread>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

/// The real extractive summarizer, counting the paragraphs it is asked for, and
/// optionally cancelling the run after a number of batches.
class CountingSummarizer final : public Summarizer {
public:
  explicit CountingSummarizer(int batchSize = 4) : batchSize_(batchSize) {}
  Result<std::vector<std::string>> summarize(const std::vector<SummaryRequest> &batch, const std::string &language,
                                             const CancelToken &cancel) override {
    if (cancelAfterBatches >= 0 && batches >= cancelAfterBatches) {
      source.cancel();
      return Error::cancelled();
    }
    ++batches;
    calls += static_cast<int>(batch.size());
    return inner_.summarize(batch, language, cancel);
  }
  std::string id() const override { return inner_.id(); }
  int preferredBatchSize() const override { return batchSize_; }

  std::atomic<int> calls{0};
  int batches = 0;
  int cancelAfterBatches = -1;
  CancelSource source;

private:
  ExtractiveSummarizer inner_;
  int batchSize_;
};

const std::vector<std::string> kTopics = {
    "The blacksmith Oswin hammered a sword for the young queen in the glowing forge",
    "A storm drove the fishing boats back into the harbour of Kellmouth before dawn",
    "Mirela studied the old star charts in the observatory tower until her candle died",
    "The caravan crossed the salt desert, counting camels and water skins each evening",
    "In the monastery garden the monks argued about the price of honey and wax",
    "Captain Drago lost the dice game and with it his ship, the Crimson Heron",
    "The wolves circled the frozen village while the children hid in the granary",
    "A letter sealed with green wax arrived from the ambassador of the southern islands",
    "The miller's daughter found a silver key inside a loaf of rye bread",
    "Soldiers of the border fort traded rumours of a dragon seen above the pine forest",
    "The librarian catalogued forbidden books about alchemy and mercury poisoning",
    "At the autumn fair a juggler from the east balanced seven burning torches",
};

std::string paragraph(std::size_t i) {
  const auto &topic = kTopics[i % kTopics.size()];
  return topic + ", in scene " + std::to_string(i) + ". Nobody in the town spoke of it afterwards, number " +
         std::to_string(i * 7 + 1) + ".";
}

std::string book(std::size_t n, std::size_t perChapter = 5) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % perChapter == 0)
      text += "# Chapter " + std::to_string(i / perChapter + 1) + "\n\n";
    text += paragraph(i) + "\n\n";
  }
  return text;
}

struct Fixture {
  test::TempDir dir;
  StatePaths paths = StatePaths::forManuscript(dir / "book.md");
  std::shared_ptr<Embedder> embedder = std::make_shared<HashedEmbedder>(256);

  std::unique_ptr<LongTermMemory> open(LongTermMemory::Options options = {}) {
    auto m = LongTermMemory::open(paths, embedder, options);
    REQUIRE(m.ok());
    return std::move(m.value());
  }
  IndexReport index(const std::string &text, CountingSummarizer &summarizer, LongTermMemory *memory = nullptr) {
    std::unique_ptr<LongTermMemory> owned;
    if (!memory) {
      owned = open();
      memory = owned.get();
    }
    MemoryIndexer indexer(*memory, summarizer);
    auto r = indexer.update(Manuscript(text));
    REQUIRE(r.ok());
    return *r;
  }
};

} // namespace

TEST_CASE("memory: a first index summarises every paragraph and persists entries and vectors") {
  Fixture f;
  CountingSummarizer summarizer;
  auto memory = f.open();
  auto report = f.index(book(12), summarizer, memory.get());
  CHECK(report.paragraphs == 12);
  CHECK(report.summarisedNow == 12);
  CHECK(report.reused == 0);
  CHECK(report.embedded == 12);
  CHECK(summarizer.calls == 12);
  CHECK(summarizer.batches == 3);
  CHECK(fs::exists(f.paths.longTermMemory()));
  CHECK(fs::exists(f.paths.vectorIndex()));
  CHECK(fs::exists(f.paths.vectorIndexMeta()));
  auto entries = memory->entries();
  REQUIRE(entries.size() == 12);
  CHECK(entries[6].paragraph == 6);
  CHECK(entries[6].chapter == "Chapter 2");
  CHECK(entries[6].summarizer == "extractive-v1");
  CHECK_FALSE(entries[6].edited);
  CHECK(entries[6].words > 10);
  CHECK(entries[6].summary.find("wolves circled") != std::string::npos);
  CHECK(entries[6].hash == hashParagraphText(paragraph(6)));

  // Calling again with nothing changed does nothing.
  auto again = f.index(book(12), summarizer, memory.get());
  CHECK(again.summarisedNow == 0);
  CHECK(again.embedded == 0);
  CHECK(again.reused == 12);
  CHECK(summarizer.calls == 12);
}

TEST_CASE("memory: the memory file's lines are JSON as nlohmann::ordered_json dumps it, odd bytes included") {
  // The lines are written by hand (fast): they must stay what nlohmann writes and reads back.
  Fixture f;
  CountingSummarizer summarizer;
  std::string text = "# The \"Ring\" \\ of\tFire\n\n"
                     "She said \"no\" to him. A back\\slash, a tab\there and a bell\x07 and \x01 too.\n\n"
                     "Bad bytes \xff\xfe and a cut \xe4\xb8 sequence, a surrogate \xed\xa0\x80 here.\n\n"
                     "孙悟空大闹天宫。他说：“我是齐天大圣！” Then an emoji 😀 and é, ß, ё. Delete\x7f it.\n\n"
                     "A carriage\rreturn and a form\ffeed, end.\n";
  auto memory = f.open();
  f.index(text, summarizer, memory.get());
  auto bytes = readFile(f.paths.longTermMemory());
  REQUIRE(bytes.ok());
  std::size_t lines = 0;
  std::size_t at = 0;
  while (at < bytes->size()) {
    std::size_t end = bytes->find('\n', at);
    std::string line = bytes->substr(at, end - at);
    at = end + 1;
    if (line.empty() || line[0] == '#')
      continue;
    ++lines;
    auto j = nlohmann::ordered_json::parse(line);
    CHECK(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) == line);
  }
  CHECK(lines == memory->entries().size());
  CHECK(lines == 4);
  // Read back, the entries are the same (but for the invalid bytes, replaced in the file as before).
  auto entries = memory->entries();
  memory.reset();
  auto reopened = f.open();
  auto again = reopened->entries();
  REQUIRE(again.size() == entries.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    if (entries[i].opening.starts_with("Bad bytes"))
      continue;
    CHECK(again[i].summary == entries[i].summary);
    CHECK(again[i].opening == entries[i].opening);
    CHECK(again[i].chapter == entries[i].chapter);
  }
}

TEST_CASE("memory: reopening costs no summary call, an edited paragraph alone is re-summarised") {
  Fixture f;
  CountingSummarizer first;
  f.index(book(10), first);

  CountingSummarizer reopened;
  auto report = f.index(book(10), reopened);
  CHECK(reopened.calls == 0);
  CHECK(report.reused == 10);
  CHECK(report.embedded == 0);

  std::string edited = book(10);
  auto at = edited.find("harbour of Kellmouth");
  REQUIRE(at != std::string::npos);
  edited.replace(at, 20, "harbour of Saltmere");
  CountingSummarizer afterEdit;
  auto memory = f.open();
  report = f.index(edited, afterEdit, memory.get());
  CHECK(afterEdit.calls == 1);
  CHECK(report.summarisedNow == 1);
  CHECK(report.reused == 9);
  CHECK(report.removed == 1);
  CHECK(report.embedded == 1);
  CHECK(memory->entryAt(1)->summary.find("Saltmere") != std::string::npos);
}

TEST_CASE("memory: rewriting the summaries (a rename) leaves the old text in no line of the file, superseded ones too") {
  Fixture f;
  CountingSummarizer summarizer;
  f.index(book(10), summarizer);
  std::string edited = book(10);
  edited.replace(edited.find("Captain Drago lost"), 18, "Captain Drago won");
  auto memory = f.open();
  f.index(edited, summarizer, memory.get()); // appends a second line for paragraph 5: "Drago" twice in the file
  auto count = [&](const std::string &word) {
    std::string text = readFile(f.paths.longTermMemory()).value();
    std::size_t n = 0;
    for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1))
      ++n;
    return n;
  };
  REQUIRE(count("Drago") >= 3);
  auto changed = memory->rewriteSummaries([](std::string_view s) {
    std::string out(s);
    for (auto at = out.find("Drago"); at != std::string::npos; at = out.find("Drago", at))
      out.replace(at, 5, "Dravo");
    return out;
  });
  REQUIRE(changed.ok());
  CHECK(*changed == 1);
  CHECK(count("Drago") == 0);
  CHECK(count("Dravo") >= 1);
  auto reopened = f.open();
  CHECK(reopened->entryAt(5)->summary.find("Dravo") != std::string::npos);
}

TEST_CASE("memory: a deleted paragraph leaves the memory and the search results") {
  Fixture f;
  CountingSummarizer summarizer;
  f.index(book(10), summarizer);
  std::string text = book(10);
  auto p3 = paragraph(3) + "\n\n";
  text.erase(text.find(p3), p3.size());

  auto memory = f.open();
  auto report = f.index(text, summarizer, memory.get());
  CHECK(report.removed == 1);
  CHECK(report.summarisedNow == 0);
  auto entries = memory->entries();
  REQUIRE(entries.size() == 9);
  for (const auto &e : entries)
    CHECK(e.hash != hashParagraphText(paragraph(3)));
  CHECK(entries[3].hash == hashParagraphText(paragraph(4))); // positions follow the manuscript
  auto hits = memory->search("caravan crossed the salt desert counting camels", 9);
  REQUIRE(hits.ok());
  for (const auto &h : *hits)
    CHECK(h.summary.find("caravan") == std::string::npos);
}

TEST_CASE("memory: an update in small batches, new texts between known ones and repeated, ends as a fresh index") {
  // Each batch's entries are merged into those of the batches before: the result must not depend on it.
  auto edited = [] {
    std::string text;
    for (std::size_t i = 0; i < 30; ++i) {
      if (i % 6 == 0)
        text += "# Chapter " + std::to_string(i / 6 + 1) + "\n\n";
      if (i % 4 == 1) // new texts between known ones, one of them repeated further on
        text += "A new paragraph number " + std::to_string(i % 16) + " about the lighthouse keeper.\n\n";
      else
        text += paragraph(i) + "\n\n";
    }
    return text;
  }();
  Fixture f;
  CountingSummarizer summarizer(1);
  auto memory = f.open();
  f.index(book(30, 6), summarizer, memory.get());
  f.index(edited, summarizer, memory.get());
  Fixture fresh;
  CountingSummarizer freshSummarizer(1000);
  auto freshMemory = fresh.open();
  f.index(edited, freshSummarizer, freshMemory.get());
  auto reopened = f.open();
  for (const auto *m : {memory.get(), reopened.get()}) {
    auto a = m->entries(), b = freshMemory->entries();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].paragraph == b[i].paragraph);
      CHECK(a[i].hash == b[i].hash);
      CHECK(a[i].chapter == b[i].chapter);
      CHECK(a[i].summary == b[i].summary);
      CHECK(a[i].opening == b[i].opening);
    }
  }
  // Every entry is found by its own text, the repeated ones included.
  for (const auto &e : memory->entries())
    CHECK(memory->entryAt(e.paragraph)->hash == e.hash);
  auto hits = memory->search("A new paragraph number 1 about the lighthouse keeper.", 3);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() >= 2);
  CHECK((*hits)[0].summary.find("lighthouse") != std::string::npos);
  CHECK((*hits)[1].summary.find("lighthouse") != std::string::npos);
}

TEST_CASE("memory: identical paragraphs share one summary") {
  Fixture f;
  CountingSummarizer summarizer;
  std::string text = paragraph(0) + "\n\n" + paragraph(1) + "\n\n" + paragraph(0) + "\n\n";
  auto memory = f.open();
  auto report = f.index(text, summarizer, memory.get());
  CHECK(report.paragraphs == 3);
  CHECK(summarizer.calls == 2);
  auto entries = memory->entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].summary == entries[2].summary);
  // Both copies are found (they share a vector), unless one is excluded.
  auto hits = memory->search(paragraph(0), 3);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 3);
  CHECK(((*hits)[0].paragraph == 0 || (*hits)[0].paragraph == 2));
  auto excluded = memory->search(paragraph(0), 1, {0});
  REQUIRE(excluded.ok());
  CHECK(excluded->at(0).paragraph == 2);
}

TEST_CASE("memory: search ranks the paragraph a sentence comes from first, honours k and exclude") {
  Fixture f;
  CountingSummarizer summarizer;
  auto memory = f.open();
  f.index(book(24), summarizer, memory.get());
  auto hits = memory->search("Mirela studied the old star charts in the observatory tower");
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 3); // the default k
  CHECK(((*hits)[0].paragraph % kTopics.size()) == 2);
  CHECK((*hits)[0].score >= (*hits)[1].score);
  CHECK((*hits)[0].snippet.rfind("Mirela studied", 0) == 0);
  CHECK((*hits)[0].chapter.rfind("Chapter", 0) == 0);
  auto many = memory->search("anything", 1000);
  REQUIRE(many.ok());
  CHECK(many->size() == 24); // clamped to what exists (and to Options::maxK)
  auto excluded = memory->search("Mirela studied the old star charts", 2, {2, 14});
  REQUIRE(excluded.ok());
  for (const auto &h : *excluded)
    CHECK((h.paragraph != 2 && h.paragraph != 14));
}

TEST_CASE("memory: excludeAround skips the excluded paragraphs' neighbours too") {
  Fixture f;
  CountingSummarizer summarizer;
  auto memory = f.open();
  f.index(book(24), summarizer, memory.get());
  auto hits = memory->search("Mirela studied the old star charts", 24, {14}, {}, 2);
  REQUIRE(hits.ok());
  CHECK(hits->size() == 19);
  for (const auto &h : *hits)
    CHECK((h.paragraph < 12 || h.paragraph > 16));
}

TEST_CASE("memory: fusion by z-scores: a clear lead in one ranking beats a middling place in both") {
  // Words: 1 stands far above the rest; meaning: 2 leads narrowly, 1 is absent.
  std::vector<ScoredId> words = {{1, 9.0f}, {2, 3.0f}, {3, 2.9f}, {4, 2.8f}, {5, 2.7f}};
  std::vector<ScoredId> meaning = {{2, 0.52f}, {3, 0.50f}, {4, 0.49f}, {5, 0.48f}};
  auto fused = fuseByZScores(meaning, words, 0.1f, 1.0f);
  REQUIRE(fused.size() == 5);
  CHECK(fused[0].id == 1);
  CHECK(fused[1].id == 2);
  CHECK(fused[0].meaningZ == doctest::Approx(fused[4].meaningZ).epsilon(0.01)); // absent: that ranking's floor
  // Vectors counting fully (an embedding model): the narrow meaning lead and second place in words win.
  auto even = fuseByZScores(meaning, words, 4.0f, 1.0f);
  CHECK(even[0].id == 2);
  // One ranking alone keeps its own order.
  auto wordsOnly = fuseByZScores({}, words, 0.0f, 1.0f);
  for (std::size_t i = 0; i < wordsOnly.size(); ++i)
    CHECK(wordsOnly[i].id == words[i].first);
  CHECK(fuseByZScores({}, {}, 1.0f, 1.0f).empty());
}

TEST_CASE("memory: an edited paragraph re-indexes the documents around it only") {
  Fixture f;
  CountingSummarizer summarizer;
  auto memory = f.open();
  std::string text = book(30, 10);
  f.index(text, summarizer, memory.get());
  const std::size_t placedFirst = memory->words().placements();
  CHECK(placedFirst == 30);
  text.replace(text.find(paragraph(14)), paragraph(14).size(), paragraph(14) + " Saltmere burned.");
  f.index(text, summarizer, memory.get());
  // Paragraph 14 and its neighbours 12, 13, 15, 16 (one chapter): five documents, not the book.
  CHECK(memory->words().placements() - placedFirst == 5);
  auto hits = memory->search("Saltmere burned", 1);
  REQUIRE(hits.ok());
  CHECK(hits->at(0).paragraph == 14);
  // A paragraph at a chapter's edge has no neighbours across it.
  const std::size_t before = memory->words().placements();
  text.replace(text.find(paragraph(10)), paragraph(10).size(), paragraph(10) + " Kestrels.");
  f.index(text, summarizer, memory.get());
  CHECK(memory->words().placements() - before == 3); // 10, 11, 12 (9 is in chapter 1)
}

TEST_CASE("memory: a summary edited by hand in the file is kept and is what search returns") {
  Fixture f;
  CountingSummarizer summarizer;
  f.index(book(8), summarizer);

  auto file = readFile(f.paths.longTermMemory());
  REQUIRE(file.ok());
  std::string text = *file;
  auto line = text.find("\"paragraph\":5,");
  REQUIRE(line != std::string::npos);
  auto key = text.find("\"summary\":\"", line) + 11;
  auto end = text.find("\",\"edited\"", key);
  text.replace(key, end - key, "Captain Drago gambles away his ship to a one-eyed pirate queen.");
  REQUIRE(writeFileAtomically(f.paths.longTermMemory(), text).ok());

  CountingSummarizer reopened;
  auto memory = f.open();
  CHECK(memory->loadWarnings().empty());
  auto report = f.index(book(8), reopened, memory.get());
  CHECK(reopened.calls == 0);
  CHECK(report.embedded == 1); // the edited summary is embedded again
  auto entry = memory->entryAt(5);
  REQUIRE(entry);
  CHECK(entry->edited);
  CHECK(entry->summary == "Captain Drago gambles away his ship to a one-eyed pirate queen.");
  auto hits = memory->search("one-eyed pirate queen", 1);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  CHECK(hits->at(0).paragraph == 5);
  CHECK(hits->at(0).summary == entry->summary);
  // It survives another save and reopen, still marked as the writer's.
  REQUIRE(memory->editSummary(1, "Storm over Kellmouth.").ok());
  auto reread = f.open();
  CHECK(reread->entryAt(5)->edited);
  CHECK(reread->entryAt(1)->summary == "Storm over Kellmouth.");
  CHECK(reread->entryAt(1)->edited);
  CHECK_FALSE(reread->entryAt(2)->edited);
}

TEST_CASE("memory: the word index is rebuilt on reopen and follows edits, summaries and deletions") {
  Fixture f;
  CountingSummarizer summarizer;
  f.index(book(12), summarizer);

  // Reopened: the vectors and the word index come from their files.
  LongTermMemory::Options wordsOnly;
  wordsOnly.meaningWeight = 0;
  auto memory = f.open(wordsOnly);
  auto report = f.index(book(12), summarizer, memory.get());
  CHECK(report.embedded == 0);
  auto hits = memory->search("Kellmouth", 5);
  REQUIRE(hits.ok());
  // Paragraph 1 holds the word; its neighbours in chapter 1 (0, 2, 3) carry it at lower weight.
  REQUIRE(hits->size() == 4);
  CHECK(hits->at(0).paragraph == 1);
  CHECK(hits->at(0).fused > hits->at(1).fused);
  for (const auto &h : *hits)
    CHECK(h.paragraph <= 3);

  // A summary names what the paragraph does not say.
  REQUIRE(memory->editSummary(4, "Brother Anselm sells the honey to Zanzibar traders.").ok());
  f.index(book(12), summarizer, memory.get());
  hits = memory->search("Zanzibar", 3);
  REQUIRE(hits.ok());
  REQUIRE_FALSE(hits->empty());
  CHECK(hits->at(0).paragraph == 4);

  // An edited paragraph is found by its new words only; a deleted one is gone.
  std::string text = book(12);
  text.replace(text.find("harbour of Kellmouth"), 20, "harbour of Saltmere");
  auto p3 = paragraph(3) + "\n\n";
  text.erase(text.find(p3), p3.size());
  f.index(text, summarizer, memory.get());
  CHECK(memory->search("Kellmouth", 5)->empty());
  CHECK(memory->search("Saltmere", 5)->at(0).paragraph == 1);
  CHECK(memory->search("caravan camels", 5)->empty());
}

namespace {

std::vector<std::pair<std::size_t, float>> ranking(const LongTermMemory &memory, const std::string &query) {
  std::vector<std::pair<std::size_t, float>> out;
  auto hits = memory.search(query, 10);
  REQUIRE(hits.ok());
  for (const auto &h : *hits)
    out.emplace_back(h.paragraph, h.fused);
  return out;
}

} // namespace

TEST_CASE("memory: the word index is saved beside the memory and read back instead of rebuilt") {
  Fixture f;
  CountingSummarizer summarizer;
  auto first = f.open();
  f.index(book(20), summarizer, first.get());
  REQUIRE(fs::exists(f.paths.wordIndex()));
  const auto expected = ranking(*first, "Kellmouth harbour storm");
  const auto expectedDrago = ranking(*first, "Captain Drago lost his ship");
  first.reset();

  auto memory = f.open();
  CHECK(memory->loadWarnings().empty());
  CHECK(memory->words().size() == 20); // searchable before any update
  CHECK(ranking(*memory, "Kellmouth harbour storm") == expected);
  auto report = f.index(book(20), summarizer, memory.get());
  CHECK(report.summarisedNow == 0);
  CHECK(memory->words().placements() == 0); // nothing placed again
  CHECK(ranking(*memory, "Captain Drago lost his ship") == expectedDrago);
}

TEST_CASE("memory: a stale, corrupt or missing word index file is rebuilt, silently, with the same answers") {
  Fixture f;
  CountingSummarizer summarizer;
  const auto expected = ranking(*f.open(), "Kellmouth harbour storm"); // before the first index: nothing
  CHECK(expected.empty());
  auto built = f.open();
  f.index(book(20), summarizer, built.get());
  const auto fresh = ranking(*built, "Kellmouth harbour storm");
  built.reset();
  const std::string saved = readFile(f.paths.wordIndex()).value();
  std::string text = book(20);

  SUBCASE("stale: built from other entries") {
    text += paragraph(20) + " The lighthouse of Vantor went dark.\n\n";
    { // index the longer book without saving its word index, then put the old file back
      f.index(text, summarizer);
      REQUIRE(writeFileAtomically(f.paths.wordIndex(), saved).ok());
    }
  }
  SUBCASE("garbage") { REQUIRE(writeFileAtomically(f.paths.wordIndex(), "not a word index at all").ok()); }
  SUBCASE("flipped byte") {
    std::string bad = saved;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x20);
    REQUIRE(writeFileAtomically(f.paths.wordIndex(), bad).ok());
  }
  SUBCASE("cut short") { REQUIRE(writeFileAtomically(f.paths.wordIndex(), saved.substr(0, saved.size() / 3)).ok()); }
  SUBCASE("missing") { fs::remove(f.paths.wordIndex()); }

  auto memory = f.open();
  CHECK(memory->loadWarnings().empty()); // a cache: nothing for the writer to know
  CHECK(memory->words().size() == 0);    // not loaded
  f.index(text, summarizer, memory.get());
  const std::size_t paragraphs = Manuscript(text).paragraphs().size();
  CHECK(memory->words().placements() == paragraphs); // rebuilt
  const auto rebuilt = ranking(*memory, "Kellmouth harbour storm");
  REQUIRE_FALSE(rebuilt.empty());
  if (paragraphs == 21)
    CHECK(ranking(*memory, "Vantor lighthouse").front().first == 20);
  else
    CHECK(rebuilt == fresh); // the file changed nothing but the time it took
  memory.reset();

  // ... and written again: the next open reads it and answers the same.
  auto again = f.open();
  CHECK(again->words().size() == paragraphs);
  CHECK(ranking(*again, "Kellmouth harbour storm") == rebuilt);
  f.index(text, summarizer, again.get());
  CHECK(again->words().placements() == 0);
}

TEST_CASE("memory: a word index that cannot be written is no error") {
  Fixture f;
  CountingSummarizer summarizer;
  auto memory = f.open();
  f.index(book(6), summarizer, memory.get());
  // A folder where the file should be: every write of it fails.
  fs::remove(f.paths.wordIndex());
  fs::create_directories(f.paths.wordIndex() / "in-the-way");
  std::string text = book(6) + paragraph(6) + " Saltmere.\n\n";
  MemoryIndexer indexer(*memory, summarizer);
  auto report = indexer.update(Manuscript(text));
  REQUIRE(report.ok());
  CHECK(memory->flush().ok());
  CHECK(memory->search("Saltmere", 1)->at(0).paragraph == 6);
  memory.reset();
  auto again = f.open();
  CHECK(again->loadWarnings().empty());
  f.index(text, summarizer, again.get());
  CHECK(again->search("Saltmere", 1)->at(0).paragraph == 6);
}

TEST_CASE("memory: a corrupted memory file is set aside and rebuilt without a crash") {
  Fixture f;
  CountingSummarizer summarizer;
  f.index(book(6), summarizer);

  SUBCASE("nothing readable") {
    REQUIRE(writeFileAtomically(f.paths.longTermMemory(), std::string("\x00\xff{{{ not json\n]]\n", 17)).ok());
    auto memory = f.open();
    REQUIRE(memory->loadWarnings().size() == 1);
    CHECK(memory->loadWarnings()[0].find("moved it to memory.jsonl.corrupt-") != std::string::npos);
    CHECK(memory->size() == 0);
    CountingSummarizer rebuild;
    auto report = f.index(book(6), rebuild, memory.get());
    CHECK(rebuild.calls == 6);
    CHECK(report.summarisedNow == 6);
    CHECK(memory->size() == 6);
  }
  SUBCASE("one mangled line") {
    auto text = *readFile(f.paths.longTermMemory());
    auto line = text.find("\"paragraph\":2,");
    text.insert(line, "oops ");
    REQUIRE(writeFileAtomically(f.paths.longTermMemory(), text).ok());
    auto memory = f.open();
    REQUIRE(memory->loadWarnings().size() == 1);
    CHECK(memory->loadWarnings()[0].find("1 unreadable line(s)") != std::string::npos);
    CountingSummarizer repair;
    f.index(book(6), repair, memory.get());
    CHECK(repair.calls == 1);
    CHECK(memory->size() == 6);
  }
  int asideFiles = 0;
  for (const auto &e : fs::directory_iterator(f.paths.dir))
    asideFiles += e.path().filename().string().rfind("memory.jsonl.corrupt-", 0) == 0;
  CHECK(asideFiles == 1);
  // The rebuilt file reads cleanly.
  CHECK(f.open()->loadWarnings().empty());
}

TEST_CASE("memory: an interrupted index resumes without redoing finished batches") {
  Fixture f;
  CountingSummarizer first(2);
  first.cancelAfterBatches = 3;
  {
    auto memory = f.open();
    MemoryIndexer indexer(*memory, first);
    auto r = indexer.update(Manuscript(book(11)), first.source.token());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Cancelled);
    CHECK(first.calls == 6);
    CHECK(memory->size() == 6);
  }
  CountingSummarizer rest(2);
  auto report = f.index(book(11), rest);
  CHECK(rest.calls == 5);
  CHECK(report.reused == 6);
  CHECK(report.summarisedNow == 5);
  CHECK(report.embedded == 11);
}

TEST_CASE("memory: the vector index is a cache rebuilt when missing, corrupt or made by another embedder") {
  Fixture f;
  CountingSummarizer summarizer;
  f.index(book(7), summarizer);

  SUBCASE("missing") { fs::remove(f.paths.vectorIndex()); fs::remove(f.paths.vectorIndexMeta()); }
  SUBCASE("corrupt") {
    REQUIRE(writeFileAtomically(f.paths.vectorIndex(), "garbage").ok());
  }
  SUBCASE("another embedder") { f.embedder = std::make_shared<HashedEmbedder>(128); }

  CountingSummarizer again;
  auto memory = f.open();
  auto report = f.index(book(7), again, memory.get());
  CHECK(again.calls == 0);
  CHECK(report.embedded == 7);
  auto hits = memory->search("Captain Drago lost the dice game", 1);
  REQUIRE(hits.ok());
  CHECK(hits->at(0).paragraph == 5);
}

TEST_CASE("memory: a remembered summary is used instead of calling the summarizer") {
  Fixture f;
  CountingSummarizer summarizer;
  auto memory = f.open();
  std::string text = book(3);
  f.index(text, summarizer, memory.get());
  memory->remember(hashParagraphText(paragraph(3)), "The fourth scene, summarised by the story model.", "openai:test");
  text += paragraph(3) + "\n";
  auto report = f.index(text, summarizer, memory.get());
  CHECK(report.summarisedNow == 0);
  CHECK(summarizer.calls == 3);
  CHECK(memory->entryAt(3)->summary == "The fourth scene, summarised by the story model.");
  CHECK(memory->entryAt(3)->summarizer == "openai:test");
}

TEST_CASE("memory: searches run while the indexer updates") {
  Fixture f;
  CountingSummarizer summarizer(3);
  auto memory = f.open();
  f.index(book(12), summarizer, memory.get());
  std::atomic<bool> done{false};
  std::atomic<int> searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      while (!done.load()) {
        auto hits = memory->search("dragon above the pine forest", 3);
        if (hits.ok() && !hits->empty())
          ++searches;
      }
    });
  MemoryIndexer indexer(*memory, summarizer);
  for (std::size_t n = 13; n < 40; n += 3)
    REQUIRE(indexer.update(Manuscript(book(n))).ok());
  done = true;
  for (auto &t : readers)
    t.join();
  CHECK(searches.load() > 0);
  CHECK(memory->size() == 37);
}

TEST_CASE("parseMemoryFile is lenient: comments, blank lines, minimal hand-written lines") {
  std::vector<std::string> bad;
  auto entries = parseMemoryFile("# comment\n\n{\"hash\":\"00000000000000ff\",\"summary\":\"  Hand made.  \"}\n"
                                 "{\"hash\":\"zz\",\"summary\":\"x\"}\n[1,2]\n{\"summary\":\"no hash\"}",
                                 bad);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].hash == 255u);
  CHECK(entries[0].summary == "Hand made.");
  CHECK(entries[0].edited); // no signature: the writer's own line
  REQUIRE(bad.size() == 3);
  CHECK(bad[0].rfind("line 4:", 0) == 0);
}
