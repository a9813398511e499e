// Fuzzes JSON extraction and the schema check: no crash on any bytes; an extracted object
// extracts to itself again; the input split at its first NUL is checked as (document, schema).
#include "engine/llm/JsonExtract.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  auto found = recurrent::engine::extractJsonObject(input);
  if (found.ok()) {
    auto again = recurrent::engine::extractJsonObject(*found);
    if (!again.ok() || *again != *found)
      std::abort();
  }
  auto nul = input.find('\0');
  if (nul != std::string_view::npos)
    (void)recurrent::engine::checkJsonSchema(input.substr(0, nul), input.substr(nul + 1));
  return 0;
}
