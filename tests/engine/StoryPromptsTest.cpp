// The recurrence's prompts and answer parsers: what each prompt holds, what an answer must be.
#include "engine/story/JsonFieldStream.h"
#include "engine/story/Language.h"
#include "engine/story/Prompts.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;

namespace {
StoryState story(std::string language = "English") {
  StoryState s;
  s.title = "The Salt Archive";
  s.genre = "mystery";
  s.language = std::move(language);
  s.outline = "OUTLINE";
  s.shortTermMemory = "MEMORY-TEXT";
  return s;
}
const std::string &userText(const PreparedRequest &p) { return p.request.messages.back().content; }
} // namespace

TEST_CASE("the step prompt holds the memory, the plan, the previous paragraph and the retrieved memories") {
  auto s = story();
  StepInput in;
  in.state = &s;
  in.plan = "PLAN-TEXT";
  in.recent = {{"OLDER-PARAGRAPH", "paragraph 1"}, {"PREVIOUS-PARAGRAPH", "paragraph 2"}};
  in.retrieved = {{"RETRIEVED-ONE", "paragraph 40"}};
  auto p = makeStepRequest(in, {});
  REQUIRE(p.ok());
  for (const char *needle : {"MEMORY-TEXT", "PLAN-TEXT", "PREVIOUS-PARAGRAPH", "OLDER-PARAGRAPH", "RETRIEVED-ONE", "OUTLINE"})
    CHECK_MESSAGE(userText(*p).find(needle) != std::string::npos, needle);
  CHECK(p->request.task == "step");
  CHECK(p->request.jsonSchema.find("\"shortTermMemory\"") != std::string::npos);
  CHECK(p->request.messages.front().content.find("English") != std::string::npos);
  REQUIRE(p->payload);
  CHECK(p->payload->plan == "PLAN-TEXT");
  CHECK(p->payload->budget.used > 0);
  CHECK(userText(*p).find("new character") == std::string::npos);
  in.inviteNewCharacter = true;
  CHECK(userText(*makeStepRequest(in, {})).find("new character") != std::string::npos);
}

TEST_CASE("the story's language is held in every prompt, never assumed") {
  auto s = story("French");
  StepInput in;
  in.state = &s;
  in.plan = "Marie ouvre la porte.";
  auto p = makeStepRequest(in, {});
  REQUIRE(p.ok());
  CHECK(p->request.messages.front().content.find("French") != std::string::npos);
  CHECK(p->request.messages.front().content.find("English") == std::string::npos);
  SelectInput sel;
  sel.state = &s;
  sel.plans = {"a", "b", "c"};
  CHECK(makeSelectRequest(sel, {})->request.messages.front().content.find("French") != std::string::npos);
  CHECK(makeSummarizeRequest({{"Un paragraphe.", ""}}, "French", {})->request.messages.front().content.find("French") !=
        std::string::npos);
}

TEST_CASE("interactive fiction asks for the second person and offers the reader's choices") {
  auto s = story();
  s.mode = StoryMode::InteractiveFiction;
  StepInput in;
  in.state = &s;
  in.plan = "Open the door.";
  auto p = makeStepRequest(in, {});
  REQUIRE(p.ok());
  CHECK(userText(*p).find("second person") != std::string::npos);
  CHECK(userText(*p).find("The reader's choice") != std::string::npos);
}

TEST_CASE("a step answer is validated: fields, three distinct plans, the language") {
  std::string good = R"({"paragraph":"She went in.","rationale":"r","shortTermMemory":"m","summary":"s",
                         "plans":["a","b","c"]})";
  auto a = parseStepAnswer(good, "English");
  REQUIRE(a.ok());
  CHECK(a->plans.size() == 3);
  CHECK_FALSE(parseStepAnswer(R"({"paragraph":"x","shortTermMemory":"m","summary":"s","plans":["a","a","b"]})", "English"));
  CHECK_FALSE(parseStepAnswer(R"({"paragraph":"","shortTermMemory":"m","summary":"s","plans":["a","b","c"]})", "English"));
  CHECK_FALSE(parseStepAnswer("not json", "English"));
  // An English story answered in Chinese is rejected with a reason the retry can use.
  auto leaked = parseStepAnswer(R"({"paragraph":"她走进了房间，看见桌上放着一本蓝色的账簿，封面上印着灯塔的标记。她没有碰它。",
      "rationale":"r","shortTermMemory":"m","summary":"s","plans":["a","b","c"]})", "English");
  REQUIRE_FALSE(leaked.ok());
  CHECK(leaked.error().message.find("English") != std::string::npos);
  // The request's validate hook is the same parser.
  auto s = story();
  StepInput in;
  in.state = &s;
  in.plan = "p";
  auto p = makeStepRequest(in, {});
  CHECK_FALSE(p->request.validate(good).has_value());
  CHECK(p->request.validate("{}").has_value());
}

TEST_CASE("select and summarize answers are checked against the request") {
  CHECK(parseSelectAnswer(R"({"choice":2,"reason":"why"})", 3)->choice == 1);
  CHECK_FALSE(parseSelectAnswer(R"({"choice":4,"reason":"why"})", 3));
  CHECK(parseSummarizeAnswer(R"({"summaries":["a","b"]})", 2)->size() == 2);
  CHECK_FALSE(parseSummarizeAnswer(R"({"summaries":["a"]})", 2));
}

TEST_CASE("language detection by script, then by function words") {
  CHECK(detectLanguage("The fog came into the harbour every evening and she climbed the stair to meet it.") == "English");
  CHECK(detectLanguage("她走进了房间，看见桌上放着一本蓝色的账簿。") == "Chinese");
  CHECK(detectLanguage("彼女は部屋に入って、青い帳簿を見つけた。") == "Japanese");
  CHECK(detectLanguage("Она вошла в комнату и увидела синюю книгу.") == "Russian");
  CHECK(detectLanguage("Elle est entrée dans la maison et le chat ne dormait pas dans la cuisine.") == "French");
  CHECK(detectLanguage("ok") == "English");
}

TEST_CASE("the paragraph field streams out of a JSON answer split anywhere") {
  std::string answer = R"({"paragraph": "She said \"no\".\nThen \u00e9t\u00e9 \ud83d\ude00 came.", "summary": "x"})";
  for (std::size_t piece = 1; piece <= 9; ++piece) {
    JsonFieldStream stream("paragraph");
    std::string out;
    for (std::size_t i = 0; i < answer.size(); i += piece)
      out += stream.feed(std::string_view(answer).substr(i, piece));
    CHECK(out == "She said \"no\".\nThen été 😀 came.");
    CHECK(stream.done());
  }
}
