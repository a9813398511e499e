#include "engine/bible/BibleFile.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

const char *kAna = R"(---
type: character            # a comment
aliases: [Ana, Anya, the smuggler's daughter]
include: always
case: sensitive
exclude: [Ana's Diner]
keys: ["/\\bPetrov(a|s)?\\b/i", Petrovna]
related: [Harbour of Vell]
---
# Ana Petrova
Ana Petrova, 27, a smuggler's daughter who pilots the *Gull*.
- eyes: grey
- status: alive

She hates the sea.

## Notes
Never sent to the model.
- secret: she sank the Gull once
)";

std::vector<BibleEntry> parse(std::string_view text, std::vector<BibleDiagnostic> &diags,
                              bool multi = false) {
  return parseBibleFile("bible/x.md", text, multi, diags);
}

} // namespace

TEST_CASE("bible file: front matter, name, description, details and notes") {
  std::vector<BibleDiagnostic> diags;
  auto entries = parse(kAna, diags);
  CHECK(diags.empty());
  REQUIRE(entries.size() == 1);
  const auto &e = entries[0];
  CHECK(e.name == "Ana Petrova");
  CHECK(e.line == 9);
  CHECK(e.type == BibleEntryType::Character);
  CHECK(e.aliases == std::vector<std::string>{"Ana", "Anya", "the smuggler's daughter"});
  CHECK(e.include == BibleInclude::Always);
  CHECK(e.caseRule == BibleCase::Sensitive);
  CHECK(e.exclude == std::vector<std::string>{"Ana's Diner"});
  CHECK(e.keys == std::vector<std::string>{"/\\bPetrov(a|s)?\\b/i", "Petrovna"});
  CHECK(e.related == std::vector<std::string>{"Harbour of Vell"});
  CHECK(e.description ==
        "Ana Petrova, 27, a smuggler's daughter who pilots the *Gull*.\n\nShe hates the sea.");
  REQUIRE(e.details.size() == 2);
  CHECK(e.details[0] == BibleDetail{"eyes", "grey", 11});
  CHECK(e.details[1].key == "status");
  CHECK(e.notes == "Never sent to the model.\n- secret: she sank the Gull once");
  CHECK(e.description.find("Never sent") == std::string::npos);
}

TEST_CASE("bible file: defaults without front matter, and a file without heading is named after it") {
  std::vector<BibleDiagnostic> diags;
  auto entries = parse("# Vell\nA harbour town.\n", diags);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].type == BibleEntryType::Other);
  CHECK(entries[0].include == BibleInclude::Mentioned);
  CHECK(entries[0].caseRule == BibleCase::Auto);
  CHECK(diags.empty());

  auto unnamed = parseBibleFile("bible/the-gull.md", "A fishing boat.\n", false, diags);
  REQUIRE(unnamed.size() == 1);
  CHECK(unnamed[0].name == "the-gull");
  CHECK(unnamed[0].description == "A fishing boat.");
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].severity == BibleDiagnostic::Severity::Warning);
}

TEST_CASE("bible file: malformed front matter gives diagnostics with lines and keeps the rest") {
  std::vector<BibleDiagnostic> diags;
  auto entries = parse(
      "---\ntype: dragon\ninclude: sometimes\ncolour: red\naliases: {a: b}\nkeys: [\"/(unclosed/\"]\n---\n"
      "# Smaug\nA dragon.\n- hoard: gold\n",
      diags);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].name == "Smaug");
  CHECK(entries[0].type == BibleEntryType::Other);
  CHECK(entries[0].details.size() == 1);
  REQUIRE(diags.size() == 5);
  CHECK(diags[0].line == 1);
  CHECK(diags[0].message.find("dragon") != std::string::npos);
  CHECK(diags[1].line == 2);
  CHECK(diags[2].line == 3);
  CHECK(diags[2].severity == BibleDiagnostic::Severity::Warning);
  CHECK(diags[3].line == 4);
  CHECK(diags[4].line == 5);
  CHECK(diags[4].message.find("regex") != std::string::npos);

  diags.clear();
  auto broken = parse("---\naliases: [Ana, \n---\n# Ana Petrova\nStill here.\n", diags);
  REQUIRE(broken.size() == 1);
  CHECK(broken[0].name == "Ana Petrova");
  CHECK(broken[0].description == "Still here.");
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].message.find("YAML") != std::string::npos);

  diags.clear();
  auto unclosed = parse("---\ntype: place\n# Vell\nA town.\n", diags);
  REQUIRE(unclosed.size() == 1);
  CHECK(unclosed[0].type == BibleEntryType::Place);
  CHECK(unclosed[0].name == "Vell");
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].line == 0);
}

