// Document sync, features, settings and progress through the real server.
#include "server/Progress.h"
#include "tests/support/LspTestClient.h"

#include <doctest/doctest.h>

#include <future>
#include <string>

using namespace recurrent;
using recurrent::test::json;
using recurrent::test::LspTestClient;

namespace {

/// UTF-16 length of UTF-8 text, counted independently of protocol/Encoding.
std::uint32_t utf16Length(std::string_view s) {
  std::uint32_t units = 0;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

/// The client's view of a position: line and UTF-16 column of byte `offset` in `text`.
json clientPosition(const std::string &text, std::size_t offset) {
  std::size_t lineStart = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  lineStart = (lineStart == std::string::npos || offset == 0) ? 0 : lineStart + 1;
  std::uint32_t line = 0;
  for (std::size_t i = 0; i < lineStart; ++i)
    line += text[i] == '\n';
  return {{"line", line}, {"character", utf16Length(std::string_view(text).substr(lineStart, offset - lineStart))}};
}

json textDocument(const std::string &uri) { return {{"textDocument", {{"uri", uri}}}}; }

template <typename T> T onMainStrand(LspTestClient &client, std::function<T()> fn) {
  std::promise<T> promise;
  client.server().post([&] { promise.set_value(fn()); });
  return promise.get_future().get();
}

const std::string kStory = "# Chapter One\n"
                           "\n"
                           "Snow 😀 fell on the 雪 roofs.\n"
                           "It kept falling.\n"
                           "\n"
                           "***\n"
                           "\n"
                           "第二 scene starts here.\n"
                           "\n"
                           "# Chapter Two\n"
                           "\n"
                           "The end 👩‍👩‍👧 came.\n";

} // namespace

TEST_CASE("documents: symbols and folding ranges for chapters and scenes") {
  LspTestClient client;
  client.initialize();
  std::string uri = test::testUri("story.md");
  client.open(uri, kStory);
  json symbols = client.call("textDocument/documentSymbol", textDocument(uri)).take();
  REQUIRE(symbols.size() == 2);
  CHECK(symbols[0]["name"] == "Chapter One");
  CHECK(symbols[0]["range"]["start"] == json{{"line", 0}, {"character", 0}});
  REQUIRE(symbols[0]["children"].size() == 2);
  json scene1 = symbols[0]["children"][0];
  CHECK(scene1["name"] == "Scene 1");
  CHECK(scene1["range"]["start"] == clientPosition(kStory, kStory.find("Snow")));
  CHECK(scene1["range"]["end"] == clientPosition(kStory, kStory.find("falling.") + 8));
  json scene2 = symbols[0]["children"][1];
  CHECK(scene2["range"]["end"] == clientPosition(kStory, kStory.find("here.") + 5));
  CHECK(symbols[1]["name"] == "Chapter Two");
  CHECK(symbols[1]["range"]["end"] == clientPosition(kStory, kStory.find("came.") + 5));

  json folds = client.call("textDocument/foldingRange", textDocument(uri)).take();
  bool chapterOne = false;
  for (const auto &f : folds)
    chapterOne = chapterOne || (f["startLine"] == 0 && f["endLine"] == 7);
  CHECK(chapterOne);
}

TEST_CASE("documents: incremental edits with emoji and CJK before the edit point keep ranges right") {
  LspTestClient client;
  client.initialize();
  std::string uri = test::testUri("edit.md");
  std::string text = kStory;
  client.open(uri, text);
  int version = 1;
  auto edit = [&](std::size_t begin, std::size_t end, const std::string &replacement) {
    json change = {{"range", {{"start", clientPosition(text, begin)}, {"end", clientPosition(text, end)}}},
                   {"text", replacement}};
    text.replace(begin, end - begin, replacement);
    client.notify("textDocument/didChange",
                  {{"textDocument", {{"uri", uri}, {"version", ++version}}}, {"contentChanges", {change}}});
  };
  // After the emoji and the CJK character on the same line.
  std::size_t at = text.find("roofs");
  edit(at, at, "red 🍎 ");
  // Replace a word after an emoji (a range that spans nothing but ASCII, placed after a surrogate pair).
  at = text.find("fell");
  edit(at, at + 4, "drifted");
  // A new scene break and paragraph inside the second chapter, after a ZWJ emoji sequence.
  at = text.find("came.") + 5;
  edit(at, at, "\n\n* * *\n\n中文 段落 ✨ ends.");
  // Delete across lines.
  std::size_t from = text.find("It kept");
  edit(from, text.find("\n", from) + 1, "");

  json symbols = client.call("textDocument/documentSymbol", textDocument(uri)).take();
  REQUIRE(symbols.size() == 2);
  json scene1 = symbols[0]["children"][0];
  CHECK(scene1["range"]["end"] == clientPosition(text, text.find("roofs.") + 6));
  REQUIRE(symbols[1]["children"].size() == 2);
  CHECK(symbols[1]["children"][0]["range"]["end"] == clientPosition(text, text.find("came.") + 5));
  CHECK(symbols[1]["children"][1]["range"]["start"] == clientPosition(text, text.find("中文")));
  CHECK(symbols[1]["children"][1]["range"]["end"] == clientPosition(text, text.find("ends.") + 5));

  // The server's text equals the client's.
  std::string serverText = onMainStrand<std::string>(client, [&] {
    return std::string(client.server().documents().find(uri)->manuscript.text());
  });
  CHECK(serverText == text);

  // A full-text change replaces everything.
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", ++version}}},
                                           {"contentChanges", {{{"text", "# Only\n\nOne.\n"}}}}});
  symbols = client.call("textDocument/documentSymbol", textDocument(uri)).take();
  REQUIRE(symbols.size() == 1);
  CHECK(symbols[0]["name"] == "Only");
}

