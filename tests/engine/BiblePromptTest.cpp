#include "engine/bible/BiblePrompt.h"
#include "engine/Backends.h"
#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/book/Book.h"
#include "engine/story/Prompts.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <algorithm>
#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

void put(const fs::path &p, const std::string &text) {
  REQUIRE(writeFileAtomically(p, text).ok());
}

/// A bible from `name -> file text` pairs, with its names compiled and no facts.
BibleContext contextOf(std::initializer_list<std::pair<const char *, const char *>> files) {
  std::vector<BibleEntry> entries;
  std::vector<BibleDiagnostic> diags;
  for (const auto &[file, text] : files)
    for (auto &e : parseBibleFile(file, text, false, diags))
      entries.push_back(std::move(e));
  REQUIRE(diags.empty());
  BibleContext c;
  c.bible = std::make_shared<const Bible>(assembleBible("bible", std::move(entries), {}));
  c.names = std::make_shared<const MentionIndex>(*c.bible);
  return c;
}

std::vector<std::string> namesOf(const BibleSelection &s) {
  std::vector<std::string> out;
  for (const auto &p : s.picks)
    out.push_back(p.name);
  return out;
}

const BiblePick *pickOf(const BibleSelection &s, std::string_view name) {
  for (const auto &p : s.picks)
    if (p.name == name)
      return &p;
  return nullptr;
}

const BudgetItem *itemOf(const std::vector<BudgetItem> &items, std::string_view label) {
  for (const auto &i : items)
    if (i.label == label)
      return &i;
  return nullptr;
}

std::string promptOf(const CallRecord &call) {
  std::string out;
  for (const auto &m : call.messages)
    out += m.content + "\n";
  return out;
}

} // namespace

TEST_CASE("bible selection: always, then the plan, the recent text nearest first, memories, then related") {
  auto c = contextOf({
      {"mira.md", "---\ninclude: always\n---\n# Mira\nThe narrator's cat.\n"},
      {"ana.md", "---\naliases: [Ana, Anya]\nrelated: [Vell, The Archive]\n---\n# Ana Petrova\nA pilot.\n"},
      {"vell.md", "---\ntype: place\n---\n# Vell\nA harbour town.\n"},
      {"archive.md", "---\ninclude: related\ntype: place\n---\n# The Archive\nWhere the maps are kept.\n"},
      {"boris.md", "---\ninclude: never\n---\n# Boris\nA red herring.\n"},
      {"oleg.md", "# Oleg\nA sailor.\n"},
      {"pavel.md", "# Pavel\nA guard.\n"},
      {"quinn.md", "# Quinn\nA thief.\n"},
      {"rita.md", "# Rita\nA cook.\n"},
      {"ghost.md", "---\ninclude: related\n---\n# Ghost\nOnly through a relation.\n"},
  });
  BibleScanInput in;
  in.plan = "Anya sails home at last.";
  in.recent = {{"Boris watched Oleg from the quay. Ghost stories were told.", "paragraph 4"},
               {"Ana met Pavel, then Quinn.", "paragraph 5"}};
  in.retrieved = {{"Rita fled the kitchen.", "paragraph 2"}};
  auto s = selectBibleEntries(c, in);
  CHECK(namesOf(s) == std::vector<std::string>{"Mira", "Ana Petrova", "Quinn", "Pavel", "Oleg", "Rita",
                                               "Vell", "The Archive"});
  CHECK(pickOf(s, "Mira")->reason == "always");
  CHECK(pickOf(s, "Mira")->always);
  CHECK(pickOf(s, "Ana Petrova")->reason == "alias Anya in the plan");
  CHECK(pickOf(s, "Quinn")->reason == "Quinn in paragraph 5");
  CHECK(pickOf(s, "Rita")->reason == "Rita in the memory of paragraph 2");
  CHECK(pickOf(s, "The Archive")->reason == "related to Ana Petrova");
  CHECK(pickOf(s, "The Archive")->related);
  CHECK(pickOf(s, "Vell")->text == "Vell (place): A harbour town.");
  // Left out, with why: a `never` entry, and a related-only entry that no included entry relates to.
  REQUIRE(s.leftOut.size() == 2);
  CHECK(s.leftOut[0].name == "Ghost"); // nearer the point than Boris
  CHECK(s.leftOut[0].why.find("include: related") == 0);
  CHECK(s.leftOut[1].name == "Boris");
  CHECK(s.leftOut[1].reason == "Boris in paragraph 4");
  CHECK(s.leftOut[1].why == "include: never");
}

