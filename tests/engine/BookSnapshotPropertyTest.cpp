// Property test: a snapshot built from the previous one through random edits of random chapters equals a
// fresh build of the same texts (the manuscript, each chapter's place, each paragraph's place).
#include "engine/book/BookSnapshot.h"

#include <doctest/doctest.h>

#include <array>
#include <random>
#include <string>

using namespace recurrent::engine;

namespace {

// Lines for the chapters, some of which change how the next chapter joins (front matter, fences, comments).
constexpr std::array<const char *, 16> kLines{
    "Pierre went to the window and looked out.",
    "The old prince was in a bad temper.",
    "Наташа засмеялась.",
    "悟空道：「我不曾有甚麼名字。」",
    "",
    "",
    "",
    "# Chapter",
    "CHAPTER XII. The Return",
    "***",
    "```",
    "<!--",
    "-->",
    "<!-- plan: she opens the door -->",
    "---",
    "    indented prose line",
};

constexpr std::array<const char *, 12> kFragments{
    "a", " ", "\n", "\n\n", "é", "字", "# ", "\n***\n", "```\n", "<!--", "-->", "\n\nnew paragraph\n\n",
};

std::string makeChapter(std::mt19937_64 &rng) {
  std::string text = rng() % 5 == 0 ? "---\ntitle: x\n---\n" : "";
  text += "# Chapter " + std::to_string(rng() % 100) + "\n\n";
  for (std::size_t i = 0, lines = rng() % 12; i < lines; ++i) {
    text += kLines[rng() % kLines.size()];
    text += "\n";
  }
  if (rng() % 4 == 0 && !text.empty())
    text.pop_back(); // no final line break
  return text;
}

std::size_t utf8Boundary(const std::string &text, std::size_t offset) {
  while (offset > 0 && offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80)
    --offset;
  return offset;
}

void edit(std::mt19937_64 &rng, std::string &text) {
  std::size_t b = utf8Boundary(text, text.empty() ? 0 : rng() % (text.size() + 1));
  std::size_t e = utf8Boundary(text, std::min(text.size(), b + rng() % (rng() % 4 == 0 ? 60 : 4)));
  std::string r;
  for (std::size_t i = 0, pieces = rng() % 3; i < pieces; ++i)
    r += rng() % 3 == 0 ? kLines[rng() % kLines.size()] : kFragments[rng() % kFragments.size()];
  text.replace(b, e - b, r);
}

std::vector<BookSnapshot::ChapterSource> sourcesOf(const BookLayout &layout,
                                                   const std::vector<std::shared_ptr<const std::string>> &texts) {
  std::vector<BookSnapshot::ChapterSource> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto name = "ch" + std::to_string(i) + ".md";
    out.push_back({ChapterFile{layout.root() / name, name}, texts[i], false});
  }
  return out;
}

/// Everything a reader of the snapshot sees, compared field by field; false (after reporting) on a difference.
bool same(const BookSnapshot &got, const BookSnapshot &want) {
  CHECK(got.manuscript() == want.manuscript());
  REQUIRE(got.chapters().size() == want.chapters().size());
  for (std::size_t i = 0; i < want.chapters().size(); ++i) {
    const auto &g = got.chapters()[i], &w = want.chapters()[i];
    INFO("chapter " << i);
    CHECK(g.begin == w.begin);
    CHECK(g.end == w.end);
    CHECK(g.firstParagraph == w.firstParagraph);
    CHECK(g.paragraphCount == w.paragraphCount);
    CHECK(g.firstLine == w.firstLine);
    CHECK(g.words == w.words);
    CHECK(g.title == w.title);
    CHECK(g.verbatim == w.verbatim);
    CHECK(*g.text == *w.text);
    for (std::size_t offset = 0; offset <= g.text->size(); offset += 7)
      CHECK(got.bookOffset(i, offset) == want.bookOffset(i, offset));
  }
  const auto &paragraphs = want.manuscript().paragraphs();
  for (std::size_t p = 0; p < paragraphs.size(); ++p) {
    auto g = got.place(p), w = want.place(p);
    REQUIRE(g.has_value() == w.has_value());
    if (w) {
      CHECK(g->chapter == w->chapter);
      CHECK(g->paragraph == w->paragraph);
      CHECK(g->begin == w->begin);
      CHECK(g->end == w->end);
      CHECK(g->firstLine == w->firstLine);
      CHECK(g->lastLine == w->lastLine);
    }
    auto back = got.chapterOffset(paragraphs[p].begin), expected = want.chapterOffset(paragraphs[p].begin);
    CHECK(back.chapter == expected.chapter);
    CHECK(back.offset == expected.offset);
  }
  return got.manuscript() == want.manuscript();
}

/// Random edits of random chapters; each snapshot is built from the one before and compared with a fresh build.
void runCase(std::uint64_t seed, const BookLayout &layout, std::size_t chapters, std::size_t edits) {
  std::mt19937_64 rng(seed);
  std::vector<std::shared_ptr<const std::string>> texts;
  for (std::size_t i = 0; i < chapters; ++i)
    texts.push_back(std::make_shared<const std::string>(makeChapter(rng)));
  auto current = BookSnapshot::build(layout, sourcesOf(layout, texts), 1);
  for (std::size_t step = 0; step < edits; ++step) {
    std::size_t touched = rng() % 8 == 0 ? 0 : 1 + rng() % 2; // sometimes none, sometimes two chapters
    for (std::size_t t = 0; t < touched; ++t) {
      std::size_t i = rng() % chapters;
      std::string text = *texts[i];
      edit(rng, text);
      texts[i] = std::make_shared<const std::string>(std::move(text));
    }
    if (rng() % 10 == 0) // an equal text in a new string: still unchanged
      texts[0] = std::make_shared<const std::string>(*texts[0]);
    auto next = BookSnapshot::build(layout, sourcesOf(layout, texts), step + 2, current);
    auto fresh = BookSnapshot::build(layout, sourcesOf(layout, texts), step + 2);
    INFO("seed " << seed << " step " << step);
    if (!same(*next, *fresh))
      return;
    if (touched == 0)
      CHECK(next->manuscriptPtr() == current->manuscriptPtr()); // shared, not rebuilt
    current = next;
  }
}

} // namespace

TEST_CASE("book snapshot: built from the previous one through random edits, it equals a fresh build") {
  const auto folder = BookLayout::folder("/book");
  for (std::uint64_t seed = 1; seed <= 60; ++seed)
    runCase(0xb00c0000 + seed, folder, 1 + seed % 5, 40);
  const auto single = BookLayout::singleFile("/story.md");
  for (std::uint64_t seed = 1; seed <= 20; ++seed)
    runCase(0x5170e000 + seed, single, 1, 40);
}
