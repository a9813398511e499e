#include "engine/book/BookLayout.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

void put(const fs::path &p, const std::string &text = "Some prose.\n") { REQUIRE(writeFileAtomically(p, text).ok()); }

std::vector<std::string> names(const BookLayout &layout) {
  std::vector<std::string> out;
  for (const auto &c : layout.chapters())
    out.push_back(c.relative);
  return out;
}

} // namespace

TEST_CASE("natural order puts ch2 before ch10 and compares folders first") {
  CHECK(naturalLess("ch2.md", "ch10.md"));
  CHECK_FALSE(naturalLess("ch10.md", "ch2.md"));
  CHECK(naturalLess("01-a.md", "2-b.md"));
  CHECK(naturalLess("Ch1.md", "ch2.md"));
  CHECK(naturalLess("part1/ch9.md", "part2/ch1.md"));
  CHECK(naturalLess("part2/ch1.md", "part10/ch1.md"));
  CHECK_FALSE(naturalLess("a.md", "a.md"));
}

TEST_CASE("a folder book lists its chapters in natural order and skips what is not prose") {
  test::TempDir dir;
  const auto book = dir.path() / "novel";
  for (auto name : {"ch10.md", "ch2.md", "ch1.txt", "part3/ch11.markdown", "README.md", "readme.txt", "SUMMARY.txt",
                    "_draft.md", ".hidden.md", "bible/ana.md", "notes/todo.md", "_private/ch0.md", ".obsidian/x.md",
                    "image.png", ".recurrent/book/short-term-memory.md"})
    put(book / name);
  auto layout = BookLayout::folder(book);
  CHECK(layout.isFolder());
  CHECK(layout.paths().dir == book / ".recurrent" / "book");
  CHECK(names(layout) == std::vector<std::string>{"ch1.txt", "ch2.md", "ch10.md", "part3/ch11.markdown", "SUMMARY.txt"});
  CHECK(layout.isChapter(book / "ch2.md"));
  CHECK_FALSE(layout.isChapter(book / "bible/ana.md"));
}

TEST_CASE("SUMMARY.md order wins over names, and lists only files that exist in the book") {
  test::TempDir dir;
  const auto book = dir.path() / "b";
  put(book / "a-first.md");
  put(book / "z last.md");
  put(book / "m-middle.md");
  put(book / "unlisted.md");
  put(book / "SUMMARY.md", "# Summary\n\n[Preface](z%20last.md)\n\n- [Middle](./m-middle.md#start)\n"
                           "  - [Draft]()\n  - [Planned](planned.md)\n- [First](a-first.md \"title\")\n"
                           "- [Again](m-middle.md)\n- [Web](https://example.com/x.md)\n- [Out](../outside.md)\n");
  put(dir.path() / "outside.md");
  auto layout = BookLayout::folder(book);
  CHECK(names(layout) == std::vector<std::string>{"z last.md", "m-middle.md", "a-first.md"});
}

TEST_CASE("find: a folder book by its state among the ancestors, a one-file story by its state, else nothing") {
  test::TempDir dir;
  const auto book = dir.path() / "book";
  put(book / "part1/ch1.md");
  put(dir.path() / "loose.md");
  CHECK_FALSE(BookLayout::find(book / "part1/ch1.md").has_value());
  CHECK_FALSE(BookLayout::find(book).has_value());
  CHECK_FALSE(BookLayout::find(dir.path() / "loose.md").has_value());
  CHECK_FALSE(fs::exists(book / ".recurrent")); // finding creates nothing

  fs::create_directories(StatePaths::forManuscript(dir.path() / "loose.md").dir);
  auto single = BookLayout::find(dir.path() / "loose.md");
  REQUIRE(single);
  CHECK(single->kind() == BookLayout::Kind::SingleFile);
  CHECK(single->paths().dir == dir.path() / ".recurrent" / "loose.md");
  CHECK(single->chapters().size() == 1);

  fs::create_directories(BookLayout::folder(book).paths().dir);
  auto found = BookLayout::find(book / "part1/ch1.md");
  REQUIRE(found);
  CHECK(found->isFolder());
  CHECK(found->root() == book);
  CHECK(BookLayout::find(book)->root() == book);
  CHECK(BookLayout::find(book / "part1/not-yet.md")->root() == book);
  // The state's own files are never a story.
  CHECK(BookLayout::isStateFile(book / ".recurrent/book/short-term-memory.md"));
  CHECK_FALSE(BookLayout::find(book / ".recurrent/book/short-term-memory.md").has_value());
  CHECK_FALSE(BookLayout::isStateFile(book / "part1/ch1.md"));
}

TEST_CASE("the next chapter follows the last chapter's naming pattern") {
  test::TempDir dir;
  const auto book = dir.path() / "b";
  CHECK(BookLayout::folder(book).nextChapterPath().value() == book / "chapter-01.md");
  put(book / "01-arrival.md");
  put(book / "02-the-letter.md");
  auto layout = BookLayout::folder(book);
  CHECK(layout.nextChapterPath().value() == book / "03.md");
  CHECK(layout.nextChapterPath("The Storm!").value() == book / "03-the-storm.md");
  put(book / "ch9.txt");
  put(book / "SUMMARY.md", "- [One](01-arrival.md)\n- [Nine](ch9.txt)\n");
  CHECK(layout.nextChapterPath().value() == book / "ch10.txt");
  REQUIRE(layout.addToSummary(book / "ch10.txt", "Ten").ok());
  put(book / "ch10.txt");
  CHECK(names(layout) == std::vector<std::string>{"01-arrival.md", "ch9.txt", "ch10.txt"});
  CHECK_FALSE(BookLayout::singleFile(book / "01-arrival.md").nextChapterPath().ok());
}
