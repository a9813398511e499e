// Segmentation rules of the manuscript model, one case per rule, plus its line index and edits.
#include "engine/manuscript/LineRules.h"
#include "engine/manuscript/Manuscript.h"

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

namespace recurrent::engine {
std::ostream &operator<<(std::ostream &os, Manuscript::LineKind k) { return os << static_cast<int>(k); }
} // namespace recurrent::engine

using namespace recurrent::engine;
using Kind = Manuscript::LineKind;

namespace {

std::vector<std::string> paragraphTexts(const Manuscript &m) {
  std::vector<std::string> out;
  for (const auto &p : m.paragraphs())
    out.emplace_back(m.paragraphText(p));
  return out;
}

std::vector<std::string> chapterTitles(const Manuscript &m) {
  std::vector<std::string> out;
  for (const auto &c : m.chapters())
    out.push_back(c.title);
  return out;
}

using Strings = std::vector<std::string>;

} // namespace

TEST_CASE("paragraphs are runs of non-blank lines, with offsets and lines") {
  Manuscript m("First line\nsecond line\n\n\nThird  \n");
  REQUIRE(m.paragraphs().size() == 2);
  const auto &a = m.paragraphs()[0], &b = m.paragraphs()[1];
  CHECK(m.paragraphText(a) == "First line\nsecond line");
  CHECK(a.begin == 0);
  CHECK(a.end == 22);
  CHECK(a.firstLine == 0);
  CHECK(a.lastLine == 1);
  CHECK(a.words == 4);
  CHECK(m.paragraphText(b) == "Third  "); // trailing spaces belong to the text, not to the hash
  CHECK(b.begin == 25);
  CHECK(b.firstLine == 4);
  CHECK(b.lastLine == 4);
  CHECK(b.chapter == -1);
  CHECK(m.totalWords() == 5);
  CHECK(m.lineCount() == 6);
  CHECK(m.lineKind(2) == Kind::Blank);
  CHECK(m.lineKind(0) == Kind::Prose);
}

TEST_CASE("lines of Unicode white space are blank: U+3000, U+00A0, U+2003, tabs") {
  Manuscript m("　　卻說那猴王\n\xE3\x80\x80\xE3\x80\x80\nnext\n\xC2\xA0 \t\nthird\n\xE2\x80\x83\nfourth");
  CHECK(paragraphTexts(m) == Strings{"　　卻說那猴王", "next", "third", "fourth"});
  CHECK(m.paragraphs()[0].words == 5); // indentation is not a word; each ideograph is
}

TEST_CASE("CRLF line ends: the \\r is neither in the paragraph nor in the line text, and hashes match LF") {
  Manuscript crlf("One line\r\ntwo line\r\n\r\n# Title\r\nThree\r\n");
  Manuscript lf("One line\ntwo line\n\n# Title\nThree\n");
  REQUIRE(crlf.paragraphs().size() == 2);
  CHECK(crlf.paragraphText(crlf.paragraphs()[0]) == "One line\r\ntwo line");
  CHECK(crlf.paragraphs()[0].end == 18);
  CHECK(crlf.paragraphText(crlf.paragraphs()[1]) == "Three");
  CHECK(crlf.lineText(0) == "One line");
  CHECK(crlf.lineEnd(0) == 9); // the '\n'
  CHECK(crlf.lineKind(2) == Kind::Blank);
  CHECK(chapterTitles(crlf) == Strings{"Title"});
  CHECK(crlf.paragraphs()[0].hash == lf.paragraphs()[0].hash);
  CHECK(crlf.paragraphs()[1].hash == lf.paragraphs()[1].hash);
}

TEST_CASE("paragraph hash: FNV-1a 64, identical text hashes alike, trailing white space ignored") {
  CHECK(hashParagraphText("") == 14695981039346656037ull);
  CHECK(hashParagraphText("a") == 0xaf63dc4c8601ec8cull);
  CHECK(hashParagraphText("line one  \nline two\t") == hashParagraphText("line one\r\nline two"));
  CHECK(hashParagraphText("line one\nline two") != hashParagraphText("line one line two"));
  CHECK(hashParagraphText("He ran.") != hashParagraphText("He ran!"));
  Manuscript m("He said yes.\n\nShe left.\n\nHe said yes.\n");
  REQUIRE(m.paragraphs().size() == 3);
  CHECK(m.paragraphs()[0].hash == m.paragraphs()[2].hash);
  CHECK(m.paragraphs()[0].hash != m.paragraphs()[1].hash);
  CHECK(m.paragraphs()[0].hash == hashParagraphText("He said yes."));
}

