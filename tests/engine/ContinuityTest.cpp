// The deterministic continuity checks on generated books: injected slips and a dead character speaking are
// found; the clean book (names, aliases, inflections, CJK) gives none.
#include "engine/bible/BookBible.h"
#include "engine/book/BookSnapshot.h"
#include "engine/continuity/ChapterFrontMatter.h"
#include "engine/continuity/ContinuityChecker.h"
#include "engine/continuity/EditDistance.h"
#include "engine/continuity/NameDictionary.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>

using namespace recurrent;
using namespace recurrent::engine;
using namespace recurrent::engine::continuity;

namespace {

Bible bibleOf(const std::vector<std::pair<std::string, std::string>> &files) {
  std::vector<BibleDiagnostic> diags;
  std::vector<BibleEntry> entries;
  for (const auto &[name, text] : files)
    for (auto &e : parseBibleFile("bible/" + name, text, false, diags))
      entries.push_back(std::move(e));
  REQUIRE(diags.empty());
  return assembleBible("bible", std::move(entries), {});
}

Bible cast() {
  return bibleOf({
      {"elizabeth.md", "---\naliases: [Lizzy, Miss Bennet]\n---\n# Elizabeth Bennet\n- status: alive\n"},
      {"natasha.md", "---\naliases: [Natásha, Countess Rostóva]\n---\n# Natásha Rostóva\n- eyes: dark\n"},
      {"darcy.md", "---\naliases: [Darcy]\n---\n# Fitzwilliam Darcy\n"},
      {"elena.md", "---\nexclude: [Elana Street]\n---\n# Elena\n"},
      {"ana.md", "---\naliases: [Ana]\n---\n# Ana Petrova\n- status: alive\n"},
      {"vell.md", "---\ntype: place\n---\n# Vell\n"},
  });
}

/// Common words, and the proper names a word list holds.
std::shared_ptr<const NameDictionary> smallDictionary() {
  return std::make_shared<const NameDictionary>(NameDictionary::fromWords(
      {"the", "walked", "said", "prince", "street", "Darcy", "dance", "house", "went", "she", "her", "to",
       "and", "Bennet", "Elizabeth", "Lizzy", "Vella", "level", "ellen", "Ellen"}));
}

ContinuityChecker::Options testOptions() {
  ContinuityChecker::Options o;
  o.dictionary = smallDictionary();
  return o;
}

/// A chapter of varied sentences naming the cast: names, aliases, possessives, plurals, the exclusion.
std::string cleanChapter(int n, std::mt19937 &rng) {
  static const std::vector<std::string> sentences = {
      "Elizabeth Bennet walked to the window.",   "Lizzy laughed at the letter.",
      "Miss Bennet's aunt came to tea.",         "Natásha danced with the prince.",
      "Countess Rostóva was pleased.",           "The Natáshas of this world are rare.",
      "Darcy's house stood on the hill.",        "Fitzwilliam Darcy bowed to her.",
      "Ana Petrova flew over Vell.",             "Ana's boat left the harbour of Vell.",
      "They met on Elana Street at noon.",       "Elena waved from the door.",
      "\xE2\x80\x9C" "Come in,\xE2\x80\x9D said Ana.", "ELIZABETH wrote in capitals.",
  };
  std::string out = "# Chapter " + std::to_string(n) + "\n\n";
  for (int p = 0; p < 12; ++p) {
    for (int s = 0; s < 4; ++s)
      out += sentences[rng() % sentences.size()] + " ";
    out.back() = '\n';
    out += "\n";
  }
  return out;
}

std::shared_ptr<const BookSnapshot> bookOf(const std::vector<std::string> &chapters) {
  auto layout = BookLayout::folder("/book");
  std::vector<BookSnapshot::ChapterSource> sources;
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    auto name = "ch" + std::to_string(i) + ".md";
    sources.push_back({ChapterFile{layout.root() / name, name}, std::make_shared<const std::string>(chapters[i]),
                       false});
  }
  return BookSnapshot::build(layout, std::move(sources), 1);
}

std::vector<Finding> checkAll(const Bible &bible, const std::vector<std::string> &chapters,
                              ContinuityChecker::Options options = testOptions()) {
  auto book = bookOf(chapters);
  BookBible names(std::make_shared<const Bible>(bible), *book);
  ContinuityChecker checker(names, *book, options);
  return checker.checkBook(names, *book);
}

std::string quoteOf(const std::vector<std::string> &chapters, const Finding &f) {
  return chapters[f.chapter].substr(f.begin, f.end - f.begin);
}

} // namespace