TEST_CASE("documents: UTF-8 negotiated positions are byte columns") {
  LspTestClient client;
  client.initialize({{"general", {{"positionEncodings", {"utf-8"}}}}});
  std::string uri = test::testUri("utf8.md");
  client.open(uri, kStory);
  json symbols = client.call("textDocument/documentSymbol", textDocument(uri)).take();
  std::size_t end = kStory.find("came.") + 5;
  CHECK(symbols[1]["range"]["end"]["character"] == end - (kStory.rfind('\n', end - 1) + 1));
}

TEST_CASE("documents: hover on a paragraph gives its number, chapter and words") {
  LspTestClient client;
  client.initialize({{"textDocument", {{"hover", {{"contentFormat", {"plaintext"}}}}}}});
  std::string uri = test::testUri("hover.md");
  client.open(uri, kStory);
  json hover = client.call("textDocument/hover", {{"textDocument", {{"uri", uri}}},
                                                  {"position", {{"line", 3}, {"character", 2}}}})
                   .take();
  std::string value = hover["contents"]["value"];
  CAPTURE(value);
  CHECK(hover["contents"]["kind"] == "plaintext");
  CHECK(value.find("Paragraph 1 of 3") != std::string::npos);
  CHECK(value.find("Chapter One") != std::string::npos);
  CHECK(value.find("words") != std::string::npos);
  CHECK(hover["range"]["start"] == json{{"line", 2}, {"character", 0}});
  // On a blank line: no hover.
  CHECK(client.call("textDocument/hover", {{"textDocument", {{"uri", uri}}}, {"position", {{"line", 1}, {"character", 0}}}})
            .take()
            .is_null());
  // A document that is not open is an error naming the field.
  json error = client.call("textDocument/hover", {{"textDocument", {{"uri", test::testUri("closed.md")}}},
                                                  {"position", {{"line", 0}, {"character", 0}}}})
                   .takeError();
  CHECK(error["message"].get<std::string>().find("textDocument.uri") != std::string::npos);
}

TEST_CASE("documents: a bad didChange is logged and the server goes on") {
  LspTestClient client;
  client.initialize();
  std::string uri = test::testUri("bad.md");
  client.open(uri, "# A\n\nText.\n");
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", "two"}}}, {"contentChanges", json::array()}});
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", test::testUri("nope.md")}, {"version", 2}}},
                                           {"contentChanges", json::array()}});
  auto logs = client.takeNotifications("window/logMessage");
  REQUIRE(logs.size() == 2);
  CHECK(logs[0]["type"] == 1);
  CHECK(logs[0]["message"].get<std::string>().find("textDocument.version: expected an integer") != std::string::npos);
  CHECK(logs[1]["message"].get<std::string>().find("not open") != std::string::npos);
  CHECK(client.call("textDocument/documentSymbol", textDocument(uri)).take().size() == 1);
  client.notify("textDocument/didClose", textDocument(uri));
  CHECK(client.call("textDocument/documentSymbol", textDocument(uri)).takeError()["code"] == protocol::InvalidParams);
}

