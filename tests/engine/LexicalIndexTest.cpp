#include "engine/memory/LexicalIndex.h"

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
  auto hits = index.search("Natasha and the soldiers", 3);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].id == 2);
  CHECK(hits[0].score > hits[1].score);
  CHECK(hits[1].score >= hits[2].score);
  CHECK(index.search("Natasha", 5).size() == 1);
  CHECK(index.search("NATASHA", 5).front().id == 2); // case does not matter
}

TEST_CASE("lexical index: stop words, possessives, empty queries") {
  LexicalIndex index;
  index.add(1, "Anna's letter came from the city.");
  index.add(2, "It was the end of it all.");
  CHECK(index.search("the of it was", 5).empty()); // only stop words: nothing to rank by
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
