#include "engine/Backends.h"
#include "engine/book/Book.h"
#include "engine/memory/LongTermMemory.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <algorithm>
#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

void put(const fs::path &p, const std::string &text) { REQUIRE(writeFileAtomically(p, text).ok()); }

std::string chapterText(int n, int paragraphs) {
  std::string out = "# Chapter " + std::to_string(n) + "\n";
  for (int i = 1; i <= paragraphs; ++i)
    out += "\nIn chapter " + std::to_string(n) + " the " + std::to_string(i) +
           "th thing happened to Marta near the old mill, and the river rose.\n";
  return out;
}

BackendConfig offlineConfig() { return BackendConfig{}; }

BackendConfig fakeConfig(const test::FakeLlmServer &server) {
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = server.baseUrl();
  c.model = "fake-model";
  c.maxAttempts = 1;
  return c;
}

std::unique_ptr<Book> open(const BookLayout &layout, const BackendConfig &config) {
  auto book = openBook(layout, config, BookOptions{});
  REQUIRE(book.ok());
  return std::move(*book);
}

} // namespace

TEST_CASE("a folder book's snapshot is one manuscript whose paragraphs map back to their chapter files") {
  test::TempDir dir;
  put(dir / "b/ch1.md", chapterText(1, 2));
  put(dir / "b/ch2.md", "No heading here, just prose.\n\nA second paragraph."); // no final newline
  put(dir / "b/ch10.md", chapterText(10, 1));
  auto book = open(BookLayout::folder(dir / "b"), offlineConfig());
  auto snap = book->snapshot();
  REQUIRE(snap->chapters().size() == 3);
  CHECK(snap->chapters()[1].file.relative == "ch2.md");
  CHECK(snap->chapters()[2].file.relative == "ch10.md");
  CHECK(snap->manuscript().paragraphs().size() == 5);
  CHECK(snap->chapters()[0].title == "Chapter 1");
  CHECK(snap->chapters()[1].title == "ch2");
  CHECK(snap->chapters()[1].firstParagraph == 2);
  CHECK(snap->chapters()[1].paragraphCount == 2);
  auto place = snap->place(3);
  REQUIRE(place);
  CHECK(place->chapter == 1);
  CHECK(place->paragraph == 1);
  CHECK(place->firstLine == 2);
  CHECK(snap->chapterText(1).substr(place->begin, place->end - place->begin) == "A second paragraph.");
  // Offsets round-trip between a chapter and the book.
  auto at = snap->bookOffset(2, 3);
  CHECK(snap->chapterOffset(at).chapter == 2);
  CHECK(snap->chapterOffset(at).offset == 3);
  CHECK(snap->chapterIndex(dir / "b/ch10.md") == 2u);
  CHECK_FALSE(fs::exists(dir / "b/.recurrent")); // opening and reading create nothing
  // The same snapshot until something changes.
  CHECK(book->snapshot() == snap);
  book->setOverlay(dir / "b/ch2.md", "Edited in the editor.\n");
  auto edited = book->snapshot();
  CHECK(edited->version() > snap->version());
  CHECK(edited->chapters()[1].fromEditor);
  CHECK(edited->manuscript().paragraphs().size() == 4);
  CHECK(snap->manuscript().paragraphs().size() == 5); // the old snapshot is untouched
}

TEST_CASE("a chapter with front matter or an unclosed fence does not leak into the next one") {
  test::TempDir dir;
  put(dir / "b/01.md", "---\ntitle: One\n---\n# One\n\nFirst prose.\n\n```\nunclosed code\n");
  put(dir / "b/02.md", "# Two\n\nSecond prose.\n");
  auto book = open(BookLayout::folder(dir / "b"), offlineConfig());
  auto snap = book->snapshot();
  const auto &m = snap->manuscript();
  REQUIRE(m.paragraphs().size() == 2);
  CHECK(m.paragraphText(m.paragraphs()[1]) == "Second prose.");
  CHECK(snap->chapters()[1].paragraphCount == 1);
  CHECK_FALSE(snap->chapters()[0].verbatim);
  auto place = snap->place(0);
  REQUIRE(place);
  CHECK(place->firstLine == 5);
  CHECK(snap->chapterText(0).substr(place->begin, place->end - place->begin) == "First prose.");
  CHECK(snap->chapterOffset(snap->bookOffset(0, place->begin + 2)).offset == place->begin + 2);
}

TEST_CASE("a one-file story's snapshot is the file itself") {
  test::TempDir dir;
  const std::string text = "---\nfront: matter\n---\n# Title\n\nOne.\n\nTwo.\n";
  put(dir / "story.md", text);
  auto book = open(BookLayout::singleFile(dir / "story.md"), offlineConfig());
  auto snap = book->snapshot();
  CHECK(snap->manuscript().text() == text);
  CHECK(snap->chapters().size() == 1);
  CHECK(snap->bookOffset(0, 7) == 7);
}

