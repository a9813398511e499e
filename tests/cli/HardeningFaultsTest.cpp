// A model server that fails a story step in every way issue 6 lists, through the built
// `recurrent write --resume`: bounded retries, one actionable line, and the manuscript and the
// state exactly as before the step. The HTTP-level behaviour of each fault (what is retried,
// the wording) is tested in tests/engine/LlmChatTest.cpp; this is the end-to-end guarantee.
#include "engine/StatePaths.h"
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <memory>

using namespace recurrent;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeRequest;
using recurrent::test::FakeResponse;
namespace fs = std::filesystem;

namespace {

constexpr int kAttempts = 2;

/// The lines of `err` that are not progress or retry notices.
std::vector<std::string> errorLines(const std::string &err) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < err.size()) {
    std::size_t end = err.find('\n', start);
    std::string line = err.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.rfind("recurrent write:", 0) == 0)
      out.push_back(line);
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return out;
}

struct Fault {
  std::string name;
  std::function<FakeResponse()> respond; ///< the answer to every story_step request
  std::string mentions;                  ///< what the error line must say
  bool refused = false;                  ///< no server at all: point the step at a closed port
};

/// Writes an opening with a working server, then runs one step against `fault`.
void stepFails(const Fault &fault) {
  CAPTURE(fault.name);
  FakeLlmServer server;
  auto answers = std::make_shared<test::SchemaAnswers>();
  auto failing = std::make_shared<std::atomic<bool>>(false);
  server.setHandler([answers, failing, respond = fault.respond](const FakeRequest &r) {
    if (r.path == "/v1/models")
      return FakeResponse::json({{"object", "list"}, {"data", {{{"id", "m"}, {"object", "model"}}}}});
    if (*failing && r.json.value("/response_format/json_schema/name"_json_pointer, std::string()) == "story_step")
      return respond();
    return answers->respond(r);
  });
  test::TempDir dir;
  test::ProcessOptions o;
  o.cwd = dir.path();
  o.env = {{"RECURRENT_BASE_URL", server.baseUrl()},
           {"RECURRENT_MODEL", "m"},
           {"RECURRENT_MAX_ATTEMPTS", std::to_string(kAttempts)},
           {"RECURRENT_STALL_TIMEOUT", "1"}};
  auto opening = test::runBinary({"write", "--topic", "a ferry in winter", "--type", "drama", "--iterations", "1",
                                  "--select", "first", "--out", "novel.md"},
                                 o);
  REQUIRE_MESSAGE(opening.exitCode == 0, opening.err);
  const auto before = test::snapshot(dir.path());
  REQUIRE(before.count("novel.md") == 1);
  REQUIRE(before.count(".recurrent/novel.md/story.json") == 1);

  *failing = true;
  const std::size_t requestsBefore = server.requestCount();
  std::unique_ptr<FakeLlmServer> closed;
  if (fault.refused) {
    closed = std::make_unique<FakeLlmServer>();
    o.env["RECURRENT_BASE_URL"] = closed->baseUrl();
    closed.reset(); // nothing listens on that port any more
  }
  auto step = test::runBinary({"write", "--resume", "--out", "novel.md", "--iterations", "1", "--select", "first"}, o);
  INFO("stderr: " << step.err);
  CHECK(step.signal == 0);
  CHECK(step.exitCode != 0);
  auto lines = errorLines(step.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(fault.mentions) != std::string::npos);
  if (!fault.refused) {
    CHECK(server.requestCount() - requestsBefore == kAttempts); // bounded: the step's attempts, no more
    CHECK(lines[0].find("after " + std::to_string(kAttempts) + " attempts") != std::string::npos);
  }

  // Nothing changed but the log of LLM calls, which only grew.
  auto after = test::snapshot(dir.path());
  const std::string log = ".recurrent/novel.md/calls.jsonl";
  if (after.count(log) && before.count(log)) {
    CHECK(after[log].rfind(before.at(log), 0) == 0);
    after[log] = before.at(log);
  }
  CHECK(after == before);
}

std::string validStep() {
  return nlohmann::json{{"paragraph", "The ferry left at dawn."},
                        {"rationale", "r"},
                        {"shortTermMemory", "The ferry left."},
                        {"summary", "The ferry leaves."},
                        {"plans", {"a", "b", "c"}}}
      .dump();
}

} // namespace

TEST_CASE("hardening: a step against a model server answering 429 with and without Retry-After") {
  stepFails({"429 Retry-After", [] { return FakeResponse::error(429, "Rate limit reached", std::string("1")); },
             "429"});
  stepFails({"429", [] { return FakeResponse::error(429, "Rate limit reached"); }, "429"});
}

TEST_CASE("hardening: a step against a model server answering 500 and 503") {
  stepFails({"500", [] { return FakeResponse::error(500, "The server had an error"); }, "500"});
  stepFails({"503", [] { return FakeResponse::error(503, "The engine is currently overloaded"); }, "503"});
}

TEST_CASE("hardening: a step against a stream that stalls, is cut, or never connects") {
  stepFails({"stall", [] { return test::chatStream(validStep()).stall(40, std::chrono::milliseconds(5000)); },
             "sent nothing for 1 s"});
  stepFails({"truncated", [] { return test::chatStream(validStep()).cutAfter(120); }, "dropped mid-answer"});
  stepFails({"refused", [] { return FakeResponse::error(500, "unused"); }, "connection refused", true});
}

TEST_CASE("hardening: a step against answers that are not JSON, break the schema, are empty or refuse") {
  stepFails({"not JSON", [] { return test::chatStream("<html><body>502 Bad Gateway</body></html>"); }, "holds no JSON object"});
  stepFails({"schema", [] { return test::chatStream(R"({"paragraph": 42, "plans": "none"})"); }, "does not follow the schema"});
  stepFails({"empty", [] { return test::chatStream(""); }, "empty answer"});
  test::ChatStreamOptions refusal;
  refusal.refusal = "I can't help with that.";
  stepFails({"refusal", [refusal] { return test::chatStream("", refusal); }, "refused"});
}
