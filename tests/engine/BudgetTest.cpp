// Token estimates and the budgeted prompt builder: what is trimmed first, and never a silent overflow.
#include "engine/story/TokenBudget.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;

namespace {
std::string words(int n, const std::string &word = "lantern") {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += (i ? " " : "") + word;
  return s;
}
bool contains(const std::vector<ChatMessage> &m, const std::string &needle) {
  for (const auto &x : m)
    if (x.content.find(needle) != std::string::npos)
      return true;
  return false;
}
} // namespace

TEST_CASE("token estimates: about 4 ASCII characters per token, one per CJK character") {
  CHECK(estimateTokens("") == 0);
  CHECK(estimateTokens("abcd") == 1);
  CHECK(estimateTokens("abcde") == 2);
  CHECK(estimateTokens("她走进了房间") == 6);
  CHECK(estimateTokens("Привет") == 3);
  // English prose: within a sensible band of the 4.2 characters per token BPE gives.
  std::string prose = "The fog came into the harbour every evening at the same hour, and she climbed the stair.";
  CHECK(estimateTokens(prose) >= static_cast<int>(prose.size() / 5));
  CHECK(estimateTokens(prose) <= static_cast<int>(prose.size() / 3));
}

TEST_CASE("the builder keeps everything when it fits, in section order") {
  PromptBuilder b({8192, 1000});
  b.setSystem("system");
  b.setInstructions("Write.");
  b.add({SourceKind::ShortTermMemory, "Memory", "MEMORY", "memory", Trim::Never, 100});
  b.add({SourceKind::RetrievedMemory, "Earlier", "- R1", "r1", Trim::Drop, 0});
  b.add({SourceKind::Plan, "Plan", "PLAN", "plan", Trim::Never, 100});
  auto built = b.build();
  REQUIRE(built.ok());
  const auto &user = built->messages.back().content;
  CHECK(user.find("## Memory") < user.find("## Earlier"));
  CHECK(user.find("## Earlier") < user.find("## Plan"));
  CHECK(user.find("Write.") > user.find("PLAN"));
  CHECK(built->report.trimmed.empty());
  CHECK(built->report.included.size() == 3);
  CHECK(built->report.used <= 8192 - 1000);
}

TEST_CASE("retrieved memories go first, then older recent text, and the prompt fits") {
  PromptBuilder b({1200, 400});
  b.add({SourceKind::ShortTermMemory, "Memory", words(100, "memory"), "memory", Trim::Never, 100});
  for (int i = 0; i < 5; ++i)
    b.add({SourceKind::RetrievedMemory, "Earlier", "- retrieved" + std::to_string(i) + " " + words(60), "r" + std::to_string(i),
           Trim::Drop, -i});
  b.add({SourceKind::RecentText, "Recent", "older " + words(80), "p1", Trim::Drop, 10});
  b.add({SourceKind::RecentText, "Recent", "latest " + words(80), "p2", Trim::KeepTail, 11});
  b.add({SourceKind::Plan, "Plan", "the plan", "plan", Trim::Never, 100});
  auto built = b.build();
  REQUIRE(built.ok());
  CHECK(built->report.used <= 1200 - 400);
  CHECK(estimateTokens(built->messages) <= built->report.used);
  // The best retrieved memory (r0) outlives the worst (r4); the latest paragraph is kept.
  CHECK(contains(built->messages, "latest"));
  CHECK(contains(built->messages, "the plan"));
  bool r4Trimmed = false;
  for (const auto &t : built->report.trimmed)
    r4Trimmed |= t.label == "r4";
  CHECK(r4Trimmed);
  if (contains(built->messages, "older"))
    CHECK(contains(built->messages, "retrieved0")); // older text goes only after every retrieved memory
}

TEST_CASE("an oversized previous paragraph is cut at its start, and the cut is reported") {
  PromptBuilder b({1000, 300});
  b.add({SourceKind::ShortTermMemory, "Memory", "short memory", "memory", Trim::Never, 100});
  b.add({SourceKind::RecentText, "Recent", "BEGINNING " + words(2000) + " ENDING", "p9", Trim::KeepTail, 10});
  auto built = b.build();
  REQUIRE(built.ok());
  CHECK(contains(built->messages, "ENDING"));
  CHECK_FALSE(contains(built->messages, "BEGINNING"));
  CHECK(built->report.used <= 700);
  REQUIRE_FALSE(built->report.trimmed.empty());
  CHECK(built->report.trimmed.front().truncated);
}

TEST_CASE("when even the essentials do not fit, build() says so with the numbers") {
  PromptBuilder b({500, 200});
  b.add({SourceKind::ShortTermMemory, "Memory", words(2000, "memory"), "memory", Trim::Never, 100});
  auto built = b.build();
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().kind == ErrorKind::Config);
  CHECK(built.error().message.find("context 500") != std::string::npos);
  CHECK(built.error().message.find("--context-tokens") != std::string::npos);
}
