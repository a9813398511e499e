// A book's memory is read on the pool, never on the main strand: while a book opens, the editor's
// other requests are answered, and the requests that need the book answer once it is open.
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/EditorMirror.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;

namespace {

const char *kHarbour = "# The Harbour\n\n"
                       "Mara kept the lighthouse on the north cape. Every night she climbed the stairs.\n\n"
                       "One evening a stranger rowed in from the fog, carrying a sealed letter.\n";
const char *kOrchard = "# The Orchard\n\n"
                       "Ines picked the last apples before the frost and stored them in the cellar.\n\n"
                       "Her brother wrote from the city that he would come home for the winter.\n";

/// A model that answers every schema, and holds a request while `hold()` is on: a pool worker is then busy.
struct GatedModel : FakeLlmServer {
  SchemaAnswers answers;
  std::mutex mutex;
  std::condition_variable changed;
  bool holding = false, held = false;

  GatedModel() {
    setHandler([this](const FakeRequest &request) {
      std::unique_lock lock(mutex);
      if (holding) {
        held = true;
        changed.notify_all();
        changed.wait(lock, [this] { return !holding; });
      }
      lock.unlock();
      return answers.respond(request);
    });
  }
  ~GatedModel() { release(); }
  void hold() {
    std::lock_guard lock(mutex);
    holding = true;
    held = false;
  }
  bool waitUntilHeld() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [this] { return held; });
  }
  void release() {
    std::lock_guard lock(mutex);
    holding = false;
    changed.notify_all();
  }
};

} // namespace

TEST_CASE("book opening: on the pool, the editor is answered meanwhile and the book's requests once it is open") {
  TempDir dir;
  auto harbourPath = dir / "harbour.md", orchardPath = dir / "orchard.md";
  REQUIRE(writeFileAtomically(harbourPath, kHarbour).ok());
  REQUIRE(writeFileAtomically(orchardPath, kOrchard).ok());
  const std::string harbour = protocol::pathToUri(harbourPath), orchard = protocol::pathToUri(orchardPath);

  GatedModel model;
  auto options = storyClientOptions();
  options.server.coWriter.workers = 1; // one worker: a held model call leaves none to open a book
  LspTestClient client(options);
  EditorMirror editor(client, harbour, kHarbour);
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"},
                     {"streaming", false},   {"checkAfterStep", false}};
  client.initialize(kStoryCapabilities);
  client.open(harbour, kHarbour);
  client.open(orchard, kOrchard);
  runCommand(client, "recurrent.adopt", {{"uri", harbour}}).take();
  runCommand(client, "recurrent.adopt", {{"uri", orchard}}).take();
  waitForStory(client, orchard, storyMemoryReady);
  client.notify("textDocument/didClose", {{"textDocument", {{"uri", orchard}}}});

  // A continuation of the harbour holds the only worker in its model call.
  model.hold();
  auto continuation = runCommand(client, "recurrent.continue", {{"uri", harbour}});
  REQUIRE(model.waitUntilHeld());

  // The orchard is reopened: its memory cannot be read until the worker is free.
  client.open(orchard, kOrchard);
  auto lenses = client.call("textDocument/codeLens", {{"textDocument", {{"uri", orchard}}}});
  auto state = client.call("recurrent/storyState", {{"uri", orchard}});
  json symbols = client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", orchard}}}}).take();
  CHECK(symbols.size() == 1); // answered from the text, while the book waits
  client.sync();
  CHECK_FALSE(lenses.answered());
  CHECK_FALSE(state.answered());

  model.release();
  continuation.take();
  CHECK(editor.appliedEdits() == 1);
  CHECK_FALSE(lenses.take().empty()); // the story's lenses, from its memory read from disk
  json opened = state.take();
  CHECK(opened["adopted"] == true);
  CHECK(opened["counts"]["memoryEntries"] == 2);
  client.takeNotifications("window/showMessage");
  CHECK(client.stop() == 0);
}
