// Property test: after every random edit, the incrementally updated manuscript equals a full parse.
#include "engine/manuscript/Manuscript.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>

using namespace recurrent::engine;

namespace {

// Lines that exercise every rule, including the ones that change the mode of everything after them.
constexpr std::array<const char *, 44> kLines{
    "It was a dark and stormy night.",
    "The rain fell in torrents, except at occasional intervals,",
    "when it was checked by a violent gust of wind.",
    "She said: \"Chapter one was dull.\"",
    "Chapter two was better than the first.",
    "悟空道：「我不曾有甚麼名字。」",
    "　　卻說那猴王得了仙道，",
    "emoji 🐉 and 🧭 in a line",
    "",
    "",
    "",
    "   ",
    "\xE3\x80\x80\xE3\x80\x80",
    "\xC2\xA0",
    "# Part One",
    "## Chapter 1",
    "#",
    "Chapter 12",
    "CHAPTER XII. The Return",
    "BOOK ONE: 1805",
    "Chapter the First",
    "第一回     靈根育孕源流出",
    "第十二章",
    "I. A SCANDAL IN BOHEMIA",
    "II.",
    "***",
    "* * *",
    "---",
    "...",
    "```",
    "```cpp",
    "~~~",
    "~~~~",
    "<!-- plan: she opens the door -->",
    "<!-- plan: a long plan",
    "that goes on -->",
    "<!--",
    "-->",
    "text after --> the comment",
    "<!-- just a note -->",
    "Prologue",
    "FIRST EPILOGUE: 1813 - 20",
    "    indented prose line",
    "Chapter 3 and then some lowercase words",
};

// Fragments inserted by edits: pieces of lines, line breaks and markers.
constexpr std::array<const char *, 24> kFragments{
    "a", " ", "\n", "\n\n", "\r\n", "\r\n\r\n", "\xE3\x80\x80", "字", "🙂", "#", "# ", "Chapter 7\n", "\n***\n",
    "```", "\n```\n", "~~~\n", "<!--", "-->", "<!-- plan: next -->", "---\n", "\n---\n", "word word ",
    "第三回\n", "\n\nnew paragraph\n\n",
};

std::string makeText(std::mt19937_64 &rng, std::size_t lines) {
  std::string text;
  bool crlf = rng() % 4 == 0;
  if (rng() % 6 == 0)
    text += crlf ? "---\r\ntitle: x\r\n---\r\n" : "---\ntitle: x\n---\n";
  for (std::size_t i = 0; i < lines; ++i) {
    text += kLines[rng() % kLines.size()];
    text += crlf ? "\r\n" : "\n";
  }
  if (rng() % 3 == 0 && !text.empty())
    text.pop_back(); // sometimes no final line break
  return text;
}

std::size_t utf8Boundary(const std::string &text, std::size_t offset) {
  while (offset > 0 && offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80)
    --offset;
  return offset;
}

std::string makeReplacement(std::mt19937_64 &rng) {
  std::string r;
  std::size_t pieces = rng() % 4;
  for (std::size_t i = 0; i < pieces; ++i)
    r += rng() % 3 == 0 ? kLines[rng() % kLines.size()] : kFragments[rng() % kFragments.size()];
  return r;
}

std::string describe(const std::string &text) {
  std::ostringstream os;
  for (char c : text) {
    if (c == '\n')
      os << "\\n";
    else if (c == '\r')
      os << "\\r";
    else
      os << c;
  }
  return os.str();
}

// Runs `edits` random edits on a generated text; returns false (after reporting) on the first mismatch.
bool runCase(std::uint64_t seed, std::size_t lines, std::size_t edits) {
  std::mt19937_64 rng(seed);
  Manuscript m(makeText(rng, lines));
  for (std::size_t step = 0; step < edits; ++step) {
    const std::string before = m.text();
    std::size_t size = before.size();
    std::size_t b = utf8Boundary(before, size ? rng() % (size + 1) : 0);
    std::size_t len = rng() % 3 == 0 ? rng() % 200 : rng() % 8; // some deletions span paragraphs
    std::size_t e = utf8Boundary(before, std::min(size, b + len));
    std::string r = rng() % 4 == 0 ? std::string() : makeReplacement(rng);
    m.replace(b, e, r);
    Manuscript full(m.text());
    if (!(m == full)) {
      FAIL_CHECK("incremental != full parse; seed " << seed << " step " << step << " replace(" << b << ", " << e
                                                    << ", \"" << describe(r) << "\") on \"" << describe(before)
                                                    << "\"");
      return false;
    }
  }
  return true;
}

} // namespace

TEST_CASE("random edits on small manuscripts keep incremental == full parse") {
  std::uint64_t base = 0x5eed0001;
  std::size_t total = 0;
  for (std::uint64_t i = 0; i < 400; ++i) {
    if (!runCase(base + i, 1 + (i % 30), 25))
      break;
    total += 25;
  }
  CHECK(total == 400 * 25);
}

TEST_CASE("random edits on a long manuscript keep incremental == full parse") {
  // Long enough that re-parsing stops at a blank line long before the end.
  CHECK(runCase(0xB16B00B5, 600, 1500));
}

TEST_CASE("every kind of edit at every offset of a tricky text") {
  const std::string text = "---\na: b\n---\n# One\n\npara one\nline two\n\n***\n\n<!-- plan: go -->\n```\ncode\n```\n"
                           "Chapter 2\n\n第一回\n\n　　說話\n";
  const std::array<std::string, 8> inserts{"", "x", "\n", "\n\n", "```\n", "<!--", "-->", "---\n"};
  for (std::size_t b = 0; b <= text.size(); ++b) {
    if (b < text.size() && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80)
      continue;
    for (std::size_t len : {0u, 1u, 5u}) {
      std::size_t e = utf8Boundary(text, std::min(text.size(), b + len));
      for (const auto &ins : inserts) {
        Manuscript m(text);
        m.replace(b, e, ins);
        Manuscript full(m.text());
        INFO("replace(" << b << ", " << e << ", \"" << describe(ins) << "\")");
        REQUIRE(m == full);
      }
    }
  }
}
