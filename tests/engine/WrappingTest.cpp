// Hard-wrapped manuscripts: the wrap column read from the writer's paragraphs, and new text wrapped to it as
// it streams.
#include "engine/manuscript/Wrapping.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

using namespace recurrent;
using namespace recurrent::engine;

namespace {

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

const std::string kSentence = "The keeper climbed the stair with the lamp and looked out at the grey sea below. ";

std::string sentences(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += kSentence;
  return s.substr(0, s.size() - 1);
}

} // namespace

TEST_CASE("wrapping: a Gutenberg-style manuscript wraps at its own column, a one-line one does not") {
  std::string wrapped = "# One\n\n";
  for (int i = 0; i < 4; ++i)
    wrapped += wrapText(sentences(3), 70) + "\n\n";
  wrapped += "A short line.\n";
  auto width = hardWrapWidth(Manuscript(wrapped));
  REQUIRE(width);
  CHECK(*width <= 70);
  CHECK(*width >= 60);

  std::string oneLine = "# One\n\n";
  for (int i = 0; i < 4; ++i)
    oneLine += sentences(3) + "\n\n";
  CHECK_FALSE(hardWrapWidth(Manuscript(oneLine)));
  // Too few long paragraphs to tell.
  CHECK_FALSE(hardWrapWidth(Manuscript(wrapText(sentences(3), 70) + "\n")));
  // Verse: short lines are not a wrap column.
  CHECK_FALSE(hardWrapWidth(Manuscript("Roses red,\nviolets blue,\n\nSalt and sea,\nwind and you.\n\nOne,\ntwo.\n")));
  // Mostly one-line paragraphs with a few wrapped ones: the writer does not wrap.
  std::string mixed = wrapped;
  for (int i = 0; i < 6; ++i)
    mixed += sentences(3) + "\n\n";
  CHECK_FALSE(hardWrapWidth(Manuscript(mixed)));
}

TEST_CASE("wrapping: greedy lines within the width, the words and their order kept") {
  std::string text = sentences(4);
  std::string out = wrapText(text, 40);
  for (const auto &l : lines(out))
    CHECK(l.size() <= 40);
  std::string rejoined = out;
  std::replace(rejoined.begin(), rejoined.end(), '\n', ' ');
  CHECK(rejoined == text);
  // A word longer than the width stays whole; runs of spaces and line breaks are one break.
  CHECK(wrapText("a extraordinarily b", 5) == "a\nextraordinarily\nb");
  CHECK(wrapText("one  two\n\nthree", 80) == "one two three");
  // Code points, not bytes: "é" is one column.
  CHECK(wrapText("été été été", 7) == "été été\nété");
  // A line never starts with Markdown syntax.
  CHECK(wrapText("she had # of them and - as ever 1. more", 6) == "she\nhad #\nof\nthem\nand -\nas\never 1.\nmore");
}

TEST_CASE("wrapping: streamed in any pieces, the same lines as all at once") {
  std::string text = sentences(5);
  std::string whole = wrapText(text, 50);
  for (std::size_t piece : {1u, 3u, 7u, 64u}) {
    StreamWrapper w(50);
    std::string out;
    for (std::size_t at = 0; at < text.size(); at += piece)
      out += w.feed(std::string_view(text).substr(at, piece));
    out += w.finish();
    CHECK(out == whole);
  }
}