TEST_CASE("bible selection: one level of related entries, at most four") {
  auto c = contextOf({
      {"hub.md", "---\nrelated: [A1, A2, A3, A4, A5, Nobody]\n---\n# Hub\nEveryone's friend.\n"},
      {"a1.md", "---\nrelated: [Deep]\n---\n# A1\nOne.\n"},
      {"a2.md", "# A2\nTwo.\n"},
      {"a3.md", "# A3\nThree.\n"},
      {"a4.md", "# A4\nFour.\n"},
      {"a5.md", "# A5\nFive.\n"},
      {"deep.md", "# Deep\nTwo links away.\n"},
  });
  BibleScanInput in;
  in.plan = "Hub knocks.";
  auto s = selectBibleEntries(c, in);
  CHECK(namesOf(s) == std::vector<std::string>{"Hub", "A1", "A2", "A3", "A4"});
  REQUIRE(s.leftOut.size() == 1);
  CHECK(s.leftOut[0].name == "A5");
  CHECK(s.leftOut[0].why == "over the limit of 4 related entries");
  BibleSelectOptions two;
  two.maxRelated = 2;
  CHECK(selectBibleEntries(c, in, two).picks.size() == 3);
}

TEST_CASE("a bible entry renders its description, details and facts, never its notes, within its cap") {
  auto c = contextOf({{"ana.md", "---\naliases: [Ana]\n---\n# Ana Petrova\nA pilot who hates the sea.\n"
                                 "- eyes: grey\n\n## Notes\nShe sank the Gull: a secret.\n"}});
  auto text = renderBibleEntry(c, 0, 300);
  CHECK(text == "Ana Petrova (other): A pilot who hates the sea.\n- eyes: grey");
  CHECK(text.find("secret") == std::string::npos);
  // Over the cap: the description is cut first, the details stay.
  std::string longDescription(4000, 'x');
  for (std::size_t i = 5; i < longDescription.size(); i += 6)
    longDescription[i] = ' ';
  auto big = contextOf({{"b.md", ("# Big\n" + longDescription + "\n- status: alive\n").c_str()}});
  bool cut = false;
  auto capped = renderBibleEntry(big, 0, 100, &cut);
  CHECK(cut);
  CHECK(estimateTokens(capped) <= 100);
  CHECK(capped.find("- status: alive") != std::string::npos);
}

TEST_CASE("the step's bible: facts and mentions before the insertion point only, notes never") {
  test::TempDir dir;
  const auto root = dir / "b";
  put(root / "ch1.md", "# One\n\nAna flew to the harbour.\n<!-- fact: Ana: scar on her left cheek -->\n\n"
                       "The harbour was quiet that night.\n");
  put(root / "ch2.md", "# Two\n\nAna landed at dawn and walked to the storm wall.\n\n"
                       "Gregor watched the storm break over the harbour wall.\n"
                       "<!-- fact: Ana.eyes: one eye lost -->\n");
  put(root / "bible/ana.md", "---\naliases: [Ana]\n---\n# Ana Petrova\nA pilot.\n- eyes: grey\n\n"
                             "## Notes\nThe murderer, a secret.\n");
  put(root / "bible/gregor.md", "# Gregor\nThe harbour master.\n");
  auto opened = openBook(BookLayout::folder(root), BackendConfig{}, BookOptions{});
  REQUIRE(opened.ok());
  auto &book = **opened;
  auto snap = book.snapshot();
  REQUIRE(book.adoptOrRefresh(*snap, AdoptRequest{}, {}).ok());

  // Continue chapter 2 after its first paragraph: the storm paragraph, Gregor and the lost eye come later.
  const std::string ch2(snap->chapterText(1));
  const std::size_t cursor = ch2.find("wall.") + 5;
  const std::string plan = "The storm breaks over the harbour wall.";
  auto request = book.stepRequest(*snap, 1, cursor, plan);
  REQUIRE(request.bible);
  CHECK(request.bible->chapter == 1);
  CHECK(request.bible->offset == cursor);
  REQUIRE(book.session().prepareStep(snap->manuscript(), request, {}).ok());
  auto call = book.session().lastCall();
  REQUIRE(call);
  auto prompt = promptOf(*call);
  CHECK(prompt.find("Ana Petrova (other): A pilot.") != std::string::npos);
  CHECK(prompt.find("- scar on her left cheek") != std::string::npos);
  CHECK(prompt.find("- eyes: grey") != std::string::npos);
  CHECK(prompt.find("one eye lost") == std::string::npos);
  CHECK(prompt.find("The harbour master") == std::string::npos);
  CHECK(prompt.find("secret") == std::string::npos);
  REQUIRE(call->budget);
  auto ana = itemOf(call->budget->included, "Ana Petrova");
  REQUIRE(ana);
  CHECK(ana->kind == SourceKind::BibleEntry);
  CHECK(ana->reason.find("in paragraph") != std::string::npos);

  // At the end of the book the later fact and Gregor are there.
  auto atEnd = book.stepRequest(*snap, 1, std::nullopt, plan);
  REQUIRE(book.session().prepareStep(snap->manuscript(), atEnd, {}).ok());
  prompt = promptOf(*book.session().lastCall());
  CHECK(prompt.find("- eyes: one eye lost") != std::string::npos);
  CHECK(prompt.find("Gregor (other): The harbour master.") != std::string::npos);
  CHECK(prompt.find("secret") == std::string::npos);

  // Plans see the bible at the end of the book too.
  REQUIRE(book.session().suggestPlans(snap->manuscript(), {}).ok());
  prompt = promptOf(*book.session().lastCall());
  CHECK(prompt.find("Gregor (other): The harbour master.") != std::string::npos);
}

