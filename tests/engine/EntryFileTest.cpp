// A new entry's file: the same slug and text as the VS Code client's "Add Bible Entry", never an existing file.
#include "engine/bible/BibleFile.h"
#include "engine/bible/EntryFile.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::TempDir;

TEST_CASE("entry file: the slug is the VS Code client's") {
  // The right-hand sides are what clients/vscode/src/bibleRows.ts entrySlug returns for the same names.
  CHECK(entrySlug("Mara Vell") == "mara-vell");
  CHECK(entrySlug("  Élodie d’Arc ") == "élodie-d-arc");
  CHECK(entrySlug("Наташа Ростова") == "наташа-ростова");
  CHECK(entrySlug("王小明") == "王小明");
  CHECK(entrySlug("Room 101") == "room-101");
  CHECK(entrySlug("Ψ Station") == "ψ-station");
  CHECK(entrySlug("!!") == "entry");
}

TEST_CASE("entry file: the text is a heading under its type, read back as that entry with nothing invented") {
  const std::string text = entryFileText(" Mara Vell ", "other");
  CHECK(text == "---\ntype: other\n---\n\n# Mara Vell\n\n");
  std::vector<BibleDiagnostic> problems;
  auto entries = parseBibleFile("mara-vell.md", text, false, problems);
  CHECK(problems.empty());
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].name == "Mara Vell");
  CHECK(entries[0].type == BibleEntryType::Other);
  CHECK(entries[0].description.empty());
  CHECK(entries[0].details.empty());
}

TEST_CASE("entry file: with aliases and a description, read back as that entry") {
  CHECK(entryFileText("Mara Vell", "other", {}, "") == entryFileText("Mara Vell", "other"));
  const std::string text =
      entryFileText("Mara Vell", "character", {"Mara", "Vell, the keeper", "\"Maz\""}, "The keeper of the lamp.");
  std::vector<BibleDiagnostic> problems;
  auto entries = parseBibleFile("mara-vell.md", text, false, problems);
  CHECK(problems.empty());
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].name == "Mara Vell");
  CHECK(entries[0].type == BibleEntryType::Character);
  CHECK(entries[0].aliases == std::vector<std::string>{"Mara", "Vell, the keeper", "\"Maz\""});
  CHECK(entries[0].description == "The keeper of the lamp.");
}

TEST_CASE("entry file: a new entry never takes an existing file, nor one already chosen") {
  TempDir dir;
  CHECK(freeEntryFile(dir.path(), "Mara") == dir.path() / "mara.md");
  REQUIRE(writeFileAtomically(dir.path() / "mara.md", "# Mara\n").ok());
  CHECK(freeEntryFile(dir.path(), "Mara") == dir.path() / "mara-2.md");
  CHECK(freeEntryFile(dir.path(), "MARA", {dir.path() / "mara-2.md"}) == dir.path() / "mara-3.md");
}

TEST_CASE("fact comment: what the editor writes is what the chapter reads back") {
  auto facts = parseFactComments("Ana came.\n\n" + factComment("Ana.eyes", "one eye lost") + "\n");
  REQUIRE(facts.size() == 1);
  CHECK(facts[0].target == "Ana.eyes");
  CHECK(facts[0].text == "one eye lost");
}
