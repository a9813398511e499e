// The server-sent-events parser, fed whole, byte by byte, and split at every offset.
#include "engine/llm/SseParser.h"

#include <doctest/doctest.h>

using namespace recurrent::engine;

namespace {

std::vector<SseEvent> parseInPieces(std::string_view stream, const std::vector<size_t> &cuts) {
  SseParser p;
  std::vector<SseEvent> out;
  size_t start = 0;
  for (size_t cut : cuts) {
    for (auto &e : p.feed(stream.substr(start, cut - start)))
      out.push_back(std::move(e));
    start = cut;
  }
  for (auto &e : p.feed(stream.substr(start)))
    out.push_back(std::move(e));
  if (auto last = p.finish())
    out.push_back(std::move(*last));
  return out;
}

void checkSame(const std::vector<SseEvent> &got, const std::vector<SseEvent> &want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].event == want[i].event);
    CHECK(got[i].data == want[i].data);
    CHECK(got[i].id == want[i].id);
    CHECK(got[i].retryMs == want[i].retryMs);
  }
}

SseEvent ev(std::string data, std::string event = "message", std::string id = "", std::optional<long> retry = {}) {
  return SseEvent{std::move(event), std::move(data), std::move(id), retry};
}

// Every feature at once, with all three line ends, a BOM, and UTF-8 in the data.
const std::string kStream = "\xEF\xBB\xBF"
                            ": keep-alive comment\n"
                            "data: {\"a\":1}\n\n"
                            "event: delta\r\n"
                            "id: 7\r\n"
                            "data: first line\r\n"
                            "data:second line\r\n"
                            "\r\n"
                            "retry: 1500\r"
                            "data:  two spaces keep one\r"
                            "\r"
                            "data\n"
                            "\n"
                            "id\n"
                            "data: 船は行く\n"
                            "unknown: field\n"
                            "\n"
                            "event: ignored without data\n"
                            "\n"
                            "data: [DONE]\n\n";

const std::vector<SseEvent> kExpected = {
    ev("{\"a\":1}"),
    ev("first line\nsecond line", "delta", "7"),
    ev(" two spaces keep one", "message", "7", 1500),
    ev("", "message", "7"),
    ev("船は行く", "message", ""),
    ev("[DONE]"),
};

} // namespace

TEST_CASE("SSE: a whole stream parses into its events") {
  checkSame(parseInPieces(kStream, {}), kExpected);
}

TEST_CASE("SSE: the same events at every single split offset") {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    CAPTURE(cut);
    checkSame(parseInPieces(kStream, {cut}), kExpected);
  }
}

TEST_CASE("SSE: the same events at every pair of split offsets and byte by byte") {
  for (size_t a = 0; a <= kStream.size(); a += 3)
    for (size_t b = a; b <= kStream.size(); b += 5) {
      CAPTURE(a);
      CAPTURE(b);
      checkSame(parseInPieces(kStream, {a, b}), kExpected);
    }
  std::vector<size_t> everyByte;
  for (size_t i = 1; i < kStream.size(); ++i)
    everyByte.push_back(i);
  checkSame(parseInPieces(kStream, everyByte), kExpected);
}

TEST_CASE("SSE: CR then LF across chunks is one line end, CR CR is two") {
  SseParser p;
  CHECK(p.feed("data: x\r").empty());
  auto events = p.feed("\n\r");
  REQUIRE(events.size() == 1); // "\r\n" ended the data line, the lone "\r" the event
  CHECK(events[0].data == "x");
  events = p.feed("data: y\r\rdata: z\n\n");
  REQUIRE(events.size() == 2);
  CHECK(events[0].data == "y");
  CHECK(events[1].data == "z");
}

TEST_CASE("SSE: an unterminated last event is delivered by finish(), once") {
  SseParser p;
  CHECK(p.feed("data: {\"end\":true}").empty());
  auto last = p.finish();
  REQUIRE(last);
  CHECK(last->data == "{\"end\":true}");
  CHECK_FALSE(p.finish());
}

TEST_CASE("SSE: retry must be all digits, an id with NUL is ignored") {
  auto events = parseInPieces(std::string("retry: 12a\nid: ok\ndata: 1\n\nretry: 30\nid: b") + '\0' + "d\ndata: 2\n\n", {});
  REQUIRE(events.size() == 2);
  CHECK_FALSE(events[0].retryMs);
  CHECK(events[0].id == "ok");
  CHECK(events[1].retryMs == 30);
  CHECK(events[1].id == "ok");
}

TEST_CASE("SSE: buffered bytes are bounded by what is unfinished") {
  SseParser p;
  p.feed("data: 12345");
  CHECK(p.bufferedBytes() == 11);
  p.feed("\n\n");
  CHECK(p.bufferedBytes() == 0);
}
