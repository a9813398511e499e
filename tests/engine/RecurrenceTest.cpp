// The recurrence over 50 steps against the fake OpenAI-compatible server: what each prompt
// holds, a writer's edit reaching the next prompt, nothing lost or duplicated, the budget held.
#include "engine/llm/OpenAiChatModel.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/story/StorySession.h"
#include "engine/story/TokenBudget.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <regex>

#include <sys/stat.h>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::FakeResponse;
using nlohmann::json;

namespace {

const std::regex kItemMarker(R"(\[\d+\])");

/// Filler so each paragraph costs a few hundred tokens: the budget has to trim.
std::string filler(int n, int words) {
  static const char *vocabulary[] = {"harbour", "lantern", "ledger", "tide", "stair", "window", "rope", "signal",
                                     "bell", "quay", "gull", "salt", "boat", "chain", "door", "street"};
  std::string s;
  for (int i = 0; i < words; ++i)
    s += std::string(i ? " " : "") + vocabulary[(n * 7 + i * 3) % 16];
  return s;
}

/// A fake author: answers every task with valid JSON built from the request, with markers
/// that let the test see which step wrote what.
struct FakeAuthor {
  std::mutex mutex;
  int steps = 0;
  std::vector<std::string> stepPrompts; ///< the user message of each step request
  std::vector<std::vector<std::string>> stepMessages;

