#include "engine/bible/MentionIndex.h"
#include "engine/book/BookSnapshot.h"

#include <doctest/doctest.h>

#include <random>

using namespace recurrent;
using namespace recurrent::engine;

namespace {

Bible bibleOf(std::vector<std::pair<std::string, std::string>> files) {
  std::vector<BibleEntry> entries;
  std::vector<BibleDiagnostic> diags;
  for (auto &[name, text] : files)
    for (auto &e : parseBibleFile(name, text, false, diags))
      entries.push_back(std::move(e));
  REQUIRE(diags.empty());
  return assembleBible("bible", std::move(entries), std::move(diags));
}

Bible cast() {
  return bibleOf({
      {"ana.md", "---\ntype: character\naliases: [Ana, Anya, the smuggler's daughter]\nexclude: [Ana's "
                 "Diner]\n---\n# Ana Petrova\n"},
      {"rose.md", "---\naliases: [Rosie]\n---\n# Rose\n"},
      {"vell.md", "---\ntype: place\ncase: insensitive\n---\n# Vell\n"},
      {"jones.md", "---\ncase: sensitive\n---\n# Jones\n"},
      {"anna.md", "---\naliases: [安娜]\n---\n# 王安娜\n"},
      {"gull.md", "---\nkeys: [\"/\\\\bGull(ship)?\\\\b/\", skiff]\n---\n# The Gull\n"},
  });
}

/// "text of each mention" for one entry.
std::vector<std::string> found(const MentionIndex &index, std::string_view text, std::size_t entry,
                               bool countedOnly = true) {
  std::vector<std::string> out;
  for (const auto &m : index.scan(text))
    if (m.entry == entry && (!countedOnly || !m.excluded))
      out.emplace_back(text.substr(m.begin, m.end - m.begin));
  return out;
}

using V = std::vector<std::string>;

} // namespace

TEST_CASE("mention index: names, aliases, longest first, word boundaries") {
  MentionIndex index(cast());
  std::string text =
      "Ana Petrova met Anya. Anastasia is not Ana, nor is Žana or Ana1. The smuggler's daughter\nwaved.";
  CHECK(found(index, text, 0) == V{"Ana Petrova", "Anya", "Ana", "The smuggler's daughter"});
  // A name broken across a line is one mention; a blank line breaks it.
  CHECK(found(index, "Then Ana\n  Petrova left.", 0) == V{"Ana\n  Petrova"});
  CHECK(found(index, "Then Ana\n\nPetrova left.", 0) == V{"Ana"});
}

TEST_CASE("mention index: plural and possessive forms keep the name's range") {
  MentionIndex index(cast());
  std::string text =
      "Ana's boat, Ana’s oar, the Anas, the Anas' house, the Joneses and Jones' dog; Anasta no.";
  CHECK(found(index, text, 0) == V{"Ana", "Ana", "Ana", "Ana"});
  CHECK(found(index, text, 3) == V{"Jones", "Jones"});
  auto ms = index.scan("Roses");
  REQUIRE(ms.size() == 1);
  CHECK(ms[0].end - ms[0].begin == 4);
}

TEST_CASE("mention index: the case rule (auto keeps the capital initial, sensitive, insensitive)") {
  MentionIndex index(cast());
  // auto: "Rose" is found as Rose and ROSE, never as rose.
  CHECK(found(index, "Rose smelled a rose. ROSE!", 1) == V{"Rose", "ROSE"});
  auto shout = index.scan("ROSE");
  REQUIRE(shout.size() == 1);
  CHECK(shout[0].caseFolded);
  // auto on a lower-case alias: any case.
  CHECK(found(index, "THE SMUGGLER'S DAUGHTER", 0) == V{"THE SMUGGLER'S DAUGHTER"});
  // insensitive: vell, VELL.
  CHECK(found(index, "in vell and VELL", 2) == V{"vell", "VELL"});
  // sensitive: JONES does not count.
  CHECK(found(index, "JONES and Jones", 3) == V{"Jones"});
}

TEST_CASE("mention index: exclusions are kept but not counted") {
  MentionIndex index(cast());
  std::string text = "We ate at Ana's Diner with Rose. Ana paid.";
  CHECK(found(index, text, 0) == V{"Ana"});
  auto all = found(index, text, 0, false);
  CHECK(all == V{"Ana", "Ana"});
  std::size_t excluded = 0;
  for (auto &m : index.scan(text))
    excluded += m.excluded;
  CHECK(excluded == 1);
  CHECK(found(index, "at ana's diner, Rose", 1) == V{"Rose"});
}

TEST_CASE("mention index: CJK names match without word boundaries") {
  MentionIndex index(cast());
  std::string text = "王安娜说：安娜来了。安娜们";
  CHECK(found(index, text, 4) == V{"王安娜", "安娜", "安娜"});
  CHECK(found(index, "Ana说", 0) == V{"Ana"});
}

TEST_CASE("mention index: regex and plain keys") {
  MentionIndex index(cast());
  std::string text = "The Gull sailed; the Gullship too, and a skiff. Gulls.";
  auto got = found(index, text, 5);
  CHECK(got == V{"The Gull", "Gullship", "skiff"});
}