TEST_CASE("trimming knows Unicode spaces and leaves broken UTF-8 alone") {
  using lines::trimLeft;
  using lines::trimRight;
  CHECK(trimRight("abc\xE3\x80\x80 \t\r") == "abc");
  CHECK(trimRight("字\xC2\xA0") == "字");
  CHECK(trimRight("字") == "字");
  CHECK(trimRight("a\x80") == "a\x80");
  CHECK(trimRight("\x80\x80\x80\x80") == "\x80\x80\x80\x80");
  CHECK(trimRight("\xE3\x80\x80") == "");
  CHECK(trimLeft("\xE3\x80\x80\xEF\xBB\xBF x") == "x");
  CHECK(lines::isBlank("\xE2\x80\x83\xE3\x80\x80\r"));
  CHECK_FALSE(lines::isBlank("\xE2\x80\x8B")); // a zero-width space is not white space
}

TEST_CASE("words: white-space tokens, one per CJK character, CJK punctuation separates") {
  using lines::countWords;
  CHECK(countWords("") == 0);
  CHECK(countWords("  one two\tthree\nfour ") == 4);
  CHECK(countWords("well — then") == 3);
  CHECK(countWords("悟空道：「我不曾有甚麼名字。」") == 11);
  CHECK(countWords("hello世界 ok") == 4);
  CHECK(countWords("ひらがなカタカナ") == 8);
  CHECK(countWords("a🐉b 🧭") == 2);
  CHECK(countWords("one\xE3\x80\x80two\xC2\xA0three") == 3);
}

TEST_CASE("front matter at the very start is not prose, an unclosed one is a scene break") {
  Manuscript m("---\ntitle: The Sea\nauthor: me\n---\nOnce upon a time.\n");
  CHECK(paragraphTexts(m) == Strings{"Once upon a time."});
  CHECK(m.lineKind(0) == Kind::FrontMatter);
  CHECK(m.lineKind(3) == Kind::FrontMatter);
  CHECK(m.paragraphs()[0].firstLine == 4);

  Manuscript dots("---\ntitle: x\n...\n\nText\n");
  CHECK(paragraphTexts(dots) == Strings{"Text"});

  Manuscript unclosed("---\ntitle: x\n\nText\n");
  CHECK(paragraphTexts(unclosed) == Strings{"title: x", "Text"});
  CHECK(unclosed.lineKind(0) == Kind::SceneBreak);
  REQUIRE(unclosed.preambleScenes().size() == 1);

  Manuscript later("Text\n\n---\ntitle: x\n---\n");
  CHECK(paragraphTexts(later) == Strings{"Text", "title: x"});
  CHECK(later.preambleScenes().size() == 2);
}

TEST_CASE("HTML comments, multi-line too, are not prose and split paragraphs") {
  Manuscript m("Before the note\n<!-- a note\n\nstill the note -->\nAfter the note\n\n<!-- one line --> tail\nEnd\n");
  CHECK(paragraphTexts(m) == Strings{"Before the note", "After the note", "End"});
  CHECK(m.lineKind(1) == Kind::Comment);
  CHECK(m.lineKind(2) == Kind::Comment); // a blank line inside a comment is part of it
  CHECK(m.lineKind(6) == Kind::Comment);
  CHECK(m.planComments().empty());

  Manuscript unclosed("Text\n\n<!-- never closed\n\nMore\n");
  CHECK(paragraphTexts(unclosed) == Strings{"Text"});

  Manuscript inline_("He said <!-- not a block --> hi\n");
  CHECK(paragraphTexts(inline_) == Strings{"He said <!-- not a block --> hi"});
}