TEST_CASE("continuity: edit distance counts a swap of neighbours as one edit, over code points") {
  CHECK(editDistance("Elizabeth", "Elizabteh", 3) == 1);
  CHECK(editDistance("Natásha", "Natasha", 3) == 1);
  CHECK(editDistance("Darcy", "Dracy", 3) == 1);
  CHECK(editDistance("Darcy", "Darcey", 3) == 1);
  CHECK(editDistance("Darcy", "Dar", 3) == 2);
  CHECK(editDistance("kitten", "sitting", 3) == 3);
  CHECK(editDistance("Elizabeth", "Bob", 2) == 3); // stops past the limit
  CHECK(editDistance("", "", 0) == 0);
}

TEST_CASE("continuity: the word list knows words as written and in lower case, and tells names apart") {
  auto d = smallDictionary();
  CHECK(d->contains("Walked"));   // a common word at a sentence's start
  CHECK(d->contains("Darcy"));    // a proper name of the list
  CHECK_FALSE(d->contains("Dracy"));
  CHECK(d->isCommonWord("Prince"));
  CHECK_FALSE(d->isCommonWord("Darcy"));
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "words", "apple\nBanana\r\n\ncherry\n").ok());
  auto loaded = NameDictionary::load(dir / "words");
  REQUIRE(loaded.ok());
  CHECK(loaded->size() == 3);
  CHECK(loaded->contains("Banana"));
  CHECK(loaded->contains("Cherry"));
  CHECK_FALSE(NameDictionary::load(dir / "missing").ok());
}

TEST_CASE("continuity: a clean generated book gives no finding, on no name or alias") {
  std::mt19937 rng(3);
  std::vector<std::string> chapters;
  for (int c = 0; c < 6; ++c)
    chapters.push_back(cleanChapter(c + 1, rng));
  auto findings = checkAll(cast(), chapters);
  for (const auto &f : findings)
    INFO(f.message);
  CHECK(findings.empty());
  // Without any word list the bible's own names are still never flagged.
  ContinuityChecker::Options bare;
  bare.useSystemDictionary = false;
  CHECK(checkAll(cast(), chapters, bare).empty());
}

TEST_CASE("continuity: injected slips of names and aliases are found, with the bible's spelling to put back") {
  std::mt19937 rng(5);
  std::vector<std::string> chapters;
  for (int c = 0; c < 4; ++c)
    chapters.push_back(cleanChapter(c + 1, rng));
  chapters[1] += "Elizabteh sat down. Then Lizy smiled.\n\nNatsáha and Fitzwiliam Dracy went out.\n\n"
                 "Natasha forgot the accent.\n";
  auto findings = checkAll(cast(), chapters);
  std::map<std::string, std::string> got; // quote -> replacement
  for (const auto &f : findings) {
    CHECK(f.code == "name-misspelling");
    CHECK(f.severity == FindingSeverity::Warning);
    CHECK(f.chapter == 1);
    REQUIRE(f.replacement);
    REQUIRE(f.sources.size() == 1);
    CHECK(f.sources[0].kind == FindingSource::Kind::BibleEntry);
    CHECK(f.sources[0].file.filename().string().ends_with(".md"));
    CHECK_FALSE(f.fingerprint.empty());
    got[quoteOf(chapters, f)] = *f.replacement;
  }
  CHECK(got == std::map<std::string, std::string>{{"Elizabteh", "Elizabeth"},
                                                  {"Lizy", "Lizzy"},
                                                  {"Natsáha", "Natásha"},
                                                  {"Fitzwiliam", "Fitzwilliam"},
                                                  {"Dracy", "Darcy"},
                                                  {"Natasha", "Natásha"}});
  auto e = std::find_if(findings.begin(), findings.end(),
                        [&](const Finding &f) { return quoteOf(chapters, f) == "Elizabteh"; });
  REQUIRE(e != findings.end());
  CHECK(e->message.find("Elizabteh") != std::string::npos);
  CHECK(e->message.find("Elizabeth") != std::string::npos);
  CHECK(e->entry == "Elizabeth Bennet");
}

TEST_CASE("continuity: words of the list, inflections, exclusions and the book's own names are left alone") {
  std::vector<std::string> chapters = {
      "# One\n\nEllen and Vella came; a level road.\n\n"       // dictionary words near Elena / Vell
      "They took the Elana Street tram; ELANA STREET was wet.\n\n" // an exclusion of Elena
      "The Darcys dined. Ana Petrovas are rare.\n\n"            // plurals of names
      "Rostóv came. Rostóv went. Rostóv stayed.\n\n"            // not a bible name, used three times
      "Elizabteh, Elizabteh, Elizabteh.\n"};                   // a slip repeated reads as the writer's spelling
  auto findings = checkAll(cast(), chapters);
  for (const auto &f : findings)
    INFO(f.message);
  CHECK(findings.empty());
}

