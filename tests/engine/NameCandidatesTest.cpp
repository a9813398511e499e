// "Extract bible entries" offline: a chapter's proper names by frequency, never a sentence's first word,
// a common word, a heading, a comment or a name the bible already has.
#include "engine/bible/NameCandidates.h"

#include <doctest/doctest.h>

using namespace recurrent::engine;

namespace {

const std::string kChapter = "# The Harbour Master\n\n"
                             "Tobin met Mara at the quay. Later Mara saw Tobin's boat, and Mara waved.\n\n"
                             "The Gull was Ana's. “Where is Tobin?” asked Mara.\n\n"
                             "<!-- plan: Kestrel arrives -->\n\n"
                             "Mr. Darcy came. ANA was painted. Yesterday it rained on Mr. Darcy.\n";

const auto kNone = [](std::string_view, std::size_t, std::size_t) { return false; };

std::vector<std::pair<std::string, std::uint32_t>> names(const std::vector<NameCandidate> &candidates) {
  std::vector<std::pair<std::string, std::uint32_t>> out;
  for (const auto &c : candidates)
    out.emplace_back(c.name, c.count);
  return out;
}

} // namespace

TEST_CASE("name candidates: names used inside sentences, by frequency, without what the bible knows") {
  auto dictionary = continuity::NameDictionary::fromWords({"the", "gull", "later", "where", "is", "yesterday"});
  auto known = [](std::string_view word, std::size_t, std::size_t) { return word == "Ana"; };
  auto found = nameCandidates(kChapter, &dictionary, known, 10);
  // Tobin's first use opens a sentence; his other two do not, so all three count. Darcy follows a title's
  // period, and the title is no name. Gull is a common word, Kestrel sits in a comment, Harbour in a
  // heading, ANA is in capitals.
  CHECK(names(found) == std::vector<std::pair<std::string, std::uint32_t>>{{"Mara", 4}, {"Tobin", 3}, {"Darcy", 2}});
  CHECK(kChapter.substr(found[1].first, 5) == "Tobin");
  CHECK(names(nameCandidates(kChapter, &dictionary, known, 2)).size() == 2);
}

TEST_CASE("name candidates: without a word list, a capital inside a sentence is enough, a first word never") {
  auto none = [](std::string_view, std::size_t, std::size_t) { return false; };
  auto found = names(nameCandidates(kChapter, nullptr, none, 10));
  CHECK(std::find(found.begin(), found.end(), std::make_pair(std::string("Gull"), std::uint32_t(1))) != found.end());
  CHECK(std::find(found.begin(), found.end(), std::make_pair(std::string("Ana"), std::uint32_t(1))) != found.end());
  for (const auto &[name, count] : found) {
    CHECK(name != "Later");
    CHECK(name != "Where");
    CHECK(name != "Yesterday");
    CHECK(name != "Kestrel");
  }
}

TEST_CASE("name candidates: capitalised words one space apart are one name, a title may lead it") {
  auto dictionary = continuity::NameDictionary::fromWords({"the", "lady", "said", "then", "and", "came", "in", "later"});
  auto none = [](std::string_view, std::size_t, std::size_t) { return false; };
  const std::string text = "Anna Pavlovna smiled. Then Anna Pavlovna's guests came, and Lady Catherine said so.\n\n"
                           "The Lady came in. Later Anna stood, and Lady Catherine came.\n";
  auto candidates = nameCandidates(text, &dictionary, none, 10);
  // Anna alone is Anna Pavlovna's first name: her alias, counted with her.
  CHECK(names(candidates) == std::vector<std::pair<std::string, std::uint32_t>>{{"Anna Pavlovna", 3}, {"Lady Catherine", 2}});
  CHECK(candidates[0].aliases == std::vector<std::string>{"Anna"});
  CHECK(text.substr(candidates[0].first, 13) == "Anna Pavlovna");
  CHECK(candidates[1].aliases.empty());
  // A known word in the run: the others are counted alone (the bible knows Anna, not Pavlovna).
  auto anna = [](std::string_view word, std::size_t, std::size_t) { return word == "Anna"; };
  auto withAnna = names(nameCandidates(text, &dictionary, anna, 10));
  CHECK(withAnna == std::vector<std::pair<std::string, std::uint32_t>>{{"Pavlovna", 2}, {"Lady Catherine", 2}});
}

TEST_CASE("name candidates: a lone first name folds into the one longer name it starts, never into one of two") {
  auto dictionary = continuity::NameDictionary::fromWords({"the", "then", "and", "later", "saw", "she"});
  const std::string text = "The boat was Mirelda Vosk's. Later Mirelda waved, and Mirelda smiled.\n\n"
                           "Mirelda sang. Then Tobin saw Mirelda Vosk again, and Tobin Hale waved.\n";
  auto found = nameCandidates(text, &dictionary, kNone, 10);
  // Mirelda: twice inside a sentence and once opening one, all three hers; Tobin is Tobin Hale's the same way.
  CHECK(names(found) == std::vector<std::pair<std::string, std::uint32_t>>{{"Mirelda Vosk", 5}, {"Tobin Hale", 2}});
  CHECK(found[0].aliases == std::vector<std::string>{"Mirelda"});
  CHECK(found[1].aliases == std::vector<std::string>{"Tobin"});

  // Two longer names start with Anna: which one a lone Anna means, the text does not say. She stays a
  // candidate of her own, and neither longer name gets her as an alias or her count.
  const std::string two = "Then Anna Pavlovna came, and Anna Mikhaylovna came, and Anna sat. Later Anna went.\n";
  auto ambiguous = nameCandidates(two, &dictionary, kNone, 10);
  CHECK(names(ambiguous) == std::vector<std::pair<std::string, std::uint32_t>>{
                                {"Anna", 2}, {"Anna Pavlovna", 1}, {"Anna Mikhaylovna", 1}});
  for (const auto &c : ambiguous)
    CHECK(c.aliases.empty());

  // A lone word only ever seen opening a sentence is no candidate, so it becomes no alias either; a word in
  // the middle of the longer name is not its first name.
  const std::string starts = "Then Mirelda Vosk came.\n\nMirelda laughed. Later Vosk went.\n";
  auto onlyStarts = nameCandidates(starts, &dictionary, kNone, 10);
  CHECK(names(onlyStarts) == std::vector<std::pair<std::string, std::uint32_t>>{{"Mirelda Vosk", 1}, {"Vosk", 1}});
  CHECK(onlyStarts[0].aliases.empty());
}