TEST_CASE("plan comments are recorded with their text, range and line") {
  const std::string text = "Opening.\n\n<!-- plan: she opens the door -->\n\n  <!--PLAN:\n  the storm\n  breaks -->\n";
  Manuscript m(text);
  CHECK(paragraphTexts(m) == Strings{"Opening."});
  REQUIRE(m.planComments().size() == 2);
  const auto &a = m.planComments()[0];
  CHECK(a.plan == "she opens the door");
  CHECK(a.line == 2);
  CHECK(text.substr(a.begin, a.end - a.begin) == "<!-- plan: she opens the door -->");
  const auto &b = m.planComments()[1];
  CHECK(b.plan == "the storm\n  breaks");
  CHECK(b.line == 4);
  CHECK(text.substr(b.begin, b.end - b.begin) == "<!--PLAN:\n  the storm\n  breaks -->");

  Manuscript crlf("<!-- plan: one\r\ntwo -->\r\n");
  REQUIRE(crlf.planComments().size() == 1);
  CHECK(crlf.planComments()[0].plan == "one\ntwo");

  Manuscript notPlan("<!-- planning: x -->\n<!-- a plan: y -->\n```\n<!-- plan: in code -->\n```\n");
  CHECK(notPlan.planComments().empty());
}

TEST_CASE("fenced code is not prose, whatever it holds") {
  Manuscript m("Text\n```cpp\n# not a heading\n\nChapter 1\n```\nAfter\n\n~~~~\n~~~\n***\n~~~~\nEnd\n");
  CHECK(paragraphTexts(m) == Strings{"Text", "After", "End"});
  CHECK(m.chapters().empty());
  CHECK(m.lineKind(3) == Kind::Fence);
  CHECK(m.lineKind(9) == Kind::Fence); // "~~~" does not close a "~~~~" fence
  CHECK(m.preambleScenes().size() == 1);

  Manuscript unclosed("Text\n\n```\nrest\n\nof the book\n");
  CHECK(paragraphTexts(unclosed) == Strings{"Text"});
}

TEST_CASE("Markdown headings open chapters with their level") {
  Manuscript m("# Pride and Prejudice\nBy Jane Austen\n\n## Chapter 1 ##\n\nIt is a truth.\n\n#hashtag line\n\n####### seven\n");
  CHECK(chapterTitles(m) == Strings{"Pride and Prejudice", "Chapter 1"});
  CHECK(m.chapters()[0].level == 1);
  CHECK(m.chapters()[1].level == 2);
  CHECK(paragraphTexts(m) == Strings{"By Jane Austen", "It is a truth.", "#hashtag line", "####### seven"});
  CHECK(m.paragraphs()[0].chapter == 0);
  CHECK(m.paragraphs()[1].chapter == 1);
}

TEST_CASE("plain-text chapter lines: true positives") {
  const Strings headings{"Chapter 12", "CHAPTER XII", "Chapter the First", "BOOK ONE: 1805", "CHAPTER I. Down the Rabbit-Hole",
                         "CHAPTER 1. Loomings.", "    Chapter 1", "Chapter Twenty-One", "Chapter 3: The Return",
                         "Chapter 12 The Return", "PART TWO", "Volume III", "Book the Second", "Prologue", "EPILOGUE",
                         "FIRST EPILOGUE: 1813 - 20", "SECOND EPILOGUE", "I. A SCANDAL IN BOHEMIA", "第一回",
                         "第十二章", "第一○回     嬰兒戲化禪心亂", "第一回     靈根育孕源流出　心性修持大道生",
                         "　　第三章：歸來", "第3卷"};
  for (const auto &h : headings) {
    CAPTURE(h);
    Manuscript m("Before.\n\n" + h + "\n\nAfter.\n");
    REQUIRE(m.chapters().size() == 1);
    CHECK(m.chapters()[0].title == std::string(lines::trim(h)));
    CHECK(m.chapters()[0].level == 1);
    CHECK(m.chapters()[0].headingLine == 2);
    CHECK(paragraphTexts(m) == Strings{"Before.", "After."});
  }
}

TEST_CASE("plain-text chapter lines: prose that looks like one is prose") {
  const Strings prose{"Chapter two was boring.", "chapter 12", "Part of me wanted to stay.", "Book one was better.",
                      "Chapter 3 and then some lowercase words", "Chapters 1 to 3", "Part I think so.",
                      "I. am here", "第一章就寫得很好", "第一個人", "Epilogues are dull",
                      "Chapter 1 " + std::string(90, 'X')};
  for (const auto &line : prose) {
    CAPTURE(line);
    Manuscript m("Before.\n\n" + line + "\n\nAfter.\n");
    CHECK(m.chapters().empty());
    CHECK(m.paragraphs().size() == 3);
  }
  // Not standing alone: inside a paragraph, a chapter line is prose.
  Manuscript inside("He turned the page.\nChapter 12\nwas missing.\n");
  CHECK(inside.chapters().empty());
  CHECK(inside.paragraphs().size() == 1);
  // A table of contents written as one paragraph is prose.
  Manuscript contents("Contents\n\n CHAPTER I.  Down the Rabbit-Hole\n CHAPTER II. The Pool of Tears\n");
  CHECK(contents.chapters().empty());
}

