// The outline as an editor shows it: no lone "Scene 1" under a chapter with one scene, and a book's table of
// contents (Project Gutenberg lists every chapter before the text) one "Contents" entry, not a chapter per line.
#include "tests/support/LspTestClient.h"

#include <doctest/doctest.h>

#include <string>

using namespace recurrent;
using recurrent::test::json;
using recurrent::test::LspTestClient;

namespace {

json textDocument(const std::string &uri) { return {{"textDocument", {{"uri", uri}}}}; }

json symbolsOf(const std::string &text) {
  LspTestClient client;
  client.initialize();
  std::string uri = test::testUri("book.md");
  client.open(uri, text);
  return client.call("textDocument/documentSymbol", textDocument(uri)).take();
}

std::vector<std::string> names(const json &symbols) {
  std::vector<std::string> out;
  for (const auto &s : symbols)
    out.push_back(s["name"].get<std::string>());
  return out;
}

} // namespace

TEST_CASE("outline: a chapter with one scene has no scene under it, one with two has both") {
  json symbols = symbolsOf("# One\n\nShe came.\n\nShe left.\n\n# Two\n\nRain.\n\n***\n\nSun.\n");
  REQUIRE(symbols.size() == 2);
  CHECK_FALSE(symbols[0].contains("children"));
  CHECK(symbols[0]["detail"] == "2 paragraphs, 4 words");
  REQUIRE(symbols[1]["children"].size() == 2);
  CHECK(symbols[1]["children"][0]["name"] == "Scene 1");
  // Text before the first chapter, in one scene, is the opening; in two, two scenes.
  CHECK(names(symbolsOf("A foreword.\n\n# One\n\nText.\n")) == std::vector<std::string>{"Opening", "One"});
  CHECK(names(symbolsOf("A.\n\n***\n\nB.\n\n# One\n\nText.\n")) == std::vector<std::string>{"Scene 1", "Scene 2", "One"});
}

TEST_CASE("outline: a contents list of indented CHAPTER lines is one Contents symbol, the chapters stay") {
  std::string text = "ALICE'S ADVENTURES IN WONDERLAND\n\nContents\n\n";
  const char *roman[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"};
  for (const char *r : roman)
    text += std::string(" CHAPTER ") + r + ".\n\n";
  std::uint32_t contentsFirst = 4, contentsLast = 4 + 2 * 11;
  for (const char *r : roman)
    text += std::string("CHAPTER ") + r + ".\n\nAlice was beginning to get very tired.\n\n";

  json symbols = symbolsOf(text);
  std::vector<std::string> expected = {"Opening", "Contents"};
  for (const char *r : roman)
    expected.push_back(std::string("CHAPTER ") + r + ".");
  CHECK(names(symbols) == expected);
  json contents = symbols[1];
  CHECK(contents["detail"] == "12 entries");
  CHECK(contents["range"]["start"]["line"] == contentsFirst);
  CHECK(contents["range"]["end"]["line"] == contentsLast);
  CHECK_FALSE(contents.contains("children"));

  LspTestClient client;
  client.initialize();
  std::string uri = test::testUri("alice.md");
  client.open(uri, text);
  json folds = client.call("textDocument/foldingRange", textDocument(uri)).take();
  bool folded = false;
  for (const auto &f : folds)
    folded = folded || (f["startLine"] == contentsFirst && f["endLine"] == contentsLast);
  CHECK(folded);
}

TEST_CASE("outline: a writer's empty Markdown chapters are plans and stay, as do two empty chapter lines") {
  CHECK(names(symbolsOf("# One\n\nText.\n\n# Two\n\n# Three\n\n# Four\n")) ==
        std::vector<std::string>{"One", "Two", "Three", "Four"});
  CHECK(names(symbolsOf("BOOK ONE\n\nCHAPTER I\n\nText.\n\nCHAPTER II\n\nMore.\n")) ==
        std::vector<std::string>{"BOOK ONE", "CHAPTER I", "CHAPTER II"});
}
