// The model's "Extract bible entries": the prompt (chapter under the budget, the bible's names) and the parser's
// checks on canned answers (good, broken JSON, invented or known names, reasoning before the JSON).
#include "engine/bible/ExtractPrompt.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;

namespace {

const std::string kChapter = "Mara Vell climbed to the lamp room. Tobin waited at the Harbour of Sighs, "
                             "where Mara's brother had drowned. Mara lit the lamp.\n";

std::string userText(const ChatRequest &r) {
  std::string out;
  for (const auto &m : r.messages)
    out += m.content + "\n";
  return out;
}

} // namespace

TEST_CASE("extract prompt: the chapter and the bible's names, asking for entries as JSON") {
  ExtractRequestInput in;
  in.chapterName = "01-lamp.md";
  in.chapterText = kChapter;
  in.knownNames = {"Ana", "Anya"};
  auto r = makeExtractRequest(in);
  REQUIRE(r);
  CHECK_FALSE(r->cut);
  CHECK(r->sentBytes == kChapter.size());
  CHECK(r->request.task == "extract");
  CHECK(r->request.schemaName == "bible_entries");
  const std::string prompt = userText(r->request);
  CHECK(prompt.find("Tobin waited") != std::string::npos);
  CHECK(prompt.find("Ana, Anya") != std::string::npos);
  CHECK(prompt.find("\"entries\"") != std::string::npos);
}

TEST_CASE("extract prompt: a chapter over the budget is cut at its end, and the prompt says so") {
  ExtractRequestInput in;
  in.chapterName = "long.md";
  for (int i = 0; i < 2000; ++i)
    in.chapterText += "Mara walked along the long grey wall of the harbour again. ";
  in.contextTokens = 2048;
  in.answerTokens = 600;
  auto r = makeExtractRequest(in);
  REQUIRE(r);
  CHECK(r->cut);
  CHECK(r->sentBytes < in.chapterText.size());
  CHECK(userText(r->request).find("only its beginning") != std::string::npos);
  in.contextTokens = 700;
  CHECK_FALSE(makeExtractRequest(in)); // no room for a chapter at all: said, not sent
}

TEST_CASE("extract answer: names checked against the chapter and the bible, types, aliases and descriptions") {
  const std::string answer = R"({"entries":[
    {"name":"Mara Vell","type":"Character","aliases":["Mara","Maz"],"description":"The keeper. She lights the lamp. She has a brother."},
    {"name":"Harbour of Sighs","type":"landmark","aliases":[],"description":"# Where Mara's brother drowned."},
    {"name":"Captain Orlov","type":"character","aliases":[],"description":"Invented."},
    {"name":"Ana","type":"character","aliases":[],"description":"Known."},
    {"name":"mara vell","type":"character","aliases":[],"description":"Again."},
    {"name":"Tobin","type":"character","aliases":["Anya"],"description":"Waits."}
  ]})";
  auto parsed = parseExtractAnswer(answer, kChapter, {"Ana", "Anya"}, 10);
  REQUIRE(parsed);
  REQUIRE(parsed->entries.size() == 3);
  CHECK(parsed->dropped == 3); // invented, known, repeated
  const auto &mara = parsed->entries[0];
  CHECK(mara.name == "Mara Vell");
  CHECK(mara.type == BibleEntryType::Character);
  CHECK(mara.aliases == std::vector<std::string>{"Mara"}); // "Maz" is not in the chapter
  CHECK(mara.description == "The keeper. She lights the lamp.");
  CHECK(parsed->entries[1].type == BibleEntryType::Other); // unknown type
  CHECK(parsed->entries[1].description == "Where Mara's brother drowned.");
  CHECK(parsed->entries[2].aliases.empty()); // "Anya" is not in the chapter (and is the bible's)

  // An alias the chapter uses and the bible has: the entry is the bible's already.
  auto known = parseExtractAnswer(R"({"entries":[{"name":"Mara Vell","type":"character","aliases":["Mara"],"description":""}]})",
                                  kChapter, {"Mara"}, 10);
  REQUIRE(known);
  CHECK(known->entries.empty());
  CHECK(known->dropped == 1);

  auto capped = parseExtractAnswer(answer, kChapter, {}, 1);
  REQUIRE(capped);
  CHECK(capped->entries.size() == 1);
}

TEST_CASE("extract answer: reasoning before the JSON is skipped, broken JSON is a bad answer") {
  auto thinking = parseExtractAnswer(
      "<think>Tobin might be a place... {\"entries\": []}</think>\n```json\n{\"entries\":[{\"name\":\"Tobin\","
      "\"type\":\"character\",\"aliases\":[],\"description\":\"He waits at the harbour.\"}]}\n```",
      kChapter, {}, 10);
  REQUIRE(thinking);
  REQUIRE(thinking->entries.size() == 1);
  CHECK(thinking->entries[0].name == "Tobin");

  auto broken = parseExtractAnswer("{\"entries\": [{\"name\": \"Tobin\"", kChapter, {}, 10);
  CHECK_FALSE(broken);
  CHECK(broken.error().kind == ErrorKind::BadAnswer);
  CHECK_FALSE(parseExtractAnswer("{\"names\": []}", kChapter, {}, 10));
  CHECK_FALSE(parseExtractAnswer("{\"entries\": [\"Tobin\"]}", kChapter, {}, 10));
}
