// Fuzzes the lenient long-term-memory parser: any bytes, no crash, no undefined behaviour.
#include "engine/memory/LongTermMemory.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::vector<std::string> bad;
  auto entries = recurrent::engine::parseMemoryFile(std::string_view(reinterpret_cast<const char *>(data), size), bad);
  (void)entries;
  return 0;
}
