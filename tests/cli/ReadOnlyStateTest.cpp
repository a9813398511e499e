// A manuscript whose folder cannot be written: the real `recurrent lsp` says where the state would go, once,
// and spends no model call on work it could not save (adopting on open, a continuation, ghost text).
#include "engine/StatePaths.h"
#include "support/Files.h"
#include "tests/hardening/Fixtures.h"
#include "tests/hardening/LspProcess.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

using namespace recurrent;
using nlohmann::json;
using recurrent::test::book;
using recurrent::test::LspProcess;
namespace fs = std::filesystem;

TEST_CASE("read-only folder: no model call, and one message that names where the state would be written") {
  test::FakeLlmServer model;
  test::SchemaAnswers answers;
  model.setHandler(answers.handler());
  test::TempDir dir;
  const fs::path folder = dir / "shelf";
  fs::create_directories(folder);
  const fs::path manuscript = folder / "book.md";
  REQUIRE(writeFileAtomically(manuscript, book(6)));
  test::ProcessOptions o;
  o.cwd = dir.path();
  o.env = {{"RECURRENT_BASE_URL", model.baseUrl()}, {"RECURRENT_MODEL", "m"}};
  if (::geteuid() == 0) { // root writes anywhere: run as nobody, who owns the files
    for (const auto &e : fs::recursive_directory_iterator(dir.path()))
      REQUIRE(::chown(e.path().c_str(), 65534, 65534) == 0);
    REQUIRE(::chown(dir.path().c_str(), 65534, 65534) == 0);
    o.user = 65534;
  }
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
  const fs::path state = engine::StatePaths::forManuscript(manuscript).dir;

  LspProcess lsp(o, dir.path().parent_path() / (dir.path().filename().string() + "-ro.err"));
  lsp.settings = {{"provider", "openai"}, {"autoAdopt", true}}; // the index on open is what meets the folder
  REQUIRE(!lsp.initialize(dir.path()).is_null());
  const std::string uri = "file://" + manuscript.string();
  lsp.open(uri, book(6));
  auto shown = lsp.waitForNotification("window/showMessage");
  REQUIRE_MESSAGE(!shown.is_null(), lsp.transcript());
  CHECK(shown["type"] == 1);
  CHECK(shown["message"].get<std::string>().find(state.string()) != std::string::npos);

  auto reply = lsp.call("workspace/executeCommand", {{"command", "recurrent.continue"}, {"arguments", {{{"uri", uri}}}}});
  REQUIRE(reply.contains("error"));
  CHECK(reply["error"]["message"].get<std::string>().find(state.string()) != std::string::npos);
  auto ghost = lsp.call("textDocument/inlineCompletion", {{"textDocument", {{"uri", uri}}},
                                                          {"position", {{"line", 0}, {"character", 0}}},
                                                          {"context", {{"triggerKind", 1}}}});
  CHECK(ghost["result"]["items"].empty());
  // An edit does not repeat the index's message.
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                        {"contentChanges", json::array({{{"text", book(7)}}})}});
  lsp.call("textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}});
  CHECK(lsp.stop() == 0);
  CHECK(model.requestCount() == 0);
  CHECK(model.requestCount("/v1/embeddings") == 0);
  int indexMessages = 0;
  for (const auto &m : lsp.notifications("window/showMessage"))
    indexMessages += m["message"].get<std::string>().rfind("cannot keep this manuscript's memory", 0) == 0;
  CHECK(indexMessages == 1);
  CHECK(!fs::exists(state));
  fs::permissions(folder, fs::perms::owner_all);
}
