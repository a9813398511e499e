// The continuity check's prompt and answer: one request for a passage and its evidence, one parser for the issues.
//
// The passage is one paragraph or a batch of consecutive paragraphs, labelled P1, P2, ... Evidence items carry
// labels the model must cite: a bible entry's name, an earlier paragraph's `chapter-file:line`, or
// "short-term memory". The instructions follow ConStory-Bench's checker: exact quotes on both sides, its five
// categories, and an exclusion list of literary devices (foreshadowing, unreliable narrator, deliberate mystery,
// ...), "when in doubt, it is not an error". The answer is a JSON object `{"issues": [...]}` under a strict JSON
// schema; parseCheckAnswer is also the request's validate hook, so a malformed answer is retried with the reason.
// Whether a quote is really in the passage and a source really in the evidence is ModelCheck's job, not the
// parser's: such issues are dropped, not retried.
//
// Pure functions; thread-safe.
#pragma once

#include "engine/llm/ChatModel.h"
#include "engine/story/TokenBudget.h"
#include "support/Error.h"

#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine::continuity {

/// Bumped whenever the prompt's meaning changes: cached results of an older prompt are checked again.
inline constexpr int kCheckPromptVersion = 1;

struct CheckPassageParagraph {
  std::string label;               ///< "P1"
  std::string text;
};

struct CheckEvidenceItem {
  enum class Kind { BibleEntry, ShortTermMemory, MemorySummary, SourceParagraph };
  Kind kind = Kind::BibleEntry;
  std::string label;               ///< what the model cites: the entry's name, "ch1.md:12", "short-term memory"
  std::string text;                ///< rendered without the label
};

struct CheckRequestInput {
  std::string language;            ///< the story's language (empty: English)
  std::vector<CheckPassageParagraph> passage;
  std::vector<CheckEvidenceItem> evidence; ///< already chosen to fit the evidence budget, most important first
  int contextTokens = 8192;
  int answerTokens = 1200;
};

struct CheckIssue {
  std::string paragraph;           ///< the passage paragraph's label
  std::string quote;               ///< exact words of the passage
  std::string subtype;             ///< one of checkSubtypes()
  std::string source;              ///< an evidence label (or a passage label)
  std::string sourceQuote;
  std::string explanation;
  std::string severity;            ///< high, medium, low
  std::string replacement;         ///< empty: none
};

/// ConStory's five categories as the model names them ("factual detail") ...
const std::vector<std::string> &checkSubtypes();
/// ... and as a Finding's code ("factual-detail"); empty for an unknown one.
std::string subtypeCode(std::string_view subtype);

/// Tokens the fixed part of a request costs (system, instructions, schema, framing): for estimates.
int checkRequestOverheadTokens();
/// Tokens an evidence item costs in the prompt.
int evidenceTokens(const CheckEvidenceItem &item);

/// The chat request (task "check", schema "continuity_issues"); fails when the passage alone cannot fit.
Result<ChatRequest> makeCheckRequest(const CheckRequestInput &in);
/// The issues of an answer. BadAnswer when it is not `{"issues": [objects]}`; unknown fields are ignored.
Result<std::vector<CheckIssue>> parseCheckAnswer(std::string_view json);

} // namespace recurrent::engine::continuity
