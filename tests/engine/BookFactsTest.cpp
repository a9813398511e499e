#include "engine/bible/BookFacts.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;

namespace {

Bible anaAndVell() {
  std::vector<BibleDiagnostic> diags;
  auto entries = parseBibleFile(
      "ana.md", "---\naliases: [Ana]\n---\n# Ana Petrova\nA pilot.\n- eyes: grey\n- status: alive\n", false,
      diags);
  entries.push_back(parseBibleFile("vell.md", "# Vell\nA harbour.\n", false, diags)[0]);
  REQUIRE(diags.empty());
  return assembleBible("bible", std::move(entries), {});
}

} // namespace

TEST_CASE("book facts: only facts anchored before the point are true there, replacements applied") {
  auto bible = anaAndVell();
  std::string ch1 = "# One\n\nAna flew.\n<!-- fact: Ana: scar on her left cheek -->\n\nLater.\n";
  std::string ch2 =
      "# Two\n\n<!-- fact: Ana.eyes: one eye lost -->\nShe landed.\n<!-- fact: Ana: married -->\n"
      "<!-- fact: Vell.mood: grim -->\n<!-- fact: Bob: who? -->\n";
  auto facts = BookFacts::collect(bible, std::vector<std::string_view>{ch1, ch2});
  CHECK(facts.countFor(0) == 3);
  CHECK(facts.countFor(1) == 1);
  REQUIRE(facts.problems()[1].size() == 1);
  CHECK(facts.problems()[1][0].line == 6);

  // Chapter 1 before the fact: the entry as written.
  auto before = facts.at(bible, 0, 0, ch1.find("<!--"));
  CHECK(before.facts.empty());
  CHECK(before.details[0].value == "grey");
  // Right after the comment: the scar is true.
  auto after = facts.at(bible, 0, 0, ch1.find("-->") + 3);
  REQUIRE(after.facts.size() == 1);
  CHECK(after.facts[0].text == "scar on her left cheek");
  // Chapter 2 in the middle: the eye is lost, the marriage not yet.
  auto middle = facts.at(bible, 0, 1, ch2.find("She landed"));
  CHECK(middle.description == "A pilot.");
  CHECK(middle.facts.size() == 1);
  REQUIRE(middle.details.size() == 2);
  CHECK(middle.details[0] == BibleDetail{"eyes", "one eye lost", 5}); // its place in the entry file
  CHECK(middle.details[1].value == "alive");
  REQUIRE(middle.replaced.size() == 1);
  // The end of the book: both facts; Vell gains a detail it did not have.
  auto end = facts.at(bible, 0, 1, ch2.size());
  CHECK(end.facts.size() == 2);
  auto vell = facts.at(bible, 1, 1, ch2.size());
  REQUIRE(vell.details.size() == 1);
  CHECK(vell.details[0].key == "mood");

  // An edit moves a fact: re-reading the chapter moves its anchor.
  facts.updateChapter(bible, 0, "# One\n\nAna flew.\n\nLater.\n<!-- fact: Ana: scar on her left cheek -->\n");
  CHECK(facts.at(bible, 0, 0, std::string("# One\n\nAna flew.\n\nLater.\n").size()).facts.empty());
  CHECK(facts.at(bible, 0, 1, 0).facts.size() == 1);

  // A chapter added in front: its fact is true in every later chapter, which keep theirs.
  facts.insertChapter(bible, 0, "# Prologue\n<!-- fact: Ana: born at sea -->\n");
  CHECK(facts.chapter(2).front().chapter == 2);
  CHECK(facts.at(bible, 0, 1, 0).facts.size() == 1);
  CHECK(facts.at(bible, 0, 2, ch2.size()).facts.size() == 3); // born at sea, the scar, married
  facts.removeChapter(0);
  CHECK(facts.chapter(1).front().chapter == 1);
  CHECK(facts.countFor(0) == 3);
}