TEST_CASE("a chapter line followed by a short title line is one heading") {
  Manuscript m("CHAPTER I.\nDown the Rabbit-Hole\n\n\nAlice was beginning to get very tired.\n");
  REQUIRE(m.chapters().size() == 1);
  CHECK(m.chapters()[0].title == "CHAPTER I. Down the Rabbit-Hole");
  CHECK(m.lineKind(1) == Kind::Heading);
  CHECK(paragraphTexts(m) == Strings{"Alice was beginning to get very tired."});
  // A sentence right under the heading stays a paragraph (and so does the heading line with it).
  Manuscript sentence("Chapter 1\nIt rained all day.\n");
  CHECK(sentence.chapters().empty());
  CHECK(sentence.paragraphs().size() == 1);
}

TEST_CASE("BOOK and CHAPTER lines are both level-1 chapters, in text order") {
  Manuscript m("BOOK ONE: 1805\n\nCHAPTER I\n\n“Well, Prince.”\n\nCHAPTER II\n\nAnna Pávlovna’s drawing room.\n\n"
               "BOOK TWO: 1805\n\nCHAPTER I\n\nIn October 1805.\n");
  CHECK(chapterTitles(m) == Strings{"BOOK ONE: 1805", "CHAPTER I", "CHAPTER II", "BOOK TWO: 1805", "CHAPTER I"});
  for (const auto &c : m.chapters())
    CHECK(c.level == 1);
  CHECK(m.chapters()[0].scenes.empty()); // a book heading directly followed by a chapter holds no paragraph
  REQUIRE(m.paragraphs().size() == 3);
  CHECK(m.paragraphs()[0].chapter == 1);
  CHECK(m.paragraphs()[2].chapter == 4);
}

TEST_CASE("scene breaks split a chapter into scenes") {
  const std::string text = "Preface.\n\n# One\n\n* * *\n\nA1\n\nA2\n\n***\n\nB1\n---\nC1\n\n#\n\nD1\n\nII.\n\nE1\n\n"
                           "  *       *       *\n\n⁂\n\nF1\n";
  Manuscript m(text);
  CHECK(paragraphTexts(m) == Strings{"Preface.", "A1", "A2", "B1", "C1", "D1", "E1", "F1"});
  REQUIRE(m.preambleScenes().size() == 1);
  CHECK(m.preambleScenes()[0].paragraphCount == 1);
  REQUIRE(m.chapters().size() == 1);
  const auto &scenes = m.chapters()[0].scenes;
  REQUIRE(scenes.size() == 6); // the break right after the heading opens no empty scene; two breaks in a row open one
  CHECK(scenes[0].firstParagraph == 1);
  CHECK(scenes[0].paragraphCount == 2);
  CHECK(text.substr(scenes[0].begin, scenes[0].end - scenes[0].begin) == "A1\n\nA2");
  CHECK(scenes[0].firstLine == 6);
  CHECK(scenes[0].lastLine == 8);
  CHECK(scenes[1].paragraphCount == 1);
  CHECK(scenes[2].firstParagraph == 4);
  std::vector<int> sceneOf;
  for (const auto &p : m.paragraphs())
    sceneOf.push_back(p.scene);
  CHECK(sceneOf == std::vector<int>{0, 0, 0, 1, 2, 3, 4, 5});
}

