// The offline stand-in answers every task in its schema's JSON, from the manuscript's own material.
#include "engine/story/OfflineChatModel.h"
#include "engine/story/OfflineText.h"
#include "engine/story/Prompts.h"
#include "engine/story/opening/BundledOpening.h"

#include <doctest/doctest.h>

#include <set>

using namespace recurrent;
using namespace recurrent::engine;

TEST_CASE("offline init from a topic gives a story, validated like a model's answer") {
  OfflineChatModel model;
  InitInput in;
  in.genre = "science fiction";
  in.topic = "Aliens";
  in.language = "English";
  in.seed = 7;
  auto p = makeInitRequest(in, {});
  REQUIRE(p.ok());
  auto r = model.chat(p->request, {});
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->model == "offline");
  auto a = parseInitAnswer(r->text, "English");
  REQUIRE(a.ok());
  CHECK(a->title == "The Aliens");
  CHECK(a->paragraphs.size() == 3);
  CHECK(a->plans.size() == 3);
  CHECK(a->paragraphs[0].find("aliens") != std::string::npos);

  in.language = "Chinese";
  auto zh = model.chat(makeInitRequest(in, {})->request, {});
  REQUIRE_FALSE(zh.ok());
  CHECK(zh.error().message.find("--from") != std::string::npos);
}

TEST_CASE("offline steps continue in the manuscript's voice, with its names, without repeating it") {
  OfflineChatModel model;
  std::string corpus(bundledOpening().markdown);
  auto paragraphs = offline::proseParagraphs(corpus);
  StoryState s;
  s.title = "The Salt Archive";
  s.language = "English";
  s.shortTermMemory = "Mara saw a light in the customs house.";
  std::set<std::string> corpusSentences;
  for (const auto &p : paragraphs)
    for (const auto &sentence : offline::splitSentences(p))
      corpusSentences.insert(sentence);
  std::string plan = "Mara goes to the customs house at night with the ledger.";
  for (int step = 0; step < 6; ++step) {
    StepInput in;
    in.state = &s;
    in.plan = plan;
    in.recent = {{paragraphs.back(), "last"}};
    in.corpus = std::make_shared<const std::string>(corpus);
    in.seed = 100 + step;
    auto p = makeStepRequest(in, {});
    REQUIRE(p.ok());
    std::string streamed;
    ChatCallbacks cb;
    cb.onDelta = [&](std::string_view d) { streamed += d; };
    auto r = model.chat(p->request, {}, cb);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(streamed == r->text);
    auto a = parseStepAnswer(r->text, "English");
    REQUIRE(a.ok());
    auto sentences = offline::splitSentences(a->paragraph);
    CHECK(sentences.size() >= 4);
    for (const auto &sentence : sentences) {
      // Real sentences: capitalised or quoted start, terminal punctuation, a sane length.
      CHECK((std::isupper(static_cast<unsigned char>(sentence[0])) || sentence[0] == '"'));
      char last = sentence.back();
      CHECK((last == '.' || last == '!' || last == '?' || last == '"'));
      CHECK(offline::countWords(sentence) <= 45);
    }
    // Not a recital: most sentences are new combinations.
    int copied = 0;
    for (const auto &sentence : sentences)
      copied += corpusSentences.count(sentence) ? 1 : 0;
    CHECK(copied * 2 <= static_cast<int>(sentences.size()));
    // The story's own names and the memory/plans follow the new paragraph.
    bool named = false;
    for (const char *name : {"Mara", "Tobias", "Ansel", "Corvin", "Bett", "Pell"})
      named |= a->paragraph.find(name) != std::string::npos;
    CHECK(named);
    CHECK(a->shortTermMemory.find(a->summary) != std::string::npos);
    CHECK(a->paragraph.find("offline") == std::string::npos); // the prose carries no marker
    corpus += "\n" + a->paragraph + "\n";
    paragraphs.push_back(a->paragraph);
    s.shortTermMemory = a->shortTermMemory;
    plan = a->plans[static_cast<std::size_t>(step) % 3];
  }
}

TEST_CASE("offline select, plans and summaries answer in their schemas") {
  OfflineChatModel model;
  StoryState s;
  s.language = "English";
  s.shortTermMemory = "Mara found the ledger in the boat.";
  SelectInput sel;
  sel.state = &s;
  sel.plans = {"The storm breaks over the sea.", "Mara opens the ledger from the boat.", "A dog barks."};
  sel.seed = 3;
  auto chosen = parseSelectAnswer(model.chat(makeSelectRequest(sel, {})->request, {})->text, 3);
  REQUIRE(chosen.ok());
  CHECK(chosen->choice == 1);

  auto sum = makeSummarizeRequest({{"Mara walked to the north steps. The boat was old and patched.", ""},
                                   {"Tobias stood up so quickly that his chair scraped the floor.", ""}},
                                  "English", {});
  auto summaries = parseSummarizeAnswer(model.chat(sum->request, {})->text, 2);
  REQUIRE(summaries.ok());
  CHECK((*summaries)[1].find("Tobias") != std::string::npos);

  ChatRequest bare;
  bare.task = "step";
  CHECK_FALSE(model.chat(bare, {}).ok()); // no payload: a clear error, not a crash
}

TEST_CASE("names and keywords come from the story") {
  std::string text(bundledOpening().markdown);
  auto n = offline::names(text, 4);
  REQUIRE_FALSE(n.empty());
  CHECK(n[0] == "Mara");
  for (const auto &name : n)
    CHECK(name != "Reach");
  auto k = offline::keywords(text, 5);
  CHECK(std::find(k.begin(), k.end(), "customs house") != k.end());
}
