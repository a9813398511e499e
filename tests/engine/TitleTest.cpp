// The story's title and genre: the writer's own H1 is kept whatever the model answers, and a title or genre
// longer than a line is invalid output that the model is asked to redo.
#include "engine/llm/OpenAiChatModel.h"
#include "engine/manuscript/Title.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/story/Prompts.h"
#include "engine/story/StorySession.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <mutex>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::FakeResponse;
using nlohmann::json;

namespace {

json adoption(std::string title, std::string genre) {
  return {{"title", std::move(title)},
          {"genre", std::move(genre)},
          {"synopsis", "A keeper watches the sea."},
          {"outline", "A ship will come."},
          {"rationale", "the ship matters"},
          {"shortTermMemory", "The keeper watches."},
          {"plans", {"A ship comes.", "The keeper sleeps.", "A storm rises."}}};
}

/// Adopts `text` with a fake model that gives `answers` to the adoption task in turn (the last one again after).
struct Adoption {
  FakeLlmServer server;
  std::mutex mutex;
  std::vector<json> answers;
  int adoptionRequests = 0;
  std::string lastAdoptionPrompt;
  test::TempDir dir;
  std::unique_ptr<StorySession> session;

  Status adopt(const std::string &text) {
    server.setHandler([this](const FakeRequest &r) {
      std::lock_guard lock(mutex);
      std::string schema = r.json["response_format"]["json_schema"]["name"].get<std::string>();
      if (schema == "paragraph_summaries") { // a summarizer that asks the model: one sentence per [n]
        std::string user = r.json["messages"].back()["content"].get<std::string>();
        json list = json::array();
        for (auto at = user.find("\n["); at != std::string::npos; at = user.find("\n[", at + 1))
          list.push_back("a summary");
        return recurrent::test::chatStream(json{{"summaries", list}}.dump());
      }
      if (schema != "story_adoption")
        return FakeResponse::error(400, "unexpected schema " + schema);
      std::size_t i = std::min<std::size_t>(adoptionRequests++, answers.size() - 1);
      lastAdoptionPrompt = r.json["messages"].dump();
      return recurrent::test::chatStream(answers[i].dump());
    });
    auto file = dir / "novel.md";
    REQUIRE(writeFileAtomically(file, text).ok());
    BackendConfig c;
    c.provider = "openai";
    c.baseUrl = server.baseUrl();
    c.model = "fake-model";
    c.backoffBaseSeconds = 0.01;
    c.backoffMaxSeconds = 0.05;
    auto opened = StorySession::open(file, std::make_shared<OpenAiChatModel>(c), std::make_shared<HashedEmbedder>(),
                                     std::make_shared<ExtractiveSummarizer>(), {});
    REQUIRE(opened.ok());
    session = std::move(opened.value());
    return session->adopt(Manuscript(text), "", "", StoryMode::Novel, {});
  }
};

const std::string kBody = "The keeper lit the lamp. The fog came in from the sea.\n\nA ship passed the rocks at night.\n";

} // namespace

TEST_CASE("the writer's title is the manuscript's one H1 that is not a chapter heading") {
  CHECK(writersTitle(Manuscript("# The Salt Archive\n\n" + kBody)) == "The Salt Archive");
  CHECK(writersTitle(Manuscript("# The Salt Archive\n\n## One\n\n" + kBody)) == "The Salt Archive");
  CHECK_FALSE(writersTitle(Manuscript(kBody)));
  CHECK_FALSE(writersTitle(Manuscript("# Chapter One\n\n" + kBody)));
  CHECK_FALSE(writersTitle(Manuscript("CHAPTER I\n\n" + kBody)));
  CHECK_FALSE(writersTitle(Manuscript("## A Part\n\n" + kBody)));
  // Several H1s are the chapters, not a title.
  CHECK_FALSE(writersTitle(Manuscript("# The Harbour\n\n" + kBody + "\n# The Storm\n\nIt rained.\n")));
}

TEST_CASE("a title or genre longer than a line is an invalid answer, with a reason for the retry") {
  std::string plans = R"("plans":["a","b","c"])";
  auto adopt = [&](std::string title, std::string genre) {
    return parseAdoptAnswer(adoption(std::move(title), std::move(genre)).dump(), "English");
  };
  CHECK(adopt("The Salt Archive", "mystery").ok());
  auto twoLines = adopt("The Salt Archive", "mystery\nwith a keeper who watches the sea");
  REQUIRE_FALSE(twoLines.ok());
  CHECK(twoLines.error().message.find("\"genre\" must be one line") != std::string::npos);
  CHECK_FALSE(adopt(std::string(101, 'x'), "mystery").ok());
  CHECK(adopt(std::string(100, 'x'), "mystery").ok());
  // A genre written as a list is several lines too.
  json listed = adoption("T", "");
  listed["genre"] = {"mystery", "romance"};
  CHECK_FALSE(parseAdoptAnswer(listed.dump(), "English").ok());
  // The writer's title replaces whatever the model wrote there, even a bad one.
  auto kept = parseAdoptAnswer(adoption("A Paragraph\nof a title", "mystery").dump(), "English", "The Salt Archive");
  REQUIRE(kept.ok());
  CHECK(kept->title == "The Salt Archive");
  // The opening's title is the new manuscript's H1: one line too.
  std::string init = R"({"title":"Two\nlines","outline":"o","paragraphs":["p"],"shortTermMemory":"m",)" + plans + "}";
  CHECK_FALSE(parseInitAnswer(init, "English").ok());
}

TEST_CASE("adopting keeps the writer's H1 as the title whatever the model calls the book") {
  Adoption a;
  a.answers = {adoption("The Fog Over the Rocks", "mystery")};
  auto adopted = a.adopt("# The Keeper's Daughter\n\n" + kBody);
  REQUIRE_MESSAGE(adopted.ok(), adopted.error().message);
  CHECK(a.session->state().title == "The Keeper's Daughter");
  CHECK(a.adoptionRequests == 1);
  // The prompt says the title is the writer's.
  CHECK(a.lastAdoptionPrompt.find("own title, \\\"The Keeper's Daughter\\\", unchanged") != std::string::npos);
}

TEST_CASE("adopting retries an answer whose genre runs over a line, and takes the model's title without an H1") {
  Adoption a;
  a.answers = {adoption("The Fog", "A mystery about a keeper.\nShe watches the sea, and the ships, and the fog."),
               adoption("The Fog", "maritime mystery")};
  auto adopted = a.adopt("CHAPTER I\n\n" + kBody);
  REQUIRE_MESSAGE(adopted.ok(), adopted.error().message);
  CHECK(a.adoptionRequests == 2);
  CHECK(a.session->state().genre == "maritime mystery");
  CHECK(a.session->state().title == "The Fog");
  // The retry told the model what was wrong.
  CHECK(a.lastAdoptionPrompt.find("must be one line") != std::string::npos);
}
