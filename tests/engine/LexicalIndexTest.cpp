#include "engine/memory/LexicalIndex.h"
#include "engine/memory/TextFeatures.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

using namespace recurrent::engine;

namespace {

std::vector<std::uint64_t> ids(const std::vector<LexicalIndex::Hit> &hits) {
  std::vector<std::uint64_t> out;
  for (const auto &h : hits)
    out.push_back(h.id);
  return out;
}

} // namespace

TEST_CASE("lexical index: a rare word outranks common ones, best first") {
  LexicalIndex index;
  index.add(1, "The soldiers marched to the river and the soldiers rested.");
  index.add(2, "The soldiers marched past the mill where Natasha waited.");
  index.add(3, "The soldiers marched on through the rain.");
  auto hits = index.search("Natasha soldiers", 3);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].id == 2);
  CHECK(hits[0].score > hits[1].score);
  CHECK(hits[1].score >= hits[2].score);
  CHECK(index.search("Natasha", 5).size() == 1);
  CHECK(index.search("NATASHA", 5).front().id == 2); // case does not matter
}

TEST_CASE("lexical index: stop words are kept, possessives dropped, empty queries find nothing") {
  LexicalIndex index;
  index.add(1, "Anna's letter came from the city.");
  index.add(2, "It was the end of it all.");
  index.add(3, "Snow fell on the road.");
  // Function words carry who speaks and how: a query of nothing else still finds its paragraph.
  CHECK(ids(index.search("it was of it", 5)) == std::vector<std::uint64_t>{2});
  CHECK(index.search("", 5).empty());
  CHECK(index.search("letter", 0).empty());
  CHECK(ids(index.search("Anna", 5)) == std::vector<std::uint64_t>{1});
  CHECK(ids(index.search("a letter from Anna’s city", 5)) == std::vector<std::uint64_t>{1});
}

TEST_CASE("lexical index: add replaces, remove forgets, slots are reused") {
  LexicalIndex index;
  index.add(7, "A storm over Kellmouth harbour.");
  index.add(8, "Bread and honey at the fair.");
  CHECK(index.size() == 2);
  CHECK(index.contains(7));
  index.add(7, "A storm over Saltmere harbour."); // the same id with a new text
  CHECK(index.size() == 2);
  CHECK(index.search("Kellmouth", 5).empty());
  CHECK(ids(index.search("Saltmere", 5)) == std::vector<std::uint64_t>{7});
  CHECK(index.remove(7));
  CHECK_FALSE(index.remove(7));
  CHECK_FALSE(index.contains(7));
  CHECK(index.search("harbour", 5).empty());
  index.add(9, "Harbour lights at Saltmere.");
  CHECK(ids(index.search("harbour", 5)) == std::vector<std::uint64_t>{9});
  auto all = index.ids();
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::uint64_t>{8, 9});
}

TEST_CASE("lexical index: a summary adds the words its text lacks, once") {
  LexicalIndex index;
  index.add(1, "She crossed the square at noon.", "Natasha crosses the square.");
  index.add(2, "The square was empty at noon.");
  CHECK(ids(index.search("Natasha", 5)) == std::vector<std::uint64_t>{1});
  // "square" and "noon" are in both texts: the summary repeating them does not make 1 rank higher.
  auto hits = index.search("square noon", 2);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].score == doctest::Approx(hits[1].score).epsilon(0.2));
}

TEST_CASE("lexical index: a long query is ranked by its rarest words") {
  LexicalIndex index;
  std::string common, query;
  for (int w = 0; w < 100; ++w)
    common += " word" + std::to_string(w);
  for (std::uint64_t id = 0; id < 50; ++id)
    index.add(id, common + (id == 17 ? " Borodino" : ""));
  query = common + " Borodino"; // 101 distinct words, 100 of them in every document
  auto hits = index.search(query, 2);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].id == 17);
  CHECK(hits[0].score > hits[1].score);
}

TEST_CASE("lexical index: CJK text is searchable by characters and pairs") {
  LexicalIndex index;
  index.add(1, "孙悟空在花果山当了美猴王。");
  index.add(2, "唐僧骑着白马向西天走去。");
  index.add(3, "花园里开满了花。");
  auto hits = index.search("美猴王", 3);
  REQUIRE_FALSE(hits.empty());
  CHECK(hits[0].id == 1);
  CHECK(index.search("白马", 3).front().id == 2);
  auto terms = lexicalTerms("花果山");
  CHECK(terms.size() == 5); // three characters and two pairs
}

TEST_CASE("lexical index: searches run while documents are added and removed") {
  LexicalIndex index;
  for (std::uint64_t i = 0; i < 200; ++i)
    index.add(i, "common words and token" + std::to_string(i));
  std::atomic<bool> started{false}, stop{false};
  std::atomic<int> searches{0};
  std::thread reader([&] {
    do {
      CHECK(index.search("common token42", 5).size() <= 5);
      ++searches;
      started = true;
    } while (!stop);
  });
  while (!started)
    std::this_thread::yield();
  for (std::uint64_t i = 200; i < 2000; ++i) {
    index.add(i, "common words and token" + std::to_string(i));
    index.remove(i - 100);
  }
  stop = true;
  reader.join();
  CHECK(searches > 0);
  CHECK(index.size() == 200);
}

