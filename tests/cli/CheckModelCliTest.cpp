// recurrent check with a model configured: the model's pass after the offline checks, its cache, --no-model.
// The built binary, a temporary folder, the fake OpenAI-compatible server on 127.0.0.1.
#include "support/Files.h"
#include "tests/support/CheckAnswers.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

using namespace recurrent;
using recurrent::test::CheckAnswers;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

test::ProcessResult run(const fs::path &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir, {}, std::nullopt, std::nullopt});
}

void put(const fs::path &p, const std::string &text) { REQUIRE(writeFileAtomically(p, text).ok()); }

} // namespace

TEST_CASE("check cli with a model: its findings join the offline ones, unchanged text is not sent again") {
  test::TempDir dir;
  put(dir / "novel/bible/natasha.md", "---\naliases: [Natasha]\n---\n# Natasha Rostova\nThe younger countess.\n"
                                      "- eyes: dark grey\n");
  put(dir / "novel/01-ball.md", "# The Ball\n\nNatasha ran into the hall, her green eyes shining.\n\n"
                                "The count went back to his letters without a word.\n");
  test::FakeLlmServer server;
  CheckAnswers answers;
  answers.onPassage("green eyes", json::array({CheckAnswers::issue("P1", "green eyes", "factual detail",
                                                                   "Natasha Rostova", "dark grey",
                                                                   "Natasha's eyes are dark grey.", "dark grey eyes")}));
  server.setHandler(answers.handler());
  // A story (its state exists): the model's results are kept there.
  REQUIRE(run(dir.path(), {"index", "novel"}).exitCode == 0);

  const std::vector<std::string> withModel = {"check", "novel", "--base-url", server.baseUrl(), "--model", "fake-model"};
  auto r = run(dir.path(), withModel);
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.out.find("01-ball.md:3:32: warning: Natasha's eyes are dark grey. [factual-detail]\n"
                   "bible/natasha.md:6: note: dark grey\n") != std::string::npos);
  CHECK(r.err.find("model check (") != std::string::npos);
  CHECK(answers.checkRequests() == 1);

  auto again = run(dir.path(), withModel);
  CHECK(again.exitCode == 1);
  CHECK(again.out == r.out);
  CHECK(answers.checkRequests() == 1); // nothing sent: the chapter did not change

  auto json = run(dir.path(), {"check", "novel", "--json", "--base-url", server.baseUrl(), "--model", "fake-model"});
  auto j = nlohmann::json::parse(json.out);
  REQUIRE(j["findings"].size() == 1);
  CHECK(j["findings"][0]["code"] == "factual-detail");
  CHECK(j["findings"][0]["quote"] == "green eyes");
  CHECK(j["findings"][0]["replacement"] == "dark grey eyes");

  auto offline = run(dir.path(), {"check", "novel", "--no-model", "--base-url", server.baseUrl()});
  CHECK(offline.exitCode == 0);
  CHECK(offline.out.empty());
  CHECK(answers.checkRequests() == 1);
}

TEST_CASE("check cli with a model on a folder that is not a story: nothing is written beside it") {
  test::TempDir dir;
  put(dir / "drafts/01-ball.md", "# The Ball\n\nNatasha ran into the hall, her green eyes shining.\n");
  test::FakeLlmServer server;
  CheckAnswers answers;
  server.setHandler(answers.handler());
  auto r = run(dir.path(), {"check", "drafts", "--base-url", server.baseUrl(), "--model", "fake-model"});
  INFO(r.out << r.err);
  CHECK(answers.checkRequests() == 1);
  CHECK(r.err.find("model check results are not kept") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "drafts/.recurrent")); // the call was recorded in memory only
}
