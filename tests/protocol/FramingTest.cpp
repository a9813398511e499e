#include "protocol/Framing.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace recurrent::protocol;

namespace {

struct Collected {
  std::vector<std::string> messages;
  std::vector<std::string> errors;
};

Collected drain(FrameDecoder &decoder) {
  Collected out;
  while (auto e = decoder.next())
    (e->kind == FrameEvent::Kind::Message ? out.messages : out.errors).push_back(e->text);
  return out;
}

void append(Collected &into, Collected more) {
  into.messages.insert(into.messages.end(), more.messages.begin(), more.messages.end());
  into.errors.insert(into.errors.end(), more.errors.begin(), more.errors.end());
}

} // namespace

TEST_CASE("framing: a stream split at every byte offset yields the same messages") {
  std::string one = R"({"jsonrpc":"2.0","id":1,"method":"initialize"})";
  std::string two = R"({"jsonrpc":"2.0","method":"x","params":{"text":"雪 😀"}})";
  std::string stream = encodeFrame(one) + "content-length: " + std::to_string(two.size()) +
                       "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + two + encodeFrame("{}");
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder;
    Collected got;
    decoder.feed(std::string_view(stream).substr(0, split));
    append(got, drain(decoder));
    decoder.feed(std::string_view(stream).substr(split));
    append(got, drain(decoder));
    CAPTURE(split);
    REQUIRE(got.errors.empty());
    REQUIRE(got.messages.size() == 3);
    CHECK(got.messages[0] == one);
    CHECK(got.messages[1] == two);
    CHECK(got.messages[2] == "{}");
  }
}

TEST_CASE("framing: one byte at a time") {
  std::string stream = encodeFrame("[1]") + encodeFrame("[2]");
  FrameDecoder decoder;
  Collected got;
  for (char c : stream) {
    decoder.feed(std::string_view(&c, 1));
    append(got, drain(decoder));
  }
  CHECK(got.messages == std::vector<std::string>{"[1]", "[2]"});
  CHECK(decoder.pendingBytes() == 0);
}

TEST_CASE("framing: bad headers give an error and the next message still arrives") {
  struct Case {
    const char *name;
    std::string bad;
    const char *errorMentions;
  };
  std::vector<Case> cases = {
      {"garbage", "hello there\r\n\r\n", "malformed header line 'hello there'"},
      {"no length", "Content-Type: text/plain\r\n\r\n", "without Content-Length"},
      {"garbage without a blank line", std::string(10000, 'x'), "exceeds"},
      {"negative length", "Content-Length: -5\r\n\r\n", "invalid Content-Length '-5'"},
      {"not a number", "Content-Length: ten\r\n\r\n", "invalid Content-Length"},
      {"absurd length", "Content-Length: 99999999999999\r\n\r\n", "absurd"},
      {"header without colon", "Content-Length 12\r\n\r\n", "malformed header"},
  };
  for (const auto &c : cases) {
    std::string name = c.name;
    CAPTURE(name);
    FrameDecoder decoder;
    decoder.feed(c.bad + encodeFrame("{\"ok\":1}"));
    Collected got = drain(decoder);
    REQUIRE(got.errors.size() >= 1);
    CAPTURE(got.errors[0]);
    CHECK(got.errors[0].find(c.errorMentions) != std::string::npos);
    REQUIRE(got.messages.size() == 1);
    CHECK(got.messages[0] == "{\"ok\":1}");
  }
}

TEST_CASE("framing: an oversized message is skipped without buffering it") {
  FrameDecoder::Options options;
  options.maxMessageBytes = 1000;
  FrameDecoder decoder(options);
  decoder.feed("Content-Length: 5000\r\n\r\n");
  Collected got = drain(decoder);
  REQUIRE(got.errors.size() == 1);
  CHECK(got.errors[0].find("5000 bytes exceeds the limit of 1000") != std::string::npos);
  for (int i = 0; i < 50; ++i) {
    decoder.feed(std::string(100, 'z'));
    CHECK(decoder.pendingBytes() == 0);
    append(got, drain(decoder));
  }
  decoder.feed(encodeFrame("{}"));
  append(got, drain(decoder));
  CHECK(got.messages == std::vector<std::string>{"{}"});
  CHECK(got.errors.size() == 1);
}

TEST_CASE("framing: a Content-Length too short leaves garbage that is resynchronised") {
  FrameDecoder decoder;
  decoder.feed("Content-Length: 4\r\n\r\n{\"a\":1}" + encodeFrame("{\"b\":2}"));
  Collected got = drain(decoder);
  REQUIRE(got.messages.size() == 2);
  CHECK(got.messages[0] == "{\"a\"");
  CHECK(got.messages[1] == "{\"b\":2}");
  CHECK(got.errors.size() == 1);
}

TEST_CASE("framing: bare LF header lines are tolerated") {
  FrameDecoder decoder;
  decoder.feed("Content-Length: 2\n\n{}");
  CHECK(drain(decoder).messages == std::vector<std::string>{"{}"});
}

TEST_CASE("delimited transcripts: --- separates, # comments are dropped") {
  std::string text = "# a comment\n{\"a\":1}\n---\n# another\n{\"b\":\n 2}\n---\n\n---\n{\"c\":3}";
  auto messages = splitDelimited(text);
  REQUIRE(messages.size() == 3);
  CHECK(messages[0] == "{\"a\":1}\n");
  CHECK(messages[1] == "{\"b\":\n 2}\n");
  CHECK(messages[2] == "{\"c\":3}\n");
  // Split across feeds.
  DelimitedDecoder decoder;
  for (char c : text)
    decoder.feed(std::string_view(&c, 1));
  decoder.finish();
  int count = 0;
  while (decoder.next())
    ++count;
  CHECK(count == 3);
}
