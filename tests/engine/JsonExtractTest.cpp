// Tolerant JSON extraction from model answers, and the JSON-Schema subset check.
#include "engine/llm/JsonExtract.h"
#include "engine/llm/Reasoning.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;

namespace {
std::string extract(std::string_view answer) {
  auto r = extractJsonObject(answer);
  return r.ok() ? *r : "ERROR: " + r.error().message;
}
} // namespace

TEST_CASE("extraction: plain, fenced, chattered and messy answers") {
  CHECK(extract(R"({"a":1})") == R"({"a":1})");
  CHECK(extract("  \n{ \"a\" : [1, 2] }\n") == R"({"a":[1,2]})");
  CHECK(extract("```json\n{\"a\":1}\n```") == R"({"a":1})");
  CHECK(extract("```\n{\"a\":1}\n```") == R"({"a":1})");
  CHECK(extract("```JSON\n{\"a\":1}\n```\nHope this helps!") == R"({"a":1})");
  CHECK(extract("Here is the plan:\n{\"a\":\"x\"}\nLet me know.") == R"({"a":"x"})");
  CHECK(extract("Sure. {\"a\": {\"b\": {\"c\": 3}}} done") == R"({"a":{"b":{"c":3}}})");
  // Braces and quotes inside strings do not confuse the scan.
  CHECK(extract(R"(Note {"text":"a } brace and a \" quote {","n":1} end)") ==
        R"({"text":"a } brace and a \" quote {","n":1})");
  // Trailing commas, as models like to write them.
  CHECK(extract("{\"plans\": [\"a\", \"b\",],\n}") == R"({"plans":["a","b"]})");
  // A comma inside a string stays.
  CHECK(extract(R"({"s":"x,]"})") == R"({"s":"x,]"})");
  // An example object in prose before the real one: the first parseable one wins.
  CHECK(extract("Use {braces} like this: {\"ok\":true}") == R"({"ok":true})");
  // UTF-8 is kept as is.
  CHECK(extract("{\"t\":\"船は行く\"}") == "{\"t\":\"船は行く\"}");
  // An unclosed fence still yields its object.
  CHECK(extract("```json\n{\"a\":2}\n") == R"({"a":2})");
}

TEST_CASE("extraction: answers without a usable object fail with a reason") {
  auto r = extractJsonObject("");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::BadAnswer);
  CHECK(r.error().message == "the answer is empty");
  CHECK(extract("I cannot do that.") == "ERROR: the answer holds no JSON object");
  CHECK(extract("{\"a\": [1, 2") == "ERROR: the answer's JSON object is incomplete or malformed");
  CHECK(extract("[1, 2, 3]") == "ERROR: the answer holds no JSON object");
  CHECK(extract("{\"a\": \"\xff\"}").rfind("ERROR", 0) == 0); // invalid UTF-8
}

TEST_CASE("schema: conforming documents pass") {
  const char *schema = R"({"type":"object","required":["title","plans","n"],"properties":{
    "title":{"type":"string","minLength":1},
    "plans":{"type":"array","minItems":3,"maxItems":3,"items":{"type":"string"}},
    "n":{"type":"integer","minimum":0,"maximum":10},
    "mood":{"enum":["dark","light"]},
    "extra":{"type":["string","null"]}}})";
  CHECK_FALSE(checkJsonSchema(R"({"title":"T","plans":["a","b","c"],"n":3})", schema));
  CHECK_FALSE(checkJsonSchema(R"({"title":"T","plans":["a","b","c"],"n":3.0,"mood":"dark","extra":null})", schema));
  CHECK_FALSE(checkJsonSchema(R"({"title":"T","plans":["a","b","c"],"n":3,"unknown":1})", schema));
}

TEST_CASE("schema: each violation names the place") {
  const char *schema = R"({"type":"object","required":["title","plans","n"],"properties":{
    "title":{"type":"string","minLength":2},
    "plans":{"type":"array","minItems":3,"maxItems":3,"items":{"type":"string"}},
    "n":{"type":"integer","minimum":0,"maximum":10},
    "mood":{"enum":["dark","light"]},
    "nested":{"type":"object","required":["x"]}}})";
  auto check = [&](const char *doc) { return checkJsonSchema(doc, schema).value_or("OK"); };
  CHECK(check(R"({"plans":["a","b","c"],"n":1})") == "$: missing the required property \"title\"");
  CHECK(check(R"({"title":5,"plans":["a","b","c"],"n":1})") == "$.title: expected string, got integer");
  CHECK(check(R"({"title":"船","plans":["a","b","c"],"n":1})") == "$.title: expected at least 2 characters");
  CHECK(check(R"({"title":"TT","plans":["a","b"],"n":1})") == "$.plans: expected at least 3 items, got 2");
  CHECK(check(R"({"title":"TT","plans":["a","b","c","d"],"n":1})") == "$.plans: expected at most 3 items, got 4");
  CHECK(check(R"({"title":"TT","plans":["a",2,"c"],"n":1})") == "$.plans[1]: expected string, got integer");
  CHECK(check(R"({"title":"TT","plans":["a","b","c"],"n":1.5})") == "$.n: expected integer, got number");
  CHECK(check(R"({"title":"TT","plans":["a","b","c"],"n":11})") == "$.n: 11 is above the maximum 10");
  CHECK(check(R"({"title":"TT","plans":["a","b","c"],"n":-1})") == "$.n: -1 is below the minimum 0");
  CHECK(check(R"({"title":"TT","plans":["a","b","c"],"n":1,"mood":"grey"})") ==
        "$.mood: \"grey\" is not one of [\"dark\",\"light\"]");
  CHECK(check(R"({"title":"TT","plans":["a","b","c"],"n":1,"nested":{}})") ==
        "$.nested: missing the required property \"x\"");
  CHECK(check(R"([1])") == "$: expected object, got array");
  CHECK(checkJsonSchema("{}", "not a schema").value_or("OK") == "the schema is not valid JSON");
  CHECK(checkJsonSchema("nope", "{}").value_or("OK") == "the answer is not valid JSON");
}

