// The server's lifecycle and JSON-RPC error handling, driven through the in-memory transport.
#include "tests/support/LspTestClient.h"

#include <doctest/doctest.h>

#include <future>

using namespace recurrent;
using recurrent::test::json;
using recurrent::test::LspTestClient;

TEST_CASE("lifecycle: initialize advertises capabilities, shutdown then exit gives 0") {
  LspTestClient client;
  json result = client.initialize();
  CHECK(result["capabilities"]["positionEncoding"] == "utf-16");
  CHECK(result["capabilities"]["textDocumentSync"]["change"] == 2);
  CHECK(result["capabilities"]["documentSymbolProvider"] == true);
  CHECK(result["capabilities"]["foldingRangeProvider"] == true);
  CHECK(result["capabilities"]["hoverProvider"] == true);
  CHECK(result["serverInfo"]["name"] == "recurrent");
  CHECK(client.stop() == 0);
}

TEST_CASE("lifecycle: UTF-8 is chosen when the client offers it") {
  LspTestClient client;
  json result = client.initialize({{"general", {{"positionEncodings", {"utf-16", "utf-8"}}}}});
  CHECK(result["capabilities"]["positionEncoding"] == "utf-8");
}

TEST_CASE("lifecycle: requests before initialize get -32002, a second initialize is invalid") {
  LspTestClient client;
  json error = client.call("textDocument/hover", json::object()).takeError();
  CHECK(error["code"] == protocol::ServerNotInitialized);
  client.initialize();
  error = client.call("initialize", {{"capabilities", json::object()}}).takeError();
  CHECK(error["code"] == protocol::InvalidRequest);
}

TEST_CASE("lifecycle: exit without shutdown gives 1, requests after shutdown are invalid") {
  LspTestClient client;
  client.initialize();
  CHECK(client.call("shutdown", nullptr).take().is_null());
  json error = client.call("textDocument/foldingRange", json::object()).takeError();
  CHECK(error["code"] == protocol::InvalidRequest);
  client.notify("exit", nullptr);
  CHECK(client.waitForExit() == 0);

  LspTestClient rude;
  rude.initialize();
  rude.notify("exit", nullptr);
  CHECK(rude.waitForExit() == 1);
}

TEST_CASE("lifecycle: the end of input ends the server cleanly") {
  LspTestClient client;
  client.initialize();
  client.transport().clientCloseInput();
  CHECK(client.waitForExit() == 0);
}

TEST_CASE("errors: unknown method, invalid params naming the field, string ids") {
  LspTestClient client;
  client.initialize();
  json error = client.call("recurrent/noSuchThing", json::object()).takeError();
  CHECK(error["code"] == protocol::MethodNotFound);
  CHECK(error["message"].get<std::string>().find("recurrent/noSuchThing") != std::string::npos);
  error = client.call("textDocument/hover", {{"textDocument", {{"uri", 42}}}, {"position", {{"line", 0}, {"character", 0}}}})
              .takeError();
  CHECK(error["code"] == protocol::InvalidParams);
  CHECK(error["message"].get<std::string>().find("textDocument.uri: expected a string") != std::string::npos);
  error = client.call("textDocument/hover", {{"textDocument", {{"uri", "file:///x"}}}}).takeError();
  CHECK(error["message"].get<std::string>().find("position: missing") != std::string::npos);
  // A string id comes back as the same string.
  client.transport().clientSend(R"({"jsonrpc":"2.0","id":"req-1","method":"nope"})");
  auto reply = client.takeUnmatchedErrors(); // string ids are not the test client's own
  REQUIRE(reply.size() == 1);
  CHECK(reply[0]["id"] == "req-1");
  CHECK(reply[0]["error"]["code"] == protocol::MethodNotFound);
}

