// The structured inputs behind each prompt, attached to ChatRequest::payload.
//
// An LLM reads the prompt's prose; the offline model cannot, so every request the
// recurrence builds also carries the same inputs as data. The payload also carries
// the prompt's budget report, so the call log and the context viewer can show what
// was included and trimmed. Immutable once attached (shared between threads).
#pragma once

#include "engine/story/StoryState.h"
#include "engine/story/TokenBudget.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace recurrent::engine {

struct TaskPayload {
  std::string task;                          ///< "init", "adopt", "step", "select", "plans", "summarize"
  std::string language, genre, topic, premise, title, outline, synopsis;
  StoryMode mode = StoryMode::Novel;
  std::string shortTermMemory;
  std::string plan;                          ///< step: the plan to follow
  std::vector<std::string> recentParagraphs; ///< the text just before the new paragraph, oldest first
  std::vector<std::string> retrieved;        ///< step: long-term memories included in the prompt
  std::vector<std::string> candidatePlans;   ///< select: the plans to choose from
  std::vector<std::string> texts;            ///< summarize: the paragraphs; adopt: the paragraph summaries
  /// The manuscript so far: the offline model learns the story's voice from it. May be null.
  std::shared_ptr<const std::string> corpus;
  bool inviteNewCharacter = false;
  std::uint64_t seed = 0;                    ///< derived from the story's seed and step
  BudgetReport budget;                       ///< what the prompt builder included and trimmed
};

} // namespace recurrent::engine
