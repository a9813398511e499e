// The results of recurrent's commands and custom requests serialise to the shapes docs/LSP.md promises.
#include "protocol/Results.h"

#include <doctest/doctest.h>

using namespace recurrent::protocol;

TEST_CASE("command results have the documented fields and no others") {
  CHECK(json(NewStoryResult{"The Harbour"}) == json::parse(R"({"title": "The Harbour"})"));
  CHECK(json(AdoptResult{12, {"a", "b", "c"}}) == json::parse(R"({"paragraphs": 12, "plans": ["a", "b", "c"]})"));
  CHECK(json(NewChapterResult{"file:///b/03-x.md", "03-x.md"}) ==
        json::parse(R"({"uri": "file:///b/03-x.md", "file": "03-x.md"})"));
  CHECK(json(ContinueResult{4, 180}) == json::parse(R"({"step": 4, "words": 180})"));
  CHECK(json(PlansResult{{"p"}}) == json::parse(R"({"plans": ["p"]})"));
  CHECK(json(StepResult{3}) == json::parse(R"({"step": 3})"));
  CHECK(json(ExtractResult{}) == json::parse(R"({"added": [], "files": []})"));
}

TEST_CASE("a check's result says offline only when no model was asked") {
  CheckResult model{2, 10, 7, 3, 1, true, std::nullopt};
  CHECK(json(model) == json::parse(R"({"findings": 2, "paragraphs": 10, "fromCache": 7, "calls": 3, "dropped": 1,
                                       "cancelled": true})"));
  CheckResult offline;
  offline.paragraphs = 40;
  offline.offline = true;
  CHECK(json(offline)["offline"] == true);
  CHECK(json(offline)["calls"] == 0);
}

TEST_CASE("a file that is not a story answers the empty state, with bibleFile") {
  StoryStateResult s;
  s.counts = {3, 0, 120, 1};
  s.bibleFile = true;
  s.title = "ignored while not adopted";
  CHECK(json(s) == json::parse(R"({"adopted": false, "step": 0, "plans": [], "shortTermMemory": "",
                                   "counts": {"paragraphs": 3, "memoryEntries": 0, "words": 120, "chapters": 1},
                                   "busy": false, "indexing": false, "readOnly": false, "bibleFile": true})"));
}

TEST_CASE("an adopted story's state carries the story, its book, and a read-only reason only when read-only") {
  StoryStateResult s;
  s.adopted = true;
  s.title = "T";
  s.mode = "novel";
  s.step = 2;
  s.plans = {"p1"};
  s.provider = "offline";
  s.statePath = "/b/.recurrent/book";
  s.book = BookView{"/b", true, {{"file:///b/01.md", "01.md", "One", 4, 90, std::nullopt}}};
  json j = s;
  CHECK(j["title"] == "T");
  CHECK(j["step"] == 2);
  CHECK(j["book"] == json::parse(R"({"root": "/b", "folder": true, "chapters": [
                                      {"uri": "file:///b/01.md", "file": "01.md", "title": "One", "paragraphs": 4,
                                       "words": 90}]})"));
  CHECK_FALSE(j.contains("readOnlyReason"));
  for (const char *field : {"genre", "language", "rationale", "outline", "model", "offline", "statePath"})
    CHECK_MESSAGE(j.contains(field), field);
  s.readOnly = true;
  s.readOnlyReason = "another recurrent writes this book";
  CHECK(json(s)["readOnlyReason"] == "another recurrent writes this book");
}

TEST_CASE("the book outline adds each chapter's summary") {
  BookChapterView c{"file:///b/02.md", "02.md", "Two", 1, 5, std::string("They sailed.")};
  CHECK(json(c)["summary"] == "They sailed.");
}

TEST_CASE("the last prompt leaves out what it did not have") {
  LastPromptResult r;
  r.task = "step";
  r.messages = {{"system", "s"}, {"user", "u"}};
  json plain = r;
  CHECK(plain["messages"] == json::parse(R"([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}])"));
  CHECK_FALSE(plain.contains("reasoning"));
  CHECK_FALSE(plain.contains("budget"));
  CHECK_FALSE(plain.contains("bible"));
  r.reasoning = "thinking";
  r.budget = json{{"limit", 8192}};
  r.bible = PromptBible{{{"Ana", "always", 40, std::nullopt}}, {{"Boris", "Boris in paragraph 3", std::nullopt, "the prompt was full"}}};
  json full = r;
  CHECK(full["reasoning"] == "thinking");
  CHECK(full["budget"]["limit"] == 8192);
  CHECK(full["bible"] == json::parse(R"({"included": [{"name": "Ana", "reason": "always", "tokens": 40}],
                                         "leftOut": [{"name": "Boris", "reason": "Boris in paragraph 3",
                                                      "why": "the prompt was full"}]})"));
}

TEST_CASE("bibleAt lists each entry as true at the point") {
  BibleEntryAt e;
  e.name = "Ana";
  e.type = "character";
  e.include = "mentioned";
  e.aliases = {"Anya"};
  e.details = {{"eyes", "grey"}};
  e.facts = {{"scar on her left cheek", "02.md", 14}};
  e.mentions = 9;
  e.location = {"file:///b/bible/ana.md", {{0, 0}, {0, 5}}};
  BibleAtResult r{"/b/bible", {"Ana"}, {e}};
  json j = r;
  CHECK(j["folder"] == "/b/bible");
  CHECK(j["here"] == json::parse(R"(["Ana"])"));
  CHECK(j["entries"][0]["facts"] == json::parse(R"([{"text": "scar on her left cheek", "file": "02.md", "line": 14}])"));
  CHECK(j["entries"][0]["details"] == json::parse(R"([{"key": "eyes", "value": "grey"}])"));
  CHECK_FALSE(j["entries"][0].contains("first"));
  r.entries[0].first = Location{"file:///b/01.md", {{3, 4}, {3, 7}}};
  CHECK(json(r)["entries"][0]["first"]["range"]["start"]["character"] == 4);
}

TEST_CASE("the status notification names the model only when it knows it") {
  CHECK(json(StatusParams{"file:///a.md", "idle", {}, {}, {}, {}, {}}) ==
        json::parse(R"({"uri": "file:///a.md", "state": "idle"})"));
  StatusParams p{"file:///a.md", "writing", "openai", "gpt", "updating memory and plans", 12, 3};
  CHECK(json(p) == json::parse(R"({"uri": "file:///a.md", "state": "writing", "provider": "openai", "model": "gpt",
                                   "message": "updating memory and plans", "memoryEntries": 12, "step": 3})"));
}