TEST_CASE("settings: pulled after initialized and per document, refreshed on didChangeConfiguration") {
  LspTestClient client;
  client.settings = {{"provider", "openai"}, {"model", "m1"}, {"topK", 5}, {"temperature", 0.5}, {"apiKey", "no"}};
  client.initialize({{"workspace", {{"configuration", true}}}});
  std::string uri = test::testUri("set.md");
  client.open(uri, "Text.\n");
  auto requests = client.takeRequests("workspace/configuration");
  REQUIRE(requests.size() == 2);
  CHECK(requests[0]["items"][0]["section"] == "recurrent");
  CHECK(requests[1]["items"][0]["scopeUri"] == uri);
  client.sync();
  auto settings = onMainStrand<server::Settings>(client, [&] { return client.server().settingsFor(uri); });
  CHECK(settings.model == "m1");
  CHECK(settings.topK == 5);
  CHECK(settings.temperature == 0.5);
  CHECK_FALSE(settings.baseUrl);
  auto logs = client.takeNotifications("window/logMessage");
  bool warned = false;
  for (const auto &l : logs)
    warned = warned || l["message"].get<std::string>().find("apiKey is ignored") != std::string::npos;
  CHECK(warned);

  client.settings = {{"model", "m2"}, {"topK", "many"}};
  client.notify("workspace/didChangeConfiguration", {{"settings", nullptr}});
  CHECK(client.takeRequests("workspace/configuration").size() == 2);
  client.sync();
  settings = onMainStrand<server::Settings>(client, [&] { return client.server().globalSettings(); });
  CHECK(settings.model == "m2");
  CHECK_FALSE(settings.topK);
  client.takeNotifications("window/logMessage");
}

TEST_CASE("settings: without workspace/configuration, didChangeConfiguration carries them") {
  LspTestClient client;
  client.initialize();
  client.notify("workspace/didChangeConfiguration", {{"settings", {{"recurrent", {{"language", "zh"}}}}}});
  client.sync();
  CHECK(client.takeRequests("workspace/configuration").empty());
  auto settings = onMainStrand<server::Settings>(client, [&] { return client.server().globalSettings(); });
  CHECK(settings.language == "zh");
}

TEST_CASE("progress: create, begin, report, end when supported, nothing otherwise") {
  for (bool supported : {true, false}) {
    CAPTURE(supported);
    LspTestClient client;
    client.initialize({{"window", {{"workDoneProgress", supported}}}});
    client.server().post([&] {
      auto progress = server::Progress::begin(client.server(), "Indexing", true);
      progress->report("half", 50);
      progress->end("done");
    });
    client.sync();
    auto creates = client.takeRequests("window/workDoneProgress/create");
    auto values = client.takeNotifications("$/progress");
    if (!supported) {
      CHECK(creates.empty());
      CHECK(values.empty());
      continue;
    }
    REQUIRE(creates.size() == 1);
    REQUIRE(values.size() == 3);
    CHECK(values[0]["token"] == creates[0]["token"]);
    CHECK(values[0]["value"]["kind"] == "begin");
    CHECK(values[0]["value"]["title"] == "Indexing");
    CHECK(values[0]["value"]["cancellable"] == true);
    CHECK(values[1]["value"]["percentage"] == 50);
    CHECK(values[2]["value"]["kind"] == "end");
  }
}

TEST_CASE("outgoing calls: a reply callback runs, an error reply reaches it too") {
  LspTestClient client;
  client.initialize();
  client.onRequest("workspace/applyEdit", [](const json &params) { return json{{"applied", params.contains("edit")}}; });
  std::promise<json> got;
  client.server().post([&] {
    client.server().call("workspace/applyEdit", {{"edit", json::object()}},
                         [&](std::optional<json> result, std::optional<protocol::ResponseError>) {
                           got.set_value(result ? *result : json("error"));
                         });
  });
  CHECK(got.get_future().get() == json{{"applied", true}});
  std::promise<int> failed;
  client.server().post([&] {
    client.server().call("recurrent/unknownToClient", nullptr,
                         [&](std::optional<json>, std::optional<protocol::ResponseError> e) {
                           failed.set_value(e ? e->code : 0);
                         });
  });
  CHECK(failed.get_future().get() == protocol::MethodNotFound);
}