TEST_CASE("one memory for the book: a moved paragraph keeps its entry, a deleted chapter leaves, a renamed one stays") {
  test::TempDir dir;
  test::FakeLlmServer server;
  test::SchemaAnswers answers;
  server.setHandler(answers.handler());
  const auto root = dir / "b";
  put(root / "ch1.md", chapterText(1, 3));
  put(root / "ch2.md", chapterText(2, 3));
  put(root / "ch3.md", chapterText(3, 2));
  auto layout = BookLayout::folder(root);
  auto book = open(layout, fakeConfig(server));
  auto estimate = book->estimateSummaries(*book->snapshot());
  CHECK(estimate.paragraphs == 8);
  CHECK_FALSE(estimate.paid); // a server on 127.0.0.1 costs nothing
  CHECK(estimate.tokens > 8 * 100);
  auto first = book->refreshMemory(*book->snapshot(), {});
  REQUIRE(first.ok());
  CHECK(first->summarisedNow == 8);
  CHECK(book->memory().size() == 8);
  const auto calls = server.requestCount();
  CHECK(calls > 0);
  // Every summary went through the recorded model: calls.jsonl holds them.
  auto log = readFile(layout.paths().callLog());
  REQUIRE(log.ok());
  CHECK(std::count(log->begin(), log->end(), '\n') >= static_cast<long>(calls));

  // Cut the last paragraph of chapter 2 and paste it at the top of chapter 3.
  auto ch2 = chapterText(2, 3);
  auto cut = ch2.rfind("\nIn chapter 2");
  std::string moved = ch2.substr(cut + 1);
  put(root / "ch2.md", ch2.substr(0, cut));
  auto ch3 = chapterText(3, 2);
  put(root / "ch3.md", "# Chapter 3\n\n" + moved + ch3.substr(std::string("# Chapter 3\n").size()));
  book->reloadFromDisk();
  auto again = book->refreshMemory(*book->snapshot(), {});
  REQUIRE(again.ok());
  CHECK(again->summarisedNow == 0);
  CHECK(server.requestCount() == calls); // no new summary call
  CHECK(book->memory().size() == 8);

  // A renamed chapter keeps its entries; a deleted one leaves the memory.
  fs::rename(root / "ch3.md", root / "ch4.md");
  book->reloadFromDisk();
  REQUIRE(book->refreshMemory(*book->snapshot(), {}).ok());
  CHECK(server.requestCount() == calls);
  CHECK(book->memory().size() == 8);
  fs::remove(root / "ch1.md");
  book->reloadFromDisk();
  auto removed = book->refreshMemory(*book->snapshot(), {});
  REQUIRE(removed.ok());
  CHECK(book->memory().size() == 5);
  CHECK(server.requestCount() == calls);
}

TEST_CASE("a continuation at the top of chapter 3 holds the end of chapter 2, and earlier chapters as 'previously'") {
  test::TempDir dir;
  test::FakeLlmServer server;
  test::SchemaAnswers answers;
  server.setHandler(answers.handler());
  const auto root = dir / "b";
  put(root / "ch1.md", chapterText(1, 2));
  put(root / "ch2.md", chapterText(2, 2) + "\nThe last words of chapter two: the lantern went out.\n");
  put(root / "ch3.md", "# Chapter 3\n\n");
  auto book = open(BookLayout::folder(root), fakeConfig(server));
  auto snap = book->snapshot();
  auto adopted = book->adoptOrRefresh(*snap, AdoptRequest{}, {});
  REQUIRE(adopted.ok());
  CHECK(adopted->adopted);
  CHECK(book->isStory());
  auto request = book->stepRequest(*snap, 2, snap->chapterText(2).size(), "Marta lights the lantern again.");
  auto pending = book->session().prepareStep(snap->manuscript(), request, {});
  REQUIRE(pending.ok());
  auto call = book->session().lastCall();
  REQUIRE(call);
  std::string prompt;
  for (const auto &m : call->messages)
    prompt += m.content;
  CHECK(prompt.find("the lantern went out") != std::string::npos);
  CHECK(prompt.find("Previously (earlier chapters)") != std::string::npos);
  CHECK(prompt.find("Chapter 1: ") != std::string::npos);
  // The paragraph goes into chapter 3.
  CHECK(snap->chapterOffset(pending->insertAt).chapter == 2);
}

TEST_CASE("a book reads its bible once and again after reloadBible") {
  test::TempDir dir;
  put(dir / "b/ch1.md", chapterText(1, 1));
  put(dir / "b/bible/marta.md", "# Marta\n\nThe miller's daughter.\n");
  auto book = open(BookLayout::folder(dir / "b"), offlineConfig());
  auto first = book->bible();
  REQUIRE(first->entries.size() == 1);
  CHECK(book->bible() == first); // cached
  put(dir / "b/bible/mill.md", "---\ntype: place\n---\n# The Old Mill\n");
  CHECK(book->bible()->entries.size() == 1);
  book->reloadBible();
  CHECK(book->bible()->entries.size() == 2);
  CHECK(first->entries.size() == 1); // a reader's copy never changes under it
}
