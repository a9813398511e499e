// Token estimates and the budgeted prompt builder.
//
// Everything a prompt may include is one list of typed sources (short-term memory,
// the plan, the outline, recent text, retrieved long-term memories, and later story-
// bible entries), each with a priority and a trim rule. build() renders them in a
// fixed section order and, when the total would not fit the context minus the room
// kept for the answer, trims: droppable sources go first, lowest priority first
// (callers give retrieved memories the lowest priorities, older recent text the
// next), then truncatable ones are cut. If even the essentials do not fit, build()
// fails with a message naming the numbers: never a silent overflow. The report says
// what was included and what was trimmed, and why (the editor's context viewer shows it).
// A kind may also be capped as a whole (capKind: the story bible's share of the prompt);
// its droppable sources then go first, lowest priority first, whatever else fits.
//
// Token estimate (no tokenizer is bundled, so it is a documented heuristic, tuned to
// err on the high side): ASCII counts one token per 4 bytes, each CJK character
// (Han, kana, hangul, CJK punctuation) one token, any other character (accented
// Latin, Cyrillic, Greek, ...) half a token; plus 4 tokens of framing per message.
// BPE tokenizers give about 4.2 characters per token on English prose and 1-1.5
// tokens per Chinese character, so keep a margin (answerTokens) on top.
//
// Thread-safety: PromptBuilder is a value; use one per prompt. estimateTokens is pure.
#pragma once

#include "engine/llm/ChatModel.h"
#include "support/Error.h"

#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

/// Estimated tokens of `text` (see the file comment for the rule).
int estimateTokens(std::string_view text);
/// Estimated tokens of a whole chat prompt (content plus per-message framing).
int estimateTokens(const std::vector<ChatMessage> &messages);
/// `text` cut to about `tokens` tokens at a word boundary, the cut marked with an ellipsis (keepTail: the
/// start is cut instead of the end).
std::string cutToTokens(std::string_view text, int tokens, bool keepTail = false);

/// What a prompt source is (the context viewer names it; the budget report counts it).
/// ChapterSummary: the "previously" of a folder book, one per earlier chapter.
enum class SourceKind {
  ShortTermMemory,
  Plan,
  Outline,
  Synopsis,
  RecentText,
  RetrievedMemory,
  BibleEntry,
  Material,
  ChapterSummary,
};
const char *sourceKindName(SourceKind kind);

enum class Trim {
  Never,    ///< essential: build() fails rather than drop it
  Drop,     ///< dropped whole when the prompt does not fit (lowest priority first)
  KeepHead, ///< essential, but cut at the end when nothing droppable is left
  KeepTail, ///< essential, but cut at the start (recent text: the end matters)
};

struct PromptSource {
  SourceKind kind = SourceKind::Material;
  std::string section;   ///< heading it renders under; sources sharing one render together
  std::string text;
  std::string label;     ///< for the report ("paragraph 41", "memory #12")
  Trim trim = Trim::Drop;
  int priority = 0;      ///< among droppables, the lowest goes first
  std::string reason;    ///< why it is in the prompt, for the writer ("alias Anya in the plan"); may be empty
};

struct BudgetItem {
  SourceKind kind = SourceKind::Material;
  std::string label;
  int tokens = 0;
  bool truncated = false;
  std::string reason;    ///< the source's reason (PromptSource::reason)
  std::string cutReason; ///< trimmed only: why it was left out or cut ("the prompt was full")
};

struct BudgetReport {
  int limit = 0;             ///< context tokens
  int reservedForAnswer = 0;
  int used = 0;              ///< estimated prompt tokens (messages + schema)
  std::vector<BudgetItem> included;
  std::vector<BudgetItem> trimmed; ///< left out whole (truncated false) or cut (true), each with its cutReason
};

struct BuiltPrompt {
  std::vector<ChatMessage> messages;
  BudgetReport report;
};

class PromptBuilder {
public:
  struct Options {
    int contextTokens = 8192;   ///< the model's context window
    int answerTokens = 1800;    ///< kept free for the answer
  };
  explicit PromptBuilder(Options options);

  void setSystem(std::string text) { system_ = std::move(text); }
  /// Text before the sources (what the story is).
  void setPreamble(std::string text) { preamble_ = std::move(text); }
  /// The task and answer format, after the sources.
  void setInstructions(std::string text) { instructions_ = std::move(text); }
  /// The JSON schema sent beside the prompt: it costs tokens too.
  void setSchema(std::string_view schema) { schemaTokens_ = estimateTokens(schema); }
  /// Sections render in the order their first source was added.
  void add(PromptSource source) { sources_.push_back(std::move(source)); }
  /// Caps the sources of one kind at `tokens` in all (the story bible's share): droppable ones of that kind
  /// go first, lowest priority first, before anything else is trimmed; `why` is their cutReason.
  void capKind(SourceKind kind, int tokens, std::string why) { caps_.push_back({kind, tokens, std::move(why)}); }
  /// Something the caller left out before the budget (a `never` bible entry), reported as trimmed.
  void addLeftOut(BudgetItem item) { leftOut_.push_back(std::move(item)); }

  Result<BuiltPrompt> build() const;

private:
  Options options_;
  std::string system_, preamble_, instructions_;
  int schemaTokens_ = 0;
  std::vector<PromptSource> sources_;
  struct KindCap {
    SourceKind kind;
    int tokens = 0;
    std::string why;
  };
  std::vector<KindCap> caps_;
  std::vector<BudgetItem> leftOut_;
};

} // namespace recurrent::engine