TEST_CASE("lexical index: Snowball stemming in the index's language, diacritics folded") {
  LexicalIndex english("English");
  CHECK(english.language() == "english");
  english.add(1, "He walked to the bridge at dawn.");
  english.add(2, "They rode through the forest.");
  CHECK(ids(english.search("walking", 5)) == std::vector<std::uint64_t>{1});
  CHECK(ids(english.search("Bridges", 5)) == std::vector<std::uint64_t>{1});
  english.add(3, "Zoë met the señor at the café.");
  CHECK(ids(english.search("zoe senor cafe", 5)) == std::vector<std::uint64_t>{3});

  LexicalIndex unstemmed; // no language: words only match as written
  unstemmed.add(1, "He walked to the bridge at dawn.");
  CHECK(unstemmed.search("walking", 5).empty());

  LexicalIndex french("French");
  french.add(1, "Les soldats marchaient vers la rivière.");
  CHECK(ids(french.search("soldat riviere", 5)) == std::vector<std::uint64_t>{1});
  CHECK(LexicalIndex("Chinese").language().empty()); // no Snowball algorithm: characters and pairs only

  CHECK(text::foldDiacritics("łódź") == "lodz");
  CHECK(text::foldDiacritics("straße") == "strasse");
  CHECK(text::foldDiacritics("œuvre") == "oeuvre");
  CHECK(text::foldDiacritics("ёлка") == "елка");
}

TEST_CASE("lexical index: switching the language forgets what was stemmed for the other") {
  LexicalIndex index("English");
  index.add(1, "He walked home.");
  CHECK_FALSE(index.setLanguage("english"));
  CHECK(index.setLanguage("German"));
  CHECK(index.size() == 0);
  CHECK(index.language() == "german");
}

TEST_CASE("lexical index: a neighbour's words carry a sentence cut from its paragraph") {
  LexicalIndex index("English");
  // Paragraph 2 lost the sentence naming the sleigh; paragraphs 1 and 3 around it still speak of it.
  index.setText(1, "The sleigh stood at the porch, its bells muffled in straw.");
  index.setText(2, "Natasha came down the stairs in her furs.");
  index.setText(3, "They drove off; the sleigh runners hissed on the snow.");
  index.setText(4, "In Petersburg, Anna Pavlovna's salon was full.");
  index.place(1, {0, 2, 0, 3});
  index.place(2, {1, 3, 0, 0});
  index.place(3, {2, 0, 1, 0});
  index.place(4, {0, 0, 0, 0}); // another chapter: no neighbours
  auto hits = index.search("The bells of the sleigh", 4);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].id == 1); // the paragraph holding both words first
  auto found = ids(hits);
  CHECK(std::find(found.begin(), found.end(), 2) != found.end()); // carried by its neighbours
  CHECK(index.search("Pavlovna", 4).size() == 1); // not carried across a chapter

  auto why = index.explain("the sleigh bells", 2);
  REQUIRE(why.size() == 3); // "the" is in paragraph 2 itself, "sleigh" in both neighbours, "bells" in the one before
  auto bells = std::find_if(why.begin(), why.end(), [](const auto &m) { return m.word == "bells"; });
  REQUIRE(bells != why.end());
  CHECK(bells->offsets == std::vector<int>{-1});
  auto sleigh = std::find_if(why.begin(), why.end(), [](const auto &m) { return m.word == "sleigh"; });
  REQUIRE(sleigh != why.end());
  CHECK(sleigh->offsets == std::vector<int>{-1, 1});
  CHECK(index.explain("sleigh", 99).empty());
}

TEST_CASE("lexical index: a document is placed again only when a neighbour's text changed") {
  LexicalIndex index;
  index.setText(1, "alpha");
  index.setText(2, "beta");
  index.setText(3, "gamma");
  index.place(2, {1, 3, 0, 0});
  CHECK(index.placedWith(2, {1, 3, 0, 0}));
  CHECK_FALSE(index.placedWith(2, {1, 0, 0, 0})); // other neighbours
  CHECK(index.hasText(3, "gamma"));
  index.setText(3, "delta"); // the neighbour's text changed
  CHECK_FALSE(index.hasText(3, "gamma"));
  CHECK_FALSE(index.placedWith(2, {1, 3, 0, 0}));
  index.place(2, {1, 3, 0, 0});
  CHECK(index.placedWith(2, {1, 3, 0, 0}));
  CHECK(ids(index.search("delta", 5)) == std::vector<std::uint64_t>{2});
  CHECK(index.search("gamma", 5).empty());
}

TEST_CASE("lexical index: serialised and read back, it answers the same, and bad bytes leave it empty") {
  LexicalIndex index("English");
  index.setText(1, "The sleigh stood at the porch.");
  index.setText(2, "Natasha came down the stairs.");
  index.place(1, {0, 2, 0, 0});
  index.place(2, {1, 0, 0, 0});
  const std::string bytes = index.serialise();
  LexicalIndex copy;
  REQUIRE(copy.deserialise(bytes));
  CHECK(copy.language() == "english");
  CHECK(copy.size() == 2);
  CHECK(ids(copy.search("sleighs", 5)) == ids(index.search("sleighs", 5)));
  CHECK(copy.placedWith(2, {1, 0, 0, 0}));
  CHECK(copy.placements() == 0); // the postings were read, not placed again
  const auto before = index.search("Natasha stairs sleigh", 5), after = copy.search("Natasha stairs sleigh", 5);
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    CHECK(after[i].id == before[i].id);
    CHECK(after[i].score == before[i].score);
  }
  // A document read back can be taken out and placed again like any other.
  CHECK(copy.remove(2));
  CHECK(ids(copy.search("Natasha", 5)) == std::vector<std::uint64_t>{1}); // via its neighbour's words
  copy.setText(2, "Natasha came down the stairs.");
  copy.place(2, {1, 0, 0, 0});
  copy.place(1, {0, 2, 0, 0});
  CHECK(ids(copy.search("Natasha sleigh", 5)) == ids(index.search("Natasha sleigh", 5)));
  CHECK_FALSE(copy.deserialise(bytes.substr(0, bytes.size() - 3)));
  CHECK(copy.size() == 0);
  CHECK_FALSE(copy.deserialise("not an index"));
}