TEST_CASE("mention index: over a book snapshot, counts and first appearance, one chapter updated") {
  auto layout = BookLayout::folder("/book");
  auto chapter = [&](std::string rel, std::string text) {
    return BookSnapshot::ChapterSource{{std::filesystem::path("/book") / rel, rel},
                                       std::make_shared<const std::string>(std::move(text))};
  };
  auto book = BookSnapshot::build(layout,
                                  {chapter("ch1.md", "# One\n\nRose sings.\n"),
                                   chapter("ch2.md", "# Two\n\nAna Petrova and Rose.\n\nAnya.\n")},
                                  1);
  MentionIndex index(cast());
  index.build(*book);
  CHECK(index.chapterCount() == 2);
  CHECK(index.mentionCount(0) == 2);
  CHECK(index.mentionCount(1) == 2);
  auto first = index.firstAppearance(0);
  REQUIRE(first);
  CHECK(first->chapter == 1);
  CHECK(first->begin == std::string("# Two\n\n").size());
  CHECK(index.firstAppearance(1)->chapter == 0);
  CHECK_FALSE(index.firstAppearance(2));

  // A chapter file added before the others, then removed: the same as a build over the new list.
  std::string prologue = "# Prologue\n\nRose, again.\n";
  index.insertChapter(0, prologue);
  MentionIndex rebuilt(cast());
  rebuilt.build(std::vector<std::string_view>{prologue, book->chapterText(0), book->chapterText(1)});
  for (std::size_t c = 0; c < 3; ++c)
    CHECK(index.chapterMentions(c) == rebuilt.chapterMentions(c));
  CHECK(index.firstAppearance(1)->chapter == 0);
  index.removeChapter(0);
  CHECK(index.chapterCount() == 2);
  CHECK(index.chapterMentions(1) == index.scan(book->chapterText(1), 1));

  index.updateChapter(0, "# One\n\nAna was first.\n");
  CHECK(index.firstAppearance(0)->chapter == 0);
  CHECK(index.mentionCount(1) == 1);
  CHECK(index.mentionsOf(0).size() == 3);
}

TEST_CASE("mention index property: random edits keep the incremental index equal to a full rescan") {
  MentionIndex index(cast());
  const std::vector<std::string> pieces = {"Ana",
                                           "Ana Petrova",
                                           "Anya",
                                           "Rose",
                                           "rose",
                                           "ROSE",
                                           " ",
                                           "\n",
                                           "\n\n",
                                           "'s",
                                           "s",
                                           "es",
                                           "Anastasia ",
                                           "王安娜",
                                           "安娜",
                                           "说",
                                           "。",
                                           "😀",
                                           "🇫🇷",
                                           "Vell",
                                           "Jones",
                                           "the smuggler's",
                                           " daughter",
                                           "Gull",
                                           "ship",
                                           "Ana's Diner",
                                           "é",
                                           "Ž",
                                           ".",
                                           ", ",
                                           "x",
                                           "Petrova",
                                           "\nPetrova",
                                           "Ana\n",
                                           "smuggler's\n",
                                           "\r\n",
                                           " \t\n",
                                           "’s"};
  std::mt19937 rng(20261202);
  for (int round = 0; round < 20; ++round) {
    std::string other = "Rose in another chapter. Ana.\n";
    std::string text = "# Ch\n\nAna Petrova walked to Vell with Rose, Ana\nPetrova.\n\nThe Anas' boat.\n";
    index.build(std::vector<std::string_view>{other, text});
    for (int step = 0; step < 150; ++step) {
      // Pick a char-aligned range (walk back off continuation bytes).
      auto aligned = [&](std::size_t p) {
        while (p > 0 && p < text.size() && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80)
          --p;
        return p;
      };
      std::size_t begin = aligned(rng() % (text.size() + 1));
      std::size_t end = aligned(std::min(text.size(), begin + rng() % 12));
      if (end < begin)
        end = begin;
      if (rng() % 3 == 0)
        end = begin; // pure insertion
      std::string insert;
      for (int k = static_cast<int>(rng() % 3); k > 0; --k)
        insert += pieces[rng() % pieces.size()];
      text.replace(begin, end - begin, insert);
      index.applyEdit(1, text, begin, end - begin, insert.size());
      auto full = index.scan(text, 1);
      INFO("round ", round, " step ", step, " text: ", text);
      REQUIRE(index.chapterMentions(1) == full);
      REQUIRE(index.chapterMentions(0) == index.scan(other, 0));
    }
  }
}

TEST_CASE("mention index: a greedy regex key over a very long line neither overflows the stack nor misses a "
          "match") {
  auto bible = bibleOf({{"gull.md", "---\nkeys: [\"/Gull.*/\", \"/(a|b)*c/\"]\n---\n# The Gull\n"}});
  MentionIndex index(bible);
  std::string line;
  for (int i = 0; i < 40000; ++i)
    line += "word ";
  line += "Gullship sails on and on";
  auto ms = index.scan(line);
  REQUIRE(ms.size() == 1);
  CHECK(ms[0].via == Mention::Via::Key);
  CHECK(line.substr(ms[0].begin, 8) == "Gullship");
}