TEST_CASE("bible.md: one entry per ## section, each with optional front matter") {
  std::vector<BibleDiagnostic> diags;
  auto entries = parse(
      "# Cast\nThe people.\n\n## Ana\n---\ntype: character\naliases: [Anya]\n---\nA pilot.\n- eyes: grey\n"
      "### Notes\nsecret\n\n## Vell\nA harbour.\n",
      diags, true);
  CHECK(diags.empty());
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "Ana");
  CHECK(entries[0].line == 3);
  CHECK(entries[0].type == BibleEntryType::Character);
  CHECK(entries[0].aliases == std::vector<std::string>{"Anya"});
  CHECK(entries[0].description == "A pilot.");
  CHECK(entries[0].notes == "secret");
  CHECK(entries[1].name == "Vell");
  CHECK(entries[1].description == "A harbour.");
}

TEST_CASE("bible folder: loads every file, duplicate names and aliases get diagnostics, first owner wins") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "book/bible/ana.md",
                              "---\naliases: [Ana, Vell]\n---\n# Ana Petrova\nA pilot.\n")
              .ok());
  REQUIRE(writeFileAtomically(dir / "book/bible/places/vell.md", "# Vell\nA town.\n").ok());
  REQUIRE(
      writeFileAtomically(dir / "book/bible/zz-copy.md", "---\naliases: [Ana]\n---\n# Ana Petrova\nAgain.\n")
          .ok());
  REQUIRE(writeFileAtomically(dir / "book/bible/.hidden.md", "# Hidden\n").ok());
  REQUIRE(writeFileAtomically(dir / "book/ch1.md", "# One\n").ok());
  auto layout = BookLayout::folder(dir / "book");
  CHECK(bibleFolder(layout) == dir / "book/bible");
  CHECK(bibleFolder(BookLayout::singleFile(dir / "story.md")) == dir / "story.bible");

  auto bible = loadBible(bibleFolder(layout));
  REQUIRE(bible.entries.size() == 3);
  CHECK(bible.entries[0].name == "Ana Petrova");
  // "Vell" is the place's name: it beats Ana's alias though ana.md comes first.
  CHECK(bible.entries[0].aliases == std::vector<std::string>{"Ana"});
  CHECK(bible.entries[1].name == "Vell");
  CHECK(bible.entries[2].nameShadowed);
  CHECK(bible.entries[2].aliases.empty());
  REQUIRE(bible.diagnostics.size() == 3);
  for (const auto &d : bible.diagnostics)
    CHECK(d.severity == BibleDiagnostic::Severity::Error);
  CHECK(*bible.find("ana") == 0);
  CHECK(*bible.find("VELL") == 1);
  CHECK_FALSE(bible.find("Hidden"));

  auto none = loadBible(dir / "nothing-here");
  CHECK(none.entries.empty());
  CHECK(none.diagnostics.empty());
}

TEST_CASE("fact comments: add and replace forms, offsets, lines, and malformed ones reported") {
  std::string text =
      "# Ch 9\n\nThe blade fell.\n<!-- fact: Ana: scar on her left cheek -->\n\n"
      "<!--fact:Ana Petrova.eyes: one eye lost -->\n<!-- plan: not a fact -->\n<!-- fact: nothing -->\n";
  std::vector<BibleDiagnostic> problems;
  auto facts = parseFactComments(text, &problems);
  REQUIRE(facts.size() == 2);
  CHECK(facts[0].target == "Ana");
  CHECK(facts[0].text == "scar on her left cheek");
  CHECK(facts[0].line == 3);
  CHECK(text.substr(facts[0].begin, facts[0].end - facts[0].begin) ==
        "<!-- fact: Ana: scar on her left cheek -->");
  CHECK(facts[1].target == "Ana Petrova.eyes");
  CHECK(facts[1].line == 5);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].line == 7);

  std::vector<BibleDiagnostic> diags;
  auto entries = parseBibleFile("a.md", "---\naliases: [Ana]\n---\n# Ana Petrova\n", false, diags);
  entries.push_back(parseBibleFile("b.md", "# St. Petersburg\n", false, diags)[0]);
  auto bible = assembleBible("bible", std::move(entries), std::move(diags));
  auto add = bible.resolveFact(facts[0]);
  REQUIRE(add);
  CHECK(add->entry == 0);
  CHECK(add->detail.empty());
  auto replace = bible.resolveFact(facts[1]);
  REQUIRE(replace);
  CHECK(replace->entry == 0);
  CHECK(replace->detail == "eyes");
  auto city = bible.resolveFact({"St. Petersburg", "flooded"});
  REQUIRE(city);
  CHECK(city->entry == 1);
  CHECK(city->detail.empty());
  CHECK_FALSE(bible.resolveFact({"Bob.eyes", "blue"}));
}
