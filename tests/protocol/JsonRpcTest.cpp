#include "protocol/JsonRpc.h"
#include "protocol/Lsp.h"

#include <doctest/doctest.h>

using namespace recurrent::protocol;

TEST_CASE("jsonrpc: requests, notifications and responses with int or string ids") {
  auto m = parseMessage(R"({"jsonrpc":"2.0","id":7,"method":"a","params":{"x":1}})");
  REQUIRE(std::holds_alternative<Request>(m));
  CHECK(std::get<Request>(m).id == RequestId(std::int64_t{7}));
  CHECK(std::get<Request>(m).params["x"] == 1);
  m = parseMessage(R"({"jsonrpc":"2.0","id":"abc","method":"a"})");
  REQUIRE(std::holds_alternative<Request>(m));
  CHECK(std::get<Request>(m).id == RequestId(std::string("abc")));
  m = parseMessage(R"({"jsonrpc":"2.0","method":"n"})");
  CHECK(std::holds_alternative<Notification>(m));
  m = parseMessage(R"({"jsonrpc":"2.0","id":3,"result":null})");
  REQUIRE(std::holds_alternative<Response>(m));
  CHECK(std::get<Response>(m).result->is_null());
  m = parseMessage(R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}})");
  REQUIRE(std::holds_alternative<Response>(m));
  CHECK(std::get<Response>(m).error->code == -32601);
}

TEST_CASE("jsonrpc: malformed bodies map to ParseError or InvalidRequest") {
  auto code = [](std::string_view body) {
    auto m = parseMessage(body);
    return std::holds_alternative<Malformed>(m) ? std::get<Malformed>(m).error.code : 0;
  };
  CHECK(code("{not json") == ParseError);
  CHECK(code("") == ParseError);
  CHECK(code("\xff\xfe") == ParseError);
  CHECK(code("[1,2]") == InvalidRequest);
  CHECK(code(R"({"jsonrpc":"1.0","id":1,"method":"a"})") == InvalidRequest);
  CHECK(code(R"({"jsonrpc":"2.0","id":1.5,"method":"a"})") == InvalidRequest);
  CHECK(code(R"({"jsonrpc":"2.0","id":1,"method":3})") == InvalidRequest);
  CHECK(code(R"({"jsonrpc":"2.0","id":1,"method":"a","params":5})") == InvalidRequest);
  CHECK(code(R"({"jsonrpc":"2.0","id":1})") == InvalidRequest);
  // The id survives into the error when it could be read.
  auto m = parseMessage(R"({"jsonrpc":"2.0","id":9,"method":"a","params":"x"})");
  REQUIRE(std::holds_alternative<Malformed>(m));
  CHECK(std::get<Malformed>(m).id == RequestId(std::int64_t{9}));
}

TEST_CASE("jsonrpc: nesting deeper than the cap is rejected before parsing") {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto m = parseMessage(deep);
  REQUIRE(std::holds_alternative<Malformed>(m));
  CHECK(std::get<Malformed>(m).error.code == ParseError);
  CHECK(std::get<Malformed>(m).error.message.find("nested") != std::string::npos);
  CHECK(jsonNestingDepth(R"({"a":"[[[[","b":[{}]})") == 3);
}

TEST_CASE("jsonrpc: serialisation") {
  CHECK(json::parse(serializeError(std::nullopt, {ParseError, "bad", std::nullopt}))["id"].is_null());
  auto r = json::parse(serializeResult(RequestId(std::string("x")), json{{"a", 1}}));
  CHECK(r["id"] == "x");
  CHECK(r["jsonrpc"] == "2.0");
  auto n = json::parse(serializeNotification("m", nullptr));
  CHECK_FALSE(n.contains("params"));
}

TEST_CASE("lsp types: a bad field is named, absent optionals are omitted") {
  ParseIssue issue;
  DidChangeTextDocumentParams change;
  json params = json::parse(R"({"textDocument":{"uri":"u","version":2},
                                "contentChanges":[{"text":"a"},{"range":{"start":{"line":0,"character":"x"},
                                                   "end":{"line":0,"character":1}},"text":"b"}]})");
  CHECK_FALSE(parseParams(params, change, issue));
  CHECK(issue.describe() == "contentChanges[1].range.start.character: expected a non-negative integer");
  params["contentChanges"][1]["range"]["start"]["character"] = 0;
  CHECK(parseParams(params, change, issue));
  CHECK(change.contentChanges.size() == 2);
  CHECK_FALSE(change.contentChanges[0].range);
  DidOpenTextDocumentParams open;
  CHECK_FALSE(parseParams(json::parse(R"({"textDocument":{"uri":"u","version":1}})"), open, issue));
  CHECK(issue.describe() == "textDocument.text: missing");
  json symbol = DocumentSymbol{"Chapter 1", std::nullopt, SymbolKind::Module, {}, {}, {}};
  CHECK_FALSE(symbol.contains("detail"));
  CHECK_FALSE(symbol.contains("children"));
  CHECK(symbol["kind"] == 2);
  InitializeParams init;
  CHECK(parseParams(json::parse(R"({"processId":null,"capabilities":{"general":{"positionEncodings":["utf-8","utf-16"]},
                                    "window":{"workDoneProgress":true}}})"),
                    init, issue));
  CHECK(init.capabilities.positionEncodings.size() == 2);
  CHECK(init.capabilities.workDoneProgress);
  CHECK_FALSE(init.capabilities.workspaceConfiguration);
}
