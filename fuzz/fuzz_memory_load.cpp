// Fuzzes the lenient long-term-memory parser: any bytes, no crash, no undefined behaviour, and the
// canonical line reader reads exactly what the general JSON reader reads.
#include "engine/memory/LongTermMemory.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace recurrent::engine;
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
  const MemoryFile fast = parseMemoryLog(bytes, MemoryLineReader::Canonical);
  const MemoryFile slow = parseMemoryLog(bytes, MemoryLineReader::Json);
  if (fast.bad != slow.bad || fast.records != slow.records || fast.handEdited != slow.handEdited ||
      fast.entries.size() != slow.entries.size() || memoryEntriesDigest(fast.entries) != memoryEntriesDigest(slow.entries))
    std::abort();
  for (std::size_t i = 0; i < fast.entries.size(); ++i)
    if (fast.entries[i].opening != slow.entries[i].opening || fast.entries[i].words != slow.entries[i].words ||
        fast.entries[i].summarizer != slow.entries[i].summarizer || fast.entries[i].edited != slow.entries[i].edited)
      std::abort();
  return 0;
}