TEST_CASE("errors: a command's bad argument is named, and nothing runs") {
  LspTestClient client;
  client.initialize();
  const std::string uri = test::testUri("a.md");
  client.open(uri, "# One\n\nText.\n");
  client.sync();
  auto commandError = [&](const std::string &command, json arguments) {
    json error = client.call("workspace/executeCommand", {{"command", command}, {"arguments", arguments}}).takeError();
    CHECK(error["code"] == protocol::InvalidParams);
    return error["message"].get<std::string>();
  };
  CHECK(commandError("recurrent.continue", json::array()).find("arguments: expected one object") != std::string::npos);
  CHECK(commandError("recurrent.continue", json::array({42})).find("arguments[0]: expected an object") != std::string::npos);
  CHECK(commandError("recurrent.continue", json::array({json::object()})).find("arguments[0].uri: missing") !=
        std::string::npos);
  CHECK(commandError("recurrent.continue", json::array({{{"uri", uri}, {"planIndex", "two"}}}))
            .find("arguments[0].planIndex: expected an integer") != std::string::npos);
  CHECK(commandError("recurrent.setPlans", json::array({{{"uri", uri}, {"plans", json::array()}}}))
            .find("arguments[0].plans: expected a non-empty array") != std::string::npos);
  CHECK(commandError("recurrent.check", json::array({{{"uri", uri}, {"range", {{"start", 1}}}}}))
            .find("arguments[0].range.start") != std::string::npos);
  CHECK(commandError("recurrent.newStory", json::array({{{"uri", "file:///not/open.md"}, {"topic", "x"}}}))
            .find("the document is not open") != std::string::npos);
  CHECK(client.stop() == 0);
}

TEST_CASE("errors: garbage, invalid JSON, wrong lengths and a 64 MiB message, the server keeps answering") {
  LspTestClient::Options options;
  options.framing.maxMessageBytes = 32u << 20;
  LspTestClient client(options);
  client.initialize();

  client.transport().clientSendRaw("\x01\x02 garbage bytes \xff\r\n\r\n");
  client.transport().clientSend("{\"jsonrpc\":\"2.0\",\"id\":1,");
  client.transport().clientSendRaw("Content-Length: 5\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}");
  client.transport().clientSend(std::string(64u << 20, ' '));
  client.transport().clientSend(std::string(1000, '[') + std::string(1000, ']'));

  auto errors = client.takeUnmatchedErrors();
  REQUIRE(errors.size() == 3); // invalid JSON, the truncated body, the nesting bomb
  for (const auto &e : errors) {
    CHECK(e["id"].is_null());
    CHECK(e["error"]["code"] == protocol::ParseError);
  }
  auto logs = client.takeNotifications("window/logMessage");
  std::string all;
  for (const auto &l : logs)
    all += l["message"].get<std::string>() + "\n";
  CAPTURE(all);
  CHECK(all.find("malformed header line") != std::string::npos);
  CHECK(all.find("67108864 bytes exceeds the limit") != std::string::npos);
  // Still answering.
  CHECK(client.call("textDocument/foldingRange", {{"textDocument", {{"uri", test::testUri("none.md")}}}})
            .takeError()["code"] == protocol::InvalidParams);
  CHECK(client.stop() == 0);
}

TEST_CASE("cancellation: a request cancelled while queued answers -32800") {
  LspTestClient client;
  client.initialize();
  client.open(test::testUri("a.md"), "# One\n\nText.\n");
  client.sync();
  // Hold the main strand so the request and its cancel are both read before it runs.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  client.server().post([released] { released.wait(); });
  std::size_t read = client.transport().readCount();
  auto call = client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", test::testUri("a.md")}}}});
  client.notify("$/cancelRequest", {{"id", call.id()}});
  client.notify("$/recurrent/noop", nullptr); // once this is read, the reader has applied the cancel
  REQUIRE(client.transport().waitUntilRead(read + 3, std::chrono::seconds(10)));
  release.set_value();
  json error = call.takeError();
  CHECK(error["code"] == protocol::RequestCancelled);
  // A cancel for a request already answered is harmless.
  client.notify("$/cancelRequest", {{"id", call.id()}});
  CHECK(client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", test::testUri("a.md")}}}})
            .take()
            .is_array());
}

TEST_CASE("trace: $/setTrace messages echoes received requests as $/logTrace") {
  LspTestClient client;
  client.initialize();
  client.notify("$/setTrace", {{"value", "messages"}});
  client.call("textDocument/foldingRange", {{"textDocument", {{"uri", test::testUri("none.md")}}}}).takeError();
  auto traces = client.takeNotifications("$/logTrace");
  REQUIRE_FALSE(traces.empty());
  CHECK(traces[0]["message"].get<std::string>().find("textDocument/foldingRange") != std::string::npos);
  client.notify("$/setTrace", {{"value", "off"}});
  client.sync();
  client.takeNotifications("$/logTrace");
  client.sync();
  CHECK(client.takeNotifications("$/logTrace").empty());
}