// --- reasoning ---------------------------------------------------------------------------

TEST_CASE("a draft object inside <think> or before a lone </think> is never the answer") {
  const std::string answer = R"({"choice":2})";
  const std::string draft = R"(First idea: {"choice": 1}. No, the second is better.)";
  for (const std::string &text : {"<think>" + draft + "</think>\n" + answer, "\n  <think>\n" + draft + "\n</think>" + answer,
                                  draft + "\n</think>\n\n" + answer}) {
    CAPTURE(text);
    auto got = extractJsonObject(text);
    REQUIRE(got);
    CHECK(*got == answer);
    auto split = splitReasoning(text);
    CHECK(split.reasoning.find("First idea") == 0);
    CHECK(split.answer.find(answer) != std::string::npos);
  }
  // Cut off while thinking: no answer at all, not the draft.
  CHECK_FALSE(extractJsonObject("<think>" + draft));
  CHECK(splitReasoning("no reasoning here").answer == "no reasoning here");
  CHECK(splitReasoning("no reasoning here").reasoning.empty());
}

TEST_CASE("an answer that is one object keeps a </think> inside its strings, and extracts to itself again") {
  const std::string answer = R"({"en</think>um":["y"],"text":"she wrote </think> on the wall"})";
  auto got = extractJsonObject(answer);
  REQUIRE(got);
  CHECK(*got == answer);
  auto again = extractJsonObject(*got);
  REQUIRE(again);
  CHECK(*again == *got);
  // A draft object before a lone </think> is still reasoning: the text is no single object.
  got = extractJsonObject(R"({"choice": 1} no, better: </think> {"choice":2})");
  REQUIRE(got);
  CHECK(*got == R"({"choice":2})");
}

TEST_CASE("the streaming splitter previews only the answer, whatever the split offsets") {
  const std::string text = "<think>a {\"x\":1} draft</think>\n{\"x\":2}";
  for (size_t step = 1; step <= text.size(); ++step) {
    CAPTURE(step);
    ReasoningSplitter splitter;
    std::string preview;
    for (size_t i = 0; i < text.size(); i += step)
      preview += splitter.feed(std::string_view(text).substr(i, step));
    CHECK(preview == "\n{\"x\":2}");
    auto split = splitter.finish();
    CHECK(split.reasoning == "a {\"x\":1} draft");
    CHECK(split.answer == "\n{\"x\":2}");
  }
  ReasoningSplitter plain;
  CHECK(plain.feed("<th") == "");    // could still be a <think>
  CHECK(plain.feed("e end") == "<the end");
}

TEST_CASE("a JSON answer's preview holds reasoning that a lone </think> closes, whatever the split offsets") {
  // DeepSeek-R1's template opens <think> in the prompt: the content starts with the draft itself.
  const std::string text = "Okay, a first {\"paragraph\":\"draft\"} then</think>\n{\"paragraph\":\"final\"}";
  for (size_t step = 1; step <= text.size(); ++step) {
    CAPTURE(step);
    ReasoningSplitter splitter(true);
    std::string preview;
    for (size_t i = 0; i < text.size(); i += step)
      preview += splitter.feed(std::string_view(text).substr(i, step));
    CHECK(preview == "\n{\"paragraph\":\"final\"}");
    CHECK(splitter.finish().reasoning == "Okay, a first {\"paragraph\":\"draft\"} then");
  }
  ReasoningSplitter json(true); // JSON or a fenced block is the answer at once
  CHECK(json.feed(" {\"a\":") == " {\"a\":");
  ReasoningSplitter fenced(true);
  CHECK(fenced.feed("```json\n{") == "```json\n{");
  ReasoningSplitter prose(true); // prose with no </think> at all: nothing previewed, the answer whole at the end
  CHECK(prose.feed("Here is the answer: {\"a\":1}") == "");
  CHECK(prose.finish().answer == "Here is the answer: {\"a\":1}");
}
