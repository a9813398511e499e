#include "engine/bible/BookBible.h"
#include "engine/book/BookText.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <random>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

void put(const fs::path &p, const std::string &text) { REQUIRE(writeFileAtomically(p, text).ok()); }

/// A folder book (`.recurrent/book/` marks it) with two chapters and a two-entry bible.
fs::path smallBook(const test::TempDir &dir) {
  auto root = dir / "book";
  fs::create_directories(root / ".recurrent/book");
  put(root / "01-arrival.md", "# Arrival\n\nAna came to Vell by the night boat.\n\nAnya, they called her there.\n");
  put(root / "02-letter.md", "# The Letter\n\nThe letter for Ana lay on the table in Vell.\n");
  put(root / "bible/ana.md", "---\naliases: [Anya]\n---\n# Ana\n\nThe smuggler's daughter.\n");
  put(root / "bible/vell.md", "---\ntype: place\n---\n# Vell\n");
  return root;
}

} // namespace

TEST_CASE("a bible file knows its book, a chapter or a stray file does not") {
  test::TempDir dir;
  auto root = smallBook(dir);
  auto owner = bookOfBibleFile(root / "bible/ana.md");
  REQUIRE(owner);
  CHECK(owner->isFolder());
  CHECK(owner->root() == fs::absolute(root).lexically_normal());
  CHECK_FALSE(bookOfBibleFile(root / "01-arrival.md"));
  put(dir / "solo.bible/ana.md", "# Ana\n");
  auto solo = bookOfBibleFile(dir / "solo.bible/ana.md");
  REQUIRE(solo);
  CHECK_FALSE(solo->isFolder());
  CHECK(solo->root().filename() == "solo.md");
}

TEST_CASE("BookBible follows edits of the book's chapters as a fresh build would") {
  test::TempDir dir;
  auto root = smallBook(dir);
  BookText text(BookLayout::folder(root));
  auto snapshot = text.snapshot();
  BookBible live(text.bible(), *snapshot);
  REQUIRE(live.mentions().chapterCount() == 2);
  CHECK(live.mentions().mentionCount(0) == 3);
  auto mention = live.mentionAt(0, std::string("# Arrival\n\nAn").size());
  REQUIRE(mention);
  CHECK(mention->entry == 0);

  std::mt19937 random(7);
  const std::vector<std::string> pieces = {"Ana", " Vell", "Anya's", "\n\n", " the ", "x", "<!-- fact: Ana: a scar -->"};
  std::string chapter = std::string(snapshot->chapterText(1));
  for (int round = 0; round < 200; ++round) {
    std::size_t at = random() % (chapter.size() + 1);
    std::size_t cut = std::min<std::size_t>(random() % 4, chapter.size() - at);
    chapter.replace(at, cut, pieces[random() % pieces.size()]);
    text.setOverlay(root / "02-letter.md", chapter);
    auto now = text.snapshot();
    live.update(*now);
    BookBible fresh(text.bible(), *now);
    REQUIRE(live.mentions().chapterMentions(1) == fresh.mentions().chapterMentions(1));
    REQUIRE(live.facts().chapter(1) == fresh.facts().chapter(1));
  }
}

TEST_CASE("an unsaved entry file's editor text is the bible until it is closed") {
  test::TempDir dir;
  auto root = smallBook(dir);
  BookText text(BookLayout::folder(root));
  CHECK(text.bible()->entries.size() == 2);
  text.setBibleOverlay(root / "bible/mill.md", "# The Old Mill\n");
  CHECK(text.bible()->entries.size() == 3);
  text.setBibleOverlay(root / "bible/ana.md", "# Anna\n");
  CHECK(text.bible()->find("Anna"));
  text.clearBibleOverlay(root / "bible/ana.md");
  text.clearBibleOverlay(root / "bible/mill.md");
  CHECK(text.bible()->find("Ana"));
  CHECK(text.bible()->entries.size() == 2);
}