TEST_CASE("continuity: CJK names are never flagged, nor the text around them") {
  auto bible = bibleOf({{"daiyu.md", "---\naliases: [黛玉]\n---\n# 林黛玉\n"},
                        {"baoyu.md", "---\naliases: [宝玉]\n---\n# 贾宝玉\n- status: alive\n"}});
  std::vector<std::string> chapters = {"# 第一回\n\n林黛玉进了贾府。黛玉见了宝玉，宝玉笑道：“妹妹好。”林黛王走了。\n\n"
                                       "贾宝王和林代玉说话。Daiyu said nothing.\n"};
  CHECK(checkAll(bible, chapters).empty());
  ContinuityChecker::Options bare;
  bare.useSystemDictionary = false;
  CHECK(checkAll(bible, chapters, bare).empty());
}

TEST_CASE("continuity: a dead character who speaks or acts after the fact is found, memories and reports are not") {
  std::mt19937 rng(9);
  std::vector<std::string> chapters = {cleanChapter(1, rng),
                                       "# Two\n\nAna Petrova fell from the sky.\n\n"
                                       "<!-- fact: Ana.status: dead -->\n\n"
                                       "They buried her at Vell.\n\n"
                                       "He said Ana was gone forever.\n\n"
                                       "Elizabeth remembered how Ana said, \xE2\x80\x9C" "Fly with me.\xE2\x80\x9D\n",
                                       "# Three\n\n\xE2\x80\x9CI am back,\xE2\x80\x9D said Ana.\n\n"
                                       "The rain stopped. Ana walked to the harbour.\n\n"
                                       "Darcy spoke of Ana's boat.\n"};
  auto findings = checkAll(cast(), chapters);
  std::vector<Finding> dead;
  for (const auto &f : findings)
    if (f.code == "dead-character-acts")
      dead.push_back(f);
    else
      FAIL_CHECK("unexpected finding: " << f.message);
  // Chapter 1's "said Ana" is before the fact: she was alive then.
  REQUIRE(dead.size() == 2);
  for (const auto &f : dead) {
    CHECK(f.chapter == 2);
    CHECK(quoteOf(chapters, f) == "Ana");
    CHECK(f.severity == FindingSeverity::Warning);
    CHECK(f.entry == "Ana Petrova");
    REQUIRE(f.sources.size() == 1);
    CHECK(f.sources[0].kind == FindingSource::Kind::Fact);
    CHECK(f.sources[0].file.filename() == "ch1.md");
    CHECK(f.sources[0].line == 4);
    CHECK(f.message.find("dead") != std::string::npos);
  }
  CHECK(dead[0].message.find("speaks") != std::string::npos);
  CHECK(dead[1].message.find("acts") != std::string::npos);

  // Brought back: a later fact makes her present again.
  chapters[2].insert(chapters[2].find("\xE2\x80\x9CI am"), "<!-- fact: Ana.status: alive again -->\n\n");
  for (const auto &f : checkAll(cast(), chapters))
    CHECK(f.code != "dead-character-acts");
}

TEST_CASE("continuity: a status in the bible itself counts from the start, and away counts as gone") {
  auto bible = bibleOf({{"ghost.md", "---\naliases: [Marley]\n---\n# Jacob Marley\n- status: dead, seven years\n"},
                        {"tom.md", "# Tom Sawyer\n- status: away at sea\n"}});
  std::vector<std::string> chapters = {"# One\n\nMarley nodded. Then Tom Sawyer smiled.\n"};
  auto findings = checkAll(bible, chapters);
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].sources[0].kind == FindingSource::Kind::BibleEntry);
  CHECK(findings[0].sources[0].quote == "status: dead, seven years");
  CHECK(findings[1].message.find("away") != std::string::npos);
  CHECK(DeadCharacterActs::classify("Deceased (1890)") == DeadCharacterActs::Status::Dead);
  CHECK(DeadCharacterActs::classify("alive") == DeadCharacterActs::Status::Present);
  CHECK(DeadCharacterActs::classify("elsewhere: Paris") == DeadCharacterActs::Status::Away);
}

