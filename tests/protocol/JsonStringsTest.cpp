// Long string literals decoded beside nlohmann must give exactly nlohmann's result.
#include "protocol/JsonRpc.h"
#include "protocol/JsonStrings.h"

#include <doctest/doctest.h>

#include <random>

using namespace recurrent::protocol;

namespace {

/// A message as comparable JSON: its kind and everything it carries.
json describe(const Message &m) {
  return std::visit(
      [](const auto &v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Request>)
          return {{"request", idToJson(v.id)}, {"method", v.method}, {"params", v.params}};
        else if constexpr (std::is_same_v<T, Notification>)
          return {{"notification", v.method}, {"params", v.params}};
        else if constexpr (std::is_same_v<T, Response>)
          return {{"response", idToJson(v.id)}, {"result", v.result.value_or(json("<none>"))},
                  {"error", v.error ? errorToJson(*v.error) : json(nullptr)}};
        else
          return {{"malformed", v.id ? idToJson(*v.id) : json(nullptr)}, {"error", errorToJson(v.error)}};
      },
      m);
}

/// parseMessage with every string on the fast path agrees with nlohmann alone.
void checkSame(const std::string &body) {
  ParseLimits fast, slow;
  fast.longString = 1;
  slow.longString = 0;
  json a = describe(parseMessage(body, fast)), b = describe(parseMessage(body, slow));
  CHECK_MESSAGE(a == b, "body: " << body);
}

std::string didOpen(const std::string &literal) {
  return R"({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.md",)"
         R"("languageId":"markdown","version":1,"text":)" + literal + "}}}";
}

} // namespace

TEST_CASE("json strings: a long didOpen text takes the fast path and matches nlohmann") {
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "Line " + std::to_string(i) + ": \"quoted\", a\ttab, caf\xC3\xA9, \xF0\x9F\x93\x96 and \\ a backslash.\n";
  std::string body = didOpen(json(text).dump());
  auto scan = scanJson(body, 64 * 1024);
  REQUIRE(scan.longStrings.size() == 1);
  CHECK(scan.depth == 3);
  auto m = parseMessage(body);
  REQUIRE(std::holds_alternative<Notification>(m));
  CHECK(std::get<Notification>(m).params["textDocument"]["text"] == text);
  checkSame(body);
}

TEST_CASE("json strings: escapes decode like nlohmann") {
  CHECK(decodeJsonString(R"("a\"b\\c\/d\b\f\n\r\t")") == std::string("a\"b\\c/d\b\f\n\r\t"));
  CHECK(decodeJsonString(R"("\u00e9\u4e2d\uD83D\uDCD6\u0000x")") ==
        std::string("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x93\x96") + std::string(1, '\0') + "x");
  // Anything doubtful is left to nlohmann.
  for (const char *bad : {R"("\ud800")", R"("\udc00x")", R"("\ud800\u0041")", R"("\x")", R"("\u12G4")", "\"a\x01\"",
                          "\"\xFF\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"",
                          R"("abc)", R"("a\")"})
    CHECK_FALSE(decodeJsonString(bad).has_value());
}

TEST_CASE("json strings: tricky bodies give the same message on both paths") {
  for (const std::string &body : {
           didOpen(R"("plain")"),
           didOpen(R"("\ud800 lone surrogate")"),
           didOpen("\"raw \xFF byte\""),
           didOpen("\"control \x01 char\""),
           didOpen(R"("has \u0000 inside")"),
           // A client string equal to the placeholder, beside a long literal.
           std::string(R"({"jsonrpc":"2.0","method":"m","params":{"a":"long text here","b":"\u0000recurrent:0"}})"),
           std::string(R"({"jsonrpc":"2.0","method":"m","params":{"a":"long text here","a":"\u0000recurrent:0"}})"),
           // Duplicate keys: the last wins, even over a long literal.
           std::string(R"({"jsonrpc":"2.0","method":"m","params":{"a":"long text here","a":"short"}})"),
           std::string(R"({"jsonrpc":"2.0","method":"m","params":{"a":"short","a":"long text here"}})"),
           // Long keys, arrays, several literals, ids and methods as literals too.
           std::string(R"({"jsonrpc":"2.0","id":"a long string id","method":"a long method name","params":)"
                       R"({"a long key name":["one long value","two \"long\" values",{"x":"three"}]}})"),
           std::string(R"({"jsonrpc":"2.0","id":4,"result":{"text":"a long result text"}})"),
           std::string(R"({"jsonrpc":"2.0","method":"m","params":{"a":"unterminated)"),
           std::string(R"({"jsonrpc":"2.0","method":"m","params":{"a":"x"} trailing)"),
       })
    checkSame(body);
}

TEST_CASE("json strings: random literals give the same message on both paths") {
  const char *pieces[] = {"a", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\uD83D\\uDCD6", "\\ud800", "\\udc00",
                          "\\u0000", "\xC3\xA9", "\xF0\x9F\x93\x96", "\xFF", "\xED\xA0\x80", "\x01", "\\x", "\"",
                          "recurrent:0", "{", "]"};
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1), length(0, 12);
  for (int i = 0; i < 3000; ++i) {
    auto literal = [&] {
      std::string s = "\"";
      for (std::size_t n = length(rng); n > 0; --n)
        s += pieces[pick(rng)];
      return s + "\"";
    };
    std::string body = R"({"jsonrpc":"2.0","method":"m","params":{"a":)" + literal() + R"(,"b":[)" + literal() + "," +
                       literal() + "]," + literal() + ":" + literal() + "}}";
    checkSame(body);
  }
}

TEST_CASE("json strings: the fast path is taken for ordinary bodies and refused where it could differ") {
  auto fast = [](const std::string &body) { return parseJsonWithLongStrings(body, scanJson(body, 8).longStrings); };
  auto tree = fast(R"({"a":"long text","b":["more text",1],"c":"x"})");
  REQUIRE(tree.has_value());
  CHECK(*tree == json::parse(R"({"a":"long text","b":["more text",1],"c":"x"})"));
  // A \u0000 outside the long literals could spell a placeholder: left to nlohmann.
  CHECK_FALSE(fast(R"({"a":"long text","b":"\u0000"})").has_value());
  CHECK(fast(R"({"a":"long text","b":"\u0000recurrent:0"})") == json::parse(R"({"a":"long text","b":"\u0000recurrent:0"})"));
  // A duplicate key dropped a long literal, or a long literal is a key.
  CHECK_FALSE(fast(R"({"a":"long text","a":"x"})").has_value());
  CHECK_FALSE(fast(R"({"long key":1})").has_value());
  // Malformed elsewhere.
  CHECK_FALSE(fast(R"({"a":"long text",})").has_value());
}
