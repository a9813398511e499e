// Fuzzes the SSE parser: no crash on any bytes, and the events never depend on how the
// stream is split into chunks (the first input byte chooses the split points).
#include "engine/llm/SseParser.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

using recurrent::engine::SseEvent;
using recurrent::engine::SseParser;

namespace {
std::vector<SseEvent> parse(std::string_view stream, size_t step) {
  SseParser p;
  std::vector<SseEvent> out;
  for (size_t pos = 0; pos < stream.size(); pos += step)
    for (auto &e : p.feed(stream.substr(pos, step)))
      out.push_back(std::move(e));
  if (auto last = p.finish())
    out.push_back(std::move(*last));
  return out;
}

bool same(const std::vector<SseEvent> &a, const std::vector<SseEvent> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].id != b[i].id || a[i].retryMs != b[i].retryMs)
      return false;
  return true;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t step = 1 + data[0] % 17;
  std::string_view stream(reinterpret_cast<const char *>(data) + 1, size - 1);
  auto whole = parse(stream, stream.size() + 1);
  auto pieces = parse(stream, step);
  if (!same(whole, pieces))
    std::abort();
  return 0;
}