TEST_CASE(
    "always entries survive a tight budget, and when even they are cut, the report and one message say so") {
  test::TempDir dir;
  const auto root = dir / "b";
  std::string cast;
  put(root / "bible/mira.md", "---\ninclude: always\n---\n# Mira\nThe narrator's cat, grey and old.\n");
  std::string longText;
  for (int i = 0; i < 60; ++i)
    longText += "a long description that goes on ";
  const char *names[] = {"Oleg", "Pavel", "Quinn", "Rita", "Sasha", "Tanya"};
  for (const char *n : names) {
    put(root / "bible" / (std::string(n) + ".md"), "# " + std::string(n) + "\n" + longText + "\n");
    cast += std::string(n) + " ";
  }
  put(root / "ch1.md",
      "# One\n\nThe house by the river was cold that winter, and the stove smoked all day long.\n\n"
      "Nobody came up the road for a week, and the snow lay deep against the door.\n\n"
      "Mira slept by the stove while " +
          cast + "argued about the boat.\n");
  std::vector<std::string> warnings;
  BookOptions options;
  options.session.prompt.contextTokens = 4096;
  options.session.prompt.answerTokens = 1200;
  options.session.onWarning = [&](const std::string &m) { warnings.push_back(m); };
  auto opened = openBook(BookLayout::folder(root), BackendConfig{}, options);
  REQUIRE(opened.ok());
  auto &book = **opened;
  auto snap = book.snapshot();
  REQUIRE(book.adoptOrRefresh(*snap, AdoptRequest{}, {}).ok());

  // The bible's 25% of about 2,900 prompt tokens holds Mira and a few of the long entries.
  auto request = book.stepRequest(*snap, 0, std::nullopt, "Oleg leaves.");
  auto step = book.session().prepareStep(snap->manuscript(), request, {});
  INFO((step ? std::string() : step.error().message));
  REQUIRE(step.ok());
  auto budget = *book.session().lastCall()->budget;
  REQUIRE(itemOf(budget.included, "Mira"));
  CHECK(itemOf(budget.included, "Mira")->reason == "always");
  REQUIRE(itemOf(budget.included, "Oleg")); // in the plan: the first after Mira
  int bibleTokens = 0, dropped = 0;
  for (const auto &i : budget.included)
    if (i.kind == SourceKind::BibleEntry)
      bibleTokens += i.tokens;
  for (const auto &i : budget.trimmed)
    if (i.kind == SourceKind::BibleEntry) {
      ++dropped;
      CHECK(i.cutReason.find("over the story bible's share of the prompt (25%") == 0);
    }
  CHECK(dropped > 0);
  CHECK(bibleTokens <= (4096 - 1200) / 4);
  CHECK(warnings.empty());

  // A share too small for Mira: she is cut, the report says why, and the writer hears it once.
  options.session.prompt.bibleShare = 0.002;
  auto reopened = openBook(BookLayout::folder(root), BackendConfig{}, options);
  REQUIRE(reopened.ok());
  auto &small = **reopened;
  auto snap2 = small.snapshot();
  for (int i = 0; i < 2; ++i) {
    auto r = small.stepRequest(*snap2, 0, std::nullopt, "Oleg leaves.");
    REQUIRE(small.session().prepareStep(snap2->manuscript(), r, {}).ok());
  }
  budget = *small.session().lastCall()->budget;
  auto mira = itemOf(budget.trimmed, "Mira");
  REQUIRE(mira);
  CHECK(mira->reason == "always");
  CHECK(mira->cutReason.find("share") != std::string::npos);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("'always' entry Mira was left out of the prompt") != std::string::npos);
  CHECK(warnings[0].find("recurrent.bibleShare") != std::string::npos);
}