  FakeResponse operator()(const FakeRequest &r) {
    std::lock_guard lock(mutex);
    if (r.path != "/v1/chat/completions")
      return FakeResponse::error(404, "no such path");
    std::string schema = r.json["response_format"]["json_schema"]["name"].get<std::string>();
    std::string user = r.json["messages"].back()["content"].get<std::string>();
    json answer;
    if (schema == "story_step") {
      int n = ++steps;
      stepPrompts.push_back(user);
      std::vector<std::string> contents;
      for (const auto &m : r.json["messages"])
        contents.push_back(m["content"].get<std::string>());
      stepMessages.push_back(contents);
      // Echo the plan's first word so retrieval by plan has something to find.
      // Every tenth paragraph is far too long, so the prompts after it must be trimmed.
      answer = {{"paragraph", "PARA-" + std::to_string(n) + " begins. The keeper climbs. " +
                                  filler(n, n % 10 == 5 ? 3000 : 300) + "."},
                {"rationale", "dropped the old, added step " + std::to_string(n)},
                {"shortTermMemory", "MEM-" + std::to_string(n) + " the keeper has climbed " + std::to_string(n) + " times."},
                {"summary", "SUMMARY-" + std::to_string(n) + " the keeper climbs with the " + filler(n, 2) + "."},
                {"plans", {"PLAN-" + std::to_string(n) + "-A follow the " + filler(n + 1, 1),
                           "PLAN-" + std::to_string(n) + "-B search the " + filler(n + 2, 1),
                           "PLAN-" + std::to_string(n) + "-C wait by the " + filler(n + 3, 1)}}};
    } else if (schema == "story_opening") {
      answer = {{"title", "Test Story"},
                {"outline", "A keeper and a lighthouse."},
                {"paragraphs", {"OPEN-1 The keeper lights the lamp.", "OPEN-2 A ship passes.", "OPEN-3 The fog comes."}},
                {"shortTermMemory", "MEM-0 the keeper lit the lamp."},
                {"plans", {"PLAN-0-A climb the stair", "PLAN-0-B watch the ship", "PLAN-0-C sleep"}}};
    } else if (schema == "paragraph_summaries") {
      int n = static_cast<int>(std::distance(std::sregex_iterator(user.begin(), user.end(), kItemMarker),
                                             std::sregex_iterator()));
      json list = json::array();
      for (int i = 0; i < n; ++i)
        list.push_back("a summary of paragraph " + std::to_string(i + 1));
      answer = {{"summaries", list}};
    } else if (schema == "story_adoption") {
      answer = {{"title", "A Book"},
                {"genre", "mystery"},
                {"synopsis", "SYNOPSIS a keeper and a ship."},
                {"outline", "The ship will wreck."},
                {"rationale", "the ship matters most"},
                {"shortTermMemory", "The keeper watches."},
                {"plans", {"The ship runs aground.", "The keeper sleeps.", "A storm rises."}}};
    } else if (schema == "story_plans") {
      answer = {{"plans", {"FRESH-1", "FRESH-2", "FRESH-3"}}};
    } else if (schema == "plan_choice") {
      answer = {{"choice", 2}, {"reason", "the second is the most interesting"}};
    } else {
      return FakeResponse::error(400, "unexpected schema " + schema);
    }
    return recurrent::test::chatStream(answer.dump());
  }
};

BackendConfig configFor(const FakeLlmServer &server) {
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = server.baseUrl();
  c.model = "fake-model";
  c.backoffBaseSeconds = 0.01;
  c.backoffMaxSeconds = 0.05;
  c.stallTimeoutSeconds = 5;
  return c;
}

std::string withParagraph(const std::string &text, const std::string &paragraph) {
  std::string out = text;
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out + "\n\n" + paragraph + "\n";
}

int occurrences(const std::string &text, const std::string &needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

/// A two-paragraph book adopted by a session whose model is the fake author.
struct AdoptedBook {
  FakeLlmServer server;
  std::shared_ptr<FakeAuthor> author = std::make_shared<FakeAuthor>();
  test::TempDir dir;
  std::filesystem::path file = dir / "novel.md";
  std::string text = "# A Book\n\nThe keeper lit the lamp. The fog came in from the sea.\n\nA ship passed the rocks at night.\n";
  std::unique_ptr<StorySession> session;

  AdoptedBook() {
    server.setHandler([author = author](const FakeRequest &r) { return (*author)(r); });
    REQUIRE(writeFileAtomically(file, text).ok());
    auto opened = StorySession::open(file, std::make_shared<OpenAiChatModel>(configFor(server)),
                                     std::make_shared<HashedEmbedder>(), std::make_shared<ExtractiveSummarizer>(), {});
    REQUIRE(opened.ok());
    session = std::move(opened.value());
    auto adopted = session->adopt(Manuscript(text), "", "", StoryMode::Novel, {});
    REQUIRE_MESSAGE(adopted.ok(), adopted.error().message);
  }
};

} // namespace

TEST_CASE("50 steps against the fake server: prompts, edits, memory, budget") {
  FakeLlmServer server;
  auto author = std::make_shared<FakeAuthor>();
  server.setHandler([author](const FakeRequest &r) { return (*author)(r); });
  test::TempDir dir;
  auto file = dir / "novel.md";

  SessionOptions options;
  options.prompt.contextTokens = 4000;
  options.prompt.answerTokens = 1000;
  options.topK = 3;
  auto model = std::make_shared<OpenAiChatModel>(configFor(server));
  auto opened = StorySession::open(file, model, std::make_shared<HashedEmbedder>(), nullptr, options);
  REQUIRE_MESSAGE(opened.ok(), opened.error().message);
  auto &session = **opened;

  InitInput init;
  init.genre = "mystery";
  init.topic = "a lighthouse";
  init.language = "English";
  init.seed = 42;
  auto opening = session.prepareInit(init, {});
  REQUIRE_MESSAGE(opening.ok(), opening.error().message);
  std::string text = opening->markdown;
  REQUIRE(writeFileAtomically(file, text).ok());
  REQUIRE(session.commitInit(*opening, init, Manuscript(text), {}).ok());
  CHECK(session.memoryEntries() == 3); // the opening, summarised through the model

  std::string previousMemory = "MEM-0";
  std::string previousParagraph = "OPEN-3 The fog comes.";
  int retrievedSeen = 0, trimmedSeen = 0;
  for (int step = 1; step <= 50; ++step) {
    Manuscript m(text);
    if (step == 25) {
      // A writer edits the short-term memory file between steps.
      REQUIRE(writeFileAtomically(session.paths().shortTermMemory(),
                                  "# Short-term memory\n\nHUMAN-EDIT: the keeper's sister is coming.\n").ok());
      previousMemory = "HUMAN-EDIT: the keeper's sister is coming.";
    }
    auto selected = session.selectPlan(step % 2 ? SelectMode::Llm : SelectMode::First, m, {});
    REQUIRE_MESSAGE(selected.ok(), selected.error().message);
    CHECK(selected->index == (step % 2 ? 1 : 0));
    std::string streamed;
    StreamCallbacks stream;
    stream.onText = [&](std::string_view d) { streamed += d; };
    auto pending = session.prepareStep(m, {std::nullopt, selected->plan}, {}, stream);
    REQUIRE_MESSAGE(pending.ok(), pending.error().message);
    CHECK(streamed == pending->paragraph); // the paragraph streamed out of the JSON answer
    CHECK(pending->step == step);

    const std::string &prompt = author->stepPrompts.back();
    CHECK_MESSAGE(prompt.find(previousMemory) != std::string::npos, "step " << step);
    CHECK(prompt.find(selected->plan) != std::string::npos);
    CHECK(prompt.find(previousParagraph) != std::string::npos);
    if (step == 25)
      CHECK(prompt.find("MEM-24") == std::string::npos);
    // Retrieved memories: summaries of paragraphs not already in the prompt.
    auto related = prompt.find("Related earlier passages");
    if (related != std::string::npos) {
      ++retrievedSeen;
      auto section = prompt.substr(related, prompt.find("## ", related + 3) - related);
      for (std::size_t at = section.find("SUMMARY-"); at != std::string::npos; at = section.find("SUMMARY-", at + 1)) {
        int k = std::atoi(section.c_str() + at + 8);
        CHECK(k < step - 1); // never the previous paragraph, which is in the prompt in full
      }
    }
    // The budget held: every prompt under the configured context minus the answer's room.
    std::vector<ChatMessage> messages;
    for (const auto &c : author->stepMessages.back())
      messages.push_back({"", c});
    CHECK(estimateTokens(messages) <= options.prompt.contextTokens - options.prompt.answerTokens);
    CHECK(pending->budget.used <= options.prompt.contextTokens - options.prompt.answerTokens);
    trimmedSeen += pending->budget.trimmed.empty() ? 0 : 1;

    text = withParagraph(text, pending->paragraph);
    REQUIRE(writeFileAtomically(file, text).ok());
    auto committed = session.commitStep(*pending, pending->paragraph, Manuscript(text), {});
    REQUIRE_MESSAGE(committed.ok(), committed.error().message);
    CHECK(committed->step == step);
    previousMemory = "MEM-" + std::to_string(step);
    // Its end, which survives even when an overlong paragraph is cut at its start.
    previousParagraph = pending->paragraph.substr(pending->paragraph.size() - 60);
    auto state = session.state();
    CHECK(state.step == step);
    CHECK(state.plans.size() == 3);
    CHECK(state.shortTermMemory.find(previousMemory) == 0);
  }
  CHECK(retrievedSeen >= 30);
  CHECK(trimmedSeen > 0); // the small context forced trimming, and it was reported

  // Nothing lost or duplicated: every paragraph once, in order; one memory entry each.
  Manuscript final(text);
  CHECK(final.paragraphs().size() == 53);
  std::size_t last = 0;
  for (int step = 1; step <= 50; ++step) {
    std::string marker = "PARA-" + std::to_string(step) + " begins";
    CHECK(occurrences(text, marker) == 1);
    auto at = text.find(marker);
    CHECK(at > last);
    last = at;
  }
  CHECK(session.memoryEntries() == 53);
  // The step's own summaries went to the long-term memory (no extra summary calls).
  auto last3 = session.lastCall();
  REQUIRE(last3.has_value());
  CHECK(last3->task == "step");
  CHECK(last3->budget.has_value());
  auto log = readFile(session.paths().callLog());
  REQUIRE(log.ok());
  CHECK(occurrences(*log, "\"task\":\"step\"") == 50);
  CHECK(log->find("sk-") == std::string::npos);
}

TEST_CASE("a step is committed only for the text the editor applied, undo restores the state") {
  AdoptedBook book;
  auto &session = *book.session;
  const std::string &text = book.text;
  CHECK(session.state().title == "A Book");
  CHECK(session.state().language == "English"); // detected
  CHECK(session.state().synopsis.find("SYNOPSIS") == 0);
  CHECK(session.memoryEntries() == 2);
  CHECK(book.author->stepPrompts.empty());
  auto pending = session.prepareStep(Manuscript(text), {}, {});
  REQUIRE_MESSAGE(pending.ok(), pending.error().message);
  CHECK(pending->plan == "The ship runs aground.");
  CHECK(pending->insertAt == text.size());

  // Nothing applied: nothing committed.
  auto none = session.commitStep(*pending, "", Manuscript(text), {});
  REQUIRE(none.ok());
  CHECK(session.state().step == 0);

  // The editor applied an edited version: state moves on, memory follows the applied text.
  std::string applied = "The ship struck the rocks, and the keeper ran down the stair.";
  std::string after = withParagraph(text, applied);
  auto done = session.commitStep(*pending, applied, Manuscript(after), {});
  REQUIRE(done.ok());
  CHECK(done->step == 1);
  CHECK(session.memoryEntries() == 3);
  CHECK(session.state().shortTermMemory == pending->shortTermMemory);
  // A stale pending step is refused.
  CHECK_FALSE(session.commitStep(*pending, applied, Manuscript(after), {}).ok());

  auto plans = session.suggestPlans(Manuscript(after), {});
  REQUIRE(plans.ok());
  CHECK(session.state().plans.front() == "FRESH-1");

  auto undone = session.undoStep();
  REQUIRE(undone.ok());
  CHECK(*undone == 0);
  CHECK(session.state().shortTermMemory == "The keeper watches.");
  CHECK_FALSE(session.undoStep().ok());
}

TEST_CASE("each step keeps the files it replaces as its undo snapshot, undo walks back step by step") {
  AdoptedBook book;
  auto &session = *book.session;
  std::string &text = book.text;
  const auto &file = book.file;

  const std::vector<std::string> names = {"short-term-memory.md", "plans.md", "story.json"};
  auto inodeOf = [](const std::filesystem::path &p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  std::vector<StoryState> before;                 ///< the state before each step
  std::vector<std::vector<std::string>> liveBytes; ///< the live files before each step
  for (int step = 1; step <= 3; ++step) {
    auto pending = session.prepareStep(Manuscript(text), {}, {});
    REQUIRE_MESSAGE(pending.ok(), pending.error().message);
    before.push_back(session.state());
    std::vector<std::string> bytes;
    std::vector<ino_t> inodes;
    for (const auto &name : names) {
      bytes.push_back(*readFile(session.paths().dir / name));
      inodes.push_back(inodeOf(session.paths().dir / name));
    }
    liveBytes.push_back(bytes);
    text = withParagraph(text, pending->paragraph);
    REQUIRE(writeFileAtomically(file, text).ok());
    REQUIRE(session.commitStep(*pending, pending->paragraph, Manuscript(text), {}).ok());

    char folder[32];
    std::snprintf(folder, sizeof folder, "step-%06d", step);
    auto kept = session.paths().history() / folder;
    for (std::size_t i = 0; i < names.size(); ++i) {
      CAPTURE(step);
      CAPTURE(names[i]);
      CHECK(*readFile(kept / names[i]) == bytes[i]);
      CHECK(inodeOf(kept / names[i]) == inodes[i]); // linked, not written again
      CHECK(*readFile(session.paths().dir / names[i]) != bytes[i]);
      CHECK(std::filesystem::hard_link_count(kept / names[i]) == 1);
    }
  }
  CHECK(session.state().shortTermMemory.find("MEM-3") == 0);

  for (int step = 3; step >= 1; --step) {
    auto undone = session.undoStep();
    REQUIRE(undone.ok());
    CAPTURE(step);
    const auto &was = before[static_cast<std::size_t>(step - 1)];
    CHECK(*undone == step - 1);
    CHECK(session.state().shortTermMemory == was.shortTermMemory);
    CHECK(session.state().plans == was.plans);
    auto reloaded = session.reload();
    REQUIRE(reloaded.ok());
    CHECK(session.state().step == step - 1);
    CHECK(session.state().shortTermMemory == was.shortTermMemory);
    CHECK(session.state().plans == was.plans);
    CHECK(*readFile(session.paths().shortTermMemory()) == liveBytes[static_cast<std::size_t>(step - 1)][0]);
  }
  CHECK_FALSE(session.undoStep().ok());
}
