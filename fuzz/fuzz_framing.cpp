// Fuzzes the Content-Length and delimited decoders: arbitrary bytes, fed in pieces whose sizes come
// from the input itself. Neither may crash, hang, or buffer an oversized body.
#include "protocol/Framing.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  std::size_t step = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);
  recurrent::protocol::FrameDecoder::Options options;
  options.maxMessageBytes = 4096;
  options.maxSkipBytes = 1 << 20;
  options.maxHeaderBytes = 512;
  recurrent::protocol::FrameDecoder frames(options);
  recurrent::protocol::DelimitedDecoder delimited;
  for (std::size_t at = 0; at < input.size(); at += step) {
    auto piece = input.substr(at, step);
    frames.feed(piece);
    delimited.feed(piece);
    while (auto e = frames.next())
      if (e->kind == recurrent::protocol::FrameEvent::Kind::Message && e->text.size() > options.maxMessageBytes)
        __builtin_trap();
    while (delimited.next()) {
    }
    if (frames.pendingBytes() > options.maxMessageBytes + options.maxHeaderBytes + 2 * step + 64)
      __builtin_trap(); // buffered more than one message and its header
  }
  delimited.finish();
  while (delimited.next()) {
  }
  return 0;
}