TEST_CASE("continuity: first-person narration in a third-person chapter is a hint, dialogue and italics are not") {
  std::string third = "---\ntitle: Storm\npov: third\n---\n# Storm\n\n"
                      "\xE2\x80\x9CI will go,\xE2\x80\x9D Ana said. She left.\n\n"
                      "She thought: *I must not fail.* Alexander I was emperor.\n\n"
                      "'I know,' she said to him.\n\n"
                      "> I write to you from Vell.\n\n"
                      "Then I went down to the harbour with my dog.\n";
  auto findings = checkAll(cast(), {third});
  REQUIRE(findings.size() == 1);
  const auto &f = findings[0];
  CHECK(f.code == "pov-drift");
  CHECK(f.severity == FindingSeverity::Hint);
  CHECK(quoteOf({third}, f) == "I");
  CHECK(f.begin == third.find("Then I went") + 5);
  REQUIRE(f.sources.size() == 1);
  CHECK(f.sources[0].line == 2);
  CHECK(f.sources[0].quote == "pov: third");

  // A character's name is third person too; the first person, or no pov at all, is not checked.
  auto named = third;
  named.replace(named.find("pov: third"), 10, "pov: \"Ana\"");
  CHECK(checkAll(cast(), {named}).size() == 1);
  auto first = third;
  first.replace(first.find("pov: third"), 10, "pov: first person");
  CHECK(checkAll(cast(), {first}).empty());
  CHECK(checkAll(cast(), {third.substr(third.find("# Storm"))}).empty());
  auto field = frontMatterField(third, "POV");
  REQUIRE(field);
  CHECK(field->value == "third");
}

TEST_CASE("continuity: one paragraph can be checked alone, and edits keep the checker equal to a fresh one") {
  std::mt19937 rng(11);
  std::vector<std::string> chapters = {cleanChapter(1, rng), cleanChapter(2, rng)};
  chapters[1] += "Elizabteh sat down.\n\nDracy stood up.\n";
  auto book = bookOf(chapters);
  auto bible = std::make_shared<const Bible>(cast());
  BookBible names(bible, *book);
  ContinuityChecker checker(names, *book, testOptions());
  auto paragraphs = book->chapters()[1].paragraphCount;
  auto last = checker.checkParagraphs(names, *book, 1, paragraphs - 1, 1);
  REQUIRE(last.size() == 1);
  CHECK(quoteOf(chapters, last[0]) == "Dracy");
  CHECK(checker.checkParagraphs(names, *book, 1, 0, 3).empty());

  // Fix the slip in the editor: the next snapshot shares the unchanged chapter, and the finding goes.
  auto at = chapters[1].find("Dracy");
  chapters[1].replace(at, 5, "Darcy");
  auto edited = bookOf(chapters);
  names.update(*edited);
  checker.update(*edited);
  auto after = checker.checkChapter(names, *edited, 1);
  REQUIRE(after.size() == 1);
  CHECK(quoteOf(chapters, after[0]) == "Elizabteh");
  BookBible freshNames(bible, *edited);
  ContinuityChecker fresh(freshNames, *edited, testOptions());
  CHECK(fresh.checkBook(freshNames, *edited) == checker.checkBook(names, *edited));
  // A third use anywhere makes the slip the writer's spelling, in every chapter.
  chapters[0] += "\nElizabteh, Elizabteh.\n";
  auto thrice = bookOf(chapters);
  names.update(*thrice);
  checker.update(*thrice);
  CHECK(checker.checkBook(names, *thrice).empty());
  // A chapter added: the counts follow the new chapter list.
  chapters.push_back("# New\n\nDracy again.\n");
  auto longer = bookOf(chapters);
  names.update(*longer);
  checker.update(*longer);
  auto added = checker.checkBook(names, *longer);
  REQUIRE(added.size() == 1);
  CHECK(added[0].chapter == 2);
}

TEST_CASE("continuity: fingerprints are stable across runs and edits elsewhere, distinct per word") {
  std::vector<std::string> a = {"# One\n\nElizabteh sat. Dracy stood.\n"};
  std::vector<std::string> b = {"# One\n\nA new paragraph first.\n\nElizabteh sat. Dracy stood.\n"};
  auto fa = checkAll(cast(), a), fb = checkAll(cast(), b);
  REQUIRE(fa.size() == 2);
  REQUIRE(fb.size() == 2);
  CHECK(fa[0].fingerprint == fb[0].fingerprint);
  CHECK(fa[1].fingerprint == fb[1].fingerprint);
  CHECK(fa[0].fingerprint != fa[1].fingerprint);
}