TEST_CASE("chapter ranges: heading line to the line before the next heading") {
  const std::string text = "Intro\n\n# A\ntext a\n\n# B\n\ntext b\n";
  Manuscript m(text);
  REQUIRE(m.chapters().size() == 2);
  const auto &a = m.chapters()[0], &b = m.chapters()[1];
  CHECK(a.begin == 7);
  CHECK(a.headingLine == 2);
  CHECK(a.end == b.begin);
  CHECK(a.lastLine == 4);
  CHECK(text.substr(a.begin, a.end - a.begin) == "# A\ntext a\n\n");
  CHECK(b.headingLine == 5);
  CHECK(b.end == text.size());
  CHECK(b.lastLine == m.lineCount() - 1);
  REQUIRE(a.scenes.size() == 1);
  CHECK(a.scenes[0].firstParagraph == 1);
  CHECK(m.paragraphs()[0].chapter == -1);
  CHECK(m.paragraphs()[2].chapter == 1);
}

TEST_CASE("line index and lookups") {
  Manuscript m("ab\n\ncd\nef\n\ngh");
  CHECK(m.lineCount() == 6);
  CHECK(m.lineStart(2) == 4);
  CHECK(m.lineEnd(2) == 6);
  CHECK(m.lineEnd(5) == 13);
  CHECK(m.lineStart(99) == 13);
  CHECK(m.lineOf(0) == 0);
  CHECK(m.lineOf(3) == 1);
  CHECK(m.lineOf(7) == 3);
  CHECK(m.lineOf(100) == 5);
  CHECK(m.lineText(3) == "ef");
  CHECK(m.paragraphAtLine(3) == 1);
  CHECK_FALSE(m.paragraphAtLine(1).has_value());
  CHECK(m.paragraphAtLine(5) == 2);
  CHECK_FALSE(m.paragraphBefore(0).has_value());
  CHECK(m.paragraphBefore(1) == 0);
  CHECK(m.paragraphBefore(4) == 0);
  CHECK(m.paragraphBefore(5) == 1);
  CHECK(m.paragraphBefore(1000) == 2);
}

TEST_CASE("an empty manuscript equals a default one") {
  CHECK(Manuscript() == Manuscript(""));
  Manuscript m;
  CHECK(m.lineCount() == 1);
  CHECK(m.paragraphs().empty());
  m.replace(0, 0, "Hello");
  CHECK(m == Manuscript("Hello"));
  m.replace(0, 100, "");
  CHECK(m == Manuscript());
}

TEST_CASE("replace re-segments the touched paragraph and moves the rest") {
  Manuscript m("One.\n\nTwo.\n\n# Chapter\n\nThree.\n");
  m.replace(6, 6, "Two and a half.\n\n");
  CHECK(m.text() == "One.\n\nTwo and a half.\n\nTwo.\n\n# Chapter\n\nThree.\n");
  CHECK(m == Manuscript(m.text()));
  CHECK(paragraphTexts(m) == Strings{"One.", "Two and a half.", "Two.", "Three."});
  CHECK(m.chapters()[0].headingLine == 6);
  CHECK(m.paragraphs()[3].firstLine == 8);

  // Clamped offsets, reversed range.
  m.replace(1000, 2000, " The end.");
  CHECK(m == Manuscript(m.text()));
  m.replace(5, 2, "X");
  CHECK(m == Manuscript(m.text()));
}

TEST_CASE("an edit that opens a fence or a comment changes everything after it") {
  Manuscript m("A\n\nB\n\n# C\n\nD\n\nE\n");
  m.replace(3, 3, "```\n");
  CHECK(paragraphTexts(m) == Strings{"A"});
  CHECK(m.chapters().empty());
  CHECK(m == Manuscript(m.text()));
  m.replace(3, 7, "<!--\n");
  CHECK(paragraphTexts(m) == Strings{"A"});
  CHECK(m == Manuscript(m.text()));
  m.replace(m.text().size(), m.text().size(), "-->\nF\n");
  CHECK(paragraphTexts(m) == Strings{"A", "F"});
  CHECK(m == Manuscript(m.text()));
  // An opening "---" without a closing one is a scene break, until a closing line appears further down.
  m.replace(0, 0, "---\n");
  CHECK(m.lineKind(0) == Kind::SceneBreak);
  CHECK(paragraphTexts(m) == Strings{"A", "F"});
  CHECK(m == Manuscript(m.text()));
  m.replace(6, 6, "---\n");
  CHECK(m.lineKind(0) == Kind::FrontMatter);
  CHECK(m.lineKind(2) == Kind::FrontMatter);
  CHECK(paragraphTexts(m) == Strings{"F"});
  CHECK(m == Manuscript(m.text()));
}
