// The recurrence's prompts: one request builder and one answer parser per task.
//
// Every task asks for one JSON object with a JSON Schema (ChatRequest::jsonSchema),
// and the same parser that reads the final answer is the request's validate hook, so
// an unusable answer is retried by the chat model with the reason. The story's
// language is named in the system message and in every task: never assumed.
// Requests carry a TaskPayload (the same inputs as data, for the offline model) and
// the budget report of the prompt builder.
//
// Tasks: init (genre + topic -> title, outline, opening, memory, plans), adopt (an
// existing manuscript's summaries -> synopsis, memory, plans), step (one call: the
// paragraph, the memory rationale and rewrite, a summary, three plans), select (the
// human simulator picks a plan), plans (three fresh plans), summarize (batched
// one-sentence summaries). Novel and interactive-fiction templates differ in voice
// and in what a plan is (the reader's choices, in second person).
//
// Pure functions; thread-safe.
#pragma once

#include "engine/bible/BiblePrompt.h"
#include "engine/llm/ChatModel.h"
#include "engine/story/StoryState.h"
#include "engine/story/TaskPayload.h"
#include "engine/story/TokenBudget.h"
#include "support/Error.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

struct PromptOptions {
  int contextTokens = 8192;
  int answerTokens = 1800;   ///< kept free for the answer (the step's answer is the longest)
  double temperature = 0.8;
  double bibleShare = 0.25;  ///< the story bible's cap, as a share of the prompt (context minus answer)
  int bibleEntryTokens = 300;///< the cap on one bible entry
};

/// A request and what its prompt holds.
struct PreparedRequest {
  ChatRequest request;
  std::shared_ptr<const TaskPayload> payload;
};

// --- init ---
struct InitInput {
  std::string genre, topic, premise, language;
  StoryMode mode = StoryMode::Novel;
  std::uint64_t seed = 0;
};
struct InitAnswer {
  std::string title, outline;
  std::vector<std::string> paragraphs;
  std::string shortTermMemory;
  std::vector<std::string> plans;
};
Result<PreparedRequest> makeInitRequest(const InitInput &in, const PromptOptions &options);
Result<InitAnswer> parseInitAnswer(std::string_view json, std::string_view language);

// --- step ---
struct ContextParagraph {
  std::string text;
  std::string label;   ///< "paragraph 41"
};
struct StepInput {
  const StoryState *state = nullptr;            ///< title, genre, language, outline, memory
  std::string plan;
  std::vector<ContextParagraph> recent;         ///< oldest first; the last is the previous paragraph
  std::vector<ContextParagraph> retrieved;      ///< best first: long-term memory summaries
  std::vector<ContextParagraph> previously;     ///< earlier chapters' summaries, oldest first (folder books)
  bool inviteNewCharacter = false;
  std::shared_ptr<const std::string> corpus;
  const BibleSelection *bible = nullptr;        ///< story-bible entries for the prompt; null: none
  std::uint64_t seed = 0;
};
struct StepAnswer {
  std::string paragraph, rationale, shortTermMemory, summary;
  std::vector<std::string> plans;
};
Result<PreparedRequest> makeStepRequest(const StepInput &in, const PromptOptions &options);
Result<StepAnswer> parseStepAnswer(std::string_view json, std::string_view language);

// --- select (the human simulator) ---
struct SelectInput {
  const StoryState *state = nullptr;
  std::vector<ContextParagraph> recent;
  std::vector<std::string> plans;
  const BibleSelection *bible = nullptr;        ///< story-bible entries for the prompt; null: none
  std::uint64_t seed = 0;
};
struct SelectAnswer {
  int choice = 0;      ///< 0-based
  std::string reason;
};
Result<PreparedRequest> makeSelectRequest(const SelectInput &in, const PromptOptions &options);
Result<SelectAnswer> parseSelectAnswer(std::string_view json, int planCount);

// --- plans ---
struct PlansInput {
  const StoryState *state = nullptr;
  std::vector<ContextParagraph> recent;
  std::shared_ptr<const std::string> corpus;
  const BibleSelection *bible = nullptr;        ///< story-bible entries for the prompt; null: none
  std::uint64_t seed = 0;
};
Result<PreparedRequest> makePlansRequest(const PlansInput &in, const PromptOptions &options);
Result<std::vector<std::string>> parsePlansAnswer(std::string_view json, std::string_view language);

// --- adopt ---
struct AdoptInput {
  std::string language, genre, title;
  bool keepTitle = false;   ///< `title` is the manuscript's own H1: kept whatever the model answers
  StoryMode mode = StoryMode::Novel;
  std::vector<ContextParagraph> summaries;      ///< every paragraph's summary, in order
  std::vector<ContextParagraph> recent;         ///< the last paragraphs' full text
  std::shared_ptr<const std::string> corpus;
  std::uint64_t seed = 0;
};
struct AdoptAnswer {
  std::string title, genre, synopsis, outline, shortTermMemory, rationale;
  std::vector<std::string> plans;
};
Result<PreparedRequest> makeAdoptRequest(const AdoptInput &in, const PromptOptions &options);
/// A title or genre longer than a line is invalid (retried). A non-empty `writersTitle` is the answer's
/// title, whatever the model wrote there.
Result<AdoptAnswer> parseAdoptAnswer(std::string_view json, std::string_view language,
                                     std::string_view writersTitle = {});

// --- summarize ---
struct SummarizeItem {
  std::string text, chapter;
};
Result<PreparedRequest> makeSummarizeRequest(const std::vector<SummarizeItem> &items, const std::string &language,
                                             const PromptOptions &options);
Result<std::vector<std::string>> parseSummarizeAnswer(std::string_view json, std::size_t expected);

} // namespace recurrent::engine
