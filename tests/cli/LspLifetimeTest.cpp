// The server's lifetime is its editor's: the built `recurrent lsp` on real pipes exits, cancelling
// its model calls, when its input ends or when the process named in `initialize` is gone.
#include "support/Files.h"
#include "tests/hardening/Fixtures.h"
#include "tests/hardening/LspProcess.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace recurrent;
using nlohmann::json;
using recurrent::test::book;
using recurrent::test::LspProcess;
namespace fs = std::filesystem;

namespace {

/// Whether the child `pid` ended within `limit` (left waitable, so LspProcess::wait() reaps it).
bool endsWithin(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

struct SlowModel {
  test::FakeLlmServer server;
  test::SchemaAnswers answers;
  SlowModel() {
    server.setHandler([this](const test::FakeRequest &r) {
      test::FakeResponse response = answers.respond(r);
      if (r.json.value("/response_format/json_schema/name"_json_pointer, std::string()) == "story_step")
        response.split(3, 8, std::chrono::milliseconds(20)); // a step takes seconds
      return response;
    });
  }
};

test::ProcessOptions openaiIn(const fs::path &dir, const std::string &baseUrl) {
  test::ProcessOptions o;
  o.cwd = dir;
  o.env = {{"RECURRENT_BASE_URL", baseUrl}, {"RECURRENT_MODEL", "m"}};
  return o;
}

/// Opens a book and waits for its memory; then starts a continuation that streams slowly.
void startSlowContinuation(LspProcess &lsp, const fs::path &manuscript, SlowModel &model) {
  const std::string uri = "file://" + manuscript.string();
  lsp.settings = {{"provider", "openai"}, {"streaming", true}, {"autoAdopt", true}};
  lsp.open(uri, book(4));
  REQUIRE(!lsp.waitForNotification("$/progress", [](const json &p) {
                return p["value"].value("kind", "") == "end" && p["value"].value("message", "") == "memory ready";
              }).is_null());
  std::size_t before = model.server.requestCount();
  lsp.request("workspace/executeCommand", {{"command", "recurrent.continue"}, {"arguments", {{{"uri", uri}}}}});
  REQUIRE(!lsp.waitFor([](const json &m) { return m.value("method", "") == "workspace/applyEdit"; }).is_null());
  CHECK(model.server.requestCount() > before);
}

} // namespace

TEST_CASE("lifetime: the end of input mid-stream cancels the model call and the server exits") {
  SlowModel model;
  test::TempDir dir;
  const fs::path manuscript = dir / "book.md";
  REQUIRE(writeFileAtomically(manuscript, book(4)));
  LspProcess lsp(openaiIn(dir.path(), model.server.baseUrl()), dir.path().parent_path() / "lifetime-eof.err");
  REQUIRE(!lsp.initialize(dir.path()).is_null());
  startSlowContinuation(lsp, manuscript, model);

  auto closed = std::chrono::steady_clock::now();
  lsp.closeInput();
  REQUIRE(endsWithin(lsp.pid(), std::chrono::seconds(10)));
  MESSAGE("exited " << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - closed).count()
                    << " ms after the end of input");
  CHECK(lsp.wait() == 0);
  std::size_t after = model.server.requestCount();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(model.server.requestCount() == after); // no model call once it is gone
}

TEST_CASE("lifetime: the server exits when the editor process named in initialize is gone") {
  SlowModel model;
  test::TempDir dir;
  const fs::path manuscript = dir / "book.md";
  REQUIRE(writeFileAtomically(manuscript, book(4)));
  // The stand-in editor: a process that lives until killed. Spawned, not forked, so the child
  // never runs this (threaded, possibly sanitized) test binary's code.
  pid_t editor = -1;
  char sleepPath[] = "sleep", forever[] = "600";
  char *sleepArgs[] = {sleepPath, forever, nullptr};
  REQUIRE(::posix_spawnp(&editor, "sleep", nullptr, nullptr, sleepArgs, environ) == 0);
  LspProcess lsp(openaiIn(dir.path(), model.server.baseUrl()), dir.path().parent_path() / "lifetime-parent.err");
  json caps = {{"workspace", {{"applyEdit", true}, {"configuration", true}}}, {"window", {{"workDoneProgress", true}}}};
  REQUIRE(!lsp.call("initialize", {{"processId", editor}, {"rootUri", "file://" + dir.path().string()},
                                   {"capabilities", caps}})
               .is_null());
  lsp.notify("initialized", json::object());
  startSlowContinuation(lsp, manuscript, model);

  auto killed = std::chrono::steady_clock::now();
  ::kill(editor, SIGKILL);
  ::waitpid(editor, nullptr, 0); // gone, not a zombie
  REQUIRE(endsWithin(lsp.pid(), std::chrono::seconds(10)));
  MESSAGE("exited " << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count()
                    << " ms after the editor died");
  CHECK(lsp.wait() == 0);
  std::size_t after = model.server.requestCount();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(model.server.requestCount() == after);
}
