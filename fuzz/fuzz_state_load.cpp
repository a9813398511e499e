// Fuzzes the story state's parsers (story.json, short-term-memory.md, plans.md): any bytes a
// writer's editor or a crash could leave must load or be rejected, never crash, and what
// loads must survive a render/parse round trip.
#include "engine/story/StoryState.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace recurrent::engine;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  auto parsed = parseStoryJson(bytes);
  if (parsed.readable) {
    auto again = parseStoryJson(renderStoryJson(parsed.state));
    if (!again.readable || again.state.step != parsed.state.step || again.state.title != parsed.state.title)
      std::abort();
  }
  auto memory = parseShortTermMemoryMarkdown(bytes);
  auto memoryAgain = parseShortTermMemoryMarkdown(renderShortTermMemoryMarkdown(memory.memory, memory.rationale, ""));
  (void)memoryAgain;
  auto plans = parsePlansMarkdown(bytes);
  auto plansAgain = parsePlansMarkdown(renderPlansMarkdown(plans, StoryMode::Novel, "note"));
  (void)plansAgain;
  return 0;
}
