// One writer per story: a second server on the same story opens it read-only and refuses to
// write; once the first is killed with -9 the kernel has freed the lock, and the second takes over
// with the state the first left. The first server is the built binary (so it can be killed).
#include "engine/StatePaths.h"
#include "engine/book/StateLock.h"
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/hardening/LspProcess.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <fstream>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char *kStory = "# Harbour\n\n"
                     "Mara kept the lighthouse on the north cape. Every night she climbed the stairs.\n\n"
                     "The ships came less often that winter, and the village grew quiet.\n\n"
                     "One evening a stranger rowed in from the fog, carrying a sealed letter.\n";

/// Every line of memory.jsonl is one whole JSON value (two writers would interleave them).
void memoryLinesParse(const fs::path &file) {
  std::ifstream in(file);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    CAPTURE(line);
    CHECK_NOTHROW((void)json::parse(line));
    ++n;
  }
  CHECK(n > 0);
}

} // namespace

TEST_CASE("writer lock: a second taker is told who holds it, and gets it once released") {
  TempDir dir;
  auto state = dir / ".recurrent" / "story.md";
  auto first = engine::StateLock::tryAcquire(state, "test one");
  REQUIRE(first);
  REQUIRE(first->lock);
  auto second = engine::StateLock::tryAcquire(state, "test two");
  REQUIRE(second);
  CHECK(second->lock == nullptr);
  CHECK(second->holder.find("test one") != std::string::npos);
  first->lock.reset();
  auto third = engine::StateLock::tryAcquire(state, "test three");
  REQUIRE(third);
  CHECK(third->lock != nullptr);
}

TEST_CASE("writer lock: two servers on one story, the second read-only until kill -9 of the first") {
  TempDir dir;
  auto path = dir / "story.md";
  REQUIRE(writeFileAtomically(path, kStory).ok());
  std::string uri = protocol::pathToUri(path);

  ProcessOptions o;
  o.cwd = dir.path();
  o.env = {{"RECURRENT_PROVIDER", "offline"}};
  LspProcess firstServer(o, dir.path().parent_path() / (dir.path().filename().string() + "-first.err"));
  REQUIRE(!firstServer.initialize(dir.path()).is_null());
  firstServer.open(uri, kStory);
  json adopted = firstServer.call("workspace/executeCommand",
                                  {{"command", "recurrent.adopt"}, {"arguments", {{{"uri", uri}}}}});
  REQUIRE_MESSAGE(adopted.contains("result"), adopted.dump());

  LspTestClient second(storyClientOptions());
  second.settings = {{"provider", "offline"}};
  second.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  second.initialize(kStoryCapabilities);
  second.open(uri, kStory);
  // Reading works: the state and the memory the first server wrote.
  json state = waitForStory(second, uri, [](const json &s) { return s.value("readOnly", false); });
  CHECK(state["plans"].size() == 3);
  CHECK(state["readOnlyReason"].get<std::string>().find("recurrent lsp") != std::string::npos);
  CHECK(second.call("workspace/symbol", {{"query", "lighthouse"}}).take().size() > 0);
  // Writing is refused, with the reason.
  json refused = runCommand(second, "recurrent.suggestPlans", {{"uri", uri}}).takeError();
  CHECK(refused["message"].get<std::string>().find("read-only") != std::string::npos);
  auto warned = second.takeNotifications("window/showMessage");
  REQUIRE_FALSE(warned.empty());
  CHECK(warned[0]["message"].get<std::string>().find("read-only") != std::string::npos);

  firstServer.kill();
  firstServer.wait();
  // The kernel released the lock: the second server writes now, from the state on disk.
  json plans = runCommand(second, "recurrent.suggestPlans", {{"uri", uri}}).take();
  CHECK(plans["plans"].size() == 3);
  json after = second.call("recurrent/storyState", {{"uri", uri}}).take();
  CHECK(after["readOnly"] == false);
  CHECK(after["counts"]["memoryEntries"] == after["counts"]["paragraphs"]);
  second.takeNotifications("window/showMessage");
  CHECK(second.stop() == 0);
  memoryLinesParse(engine::StatePaths::forManuscript(path).longTermMemory());
}
