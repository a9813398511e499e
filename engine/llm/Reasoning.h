// Separates a reasoning model's thinking from its answer.
//
// Reasoning arrives in one of four shapes: its own field (delta.reasoning_content from
// llama.cpp, DeepSeek and vLLM up to 0.10; delta.reasoning from Ollama, vLLM 0.11+ and
// OpenRouter), handled by the chat models, or inside the content: a <think>...</think>
// block first (llama.cpp with --reasoning-format none, many Qwen3 and DeepSeek-R1
// deployments), or a lone </think> (DeepSeek-R1's template opens the tag in the prompt).
// The answer is what follows the reasoning; the reasoning is never searched for it.
//
// Thread-safety: ReasoningSplitter is one per stream; splitReasoning() is pure.
#pragma once

#include <string>
#include <string_view>

namespace recurrent::engine {

struct SplitText {
  std::string reasoning;
  std::string answer;
};

/// Splits finished content: a leading <think> block (or everything before a lone </think>)
/// is reasoning; an unclosed leading <think> makes it all reasoning.
SplitText splitReasoning(std::string_view content);

/// The same split, fed content as it streams. feed() returns the text that is surely answer
/// (for a live preview): content that opens with <think> is held until the block closes.
/// When the answer is JSON, content that opens with anything but JSON (or a code fence) is
/// reasoning before a lone </think> until shown otherwise, so it is held until that tag or
/// the end. finish() gives the exact split of everything fed, lone </think> included.
class ReasoningSplitter {
public:
  explicit ReasoningSplitter(bool answerIsJson = false) : answerIsJson_(answerIsJson) {}
  std::string feed(std::string_view piece);
  SplitText finish() const { return splitReasoning(content_); }

private:
  enum class State { Undecided, Thinking, Answer };
  bool answerIsJson_;
  std::string content_;
  size_t emitted_ = 0; ///< bytes of content_ already returned as answer
  State state_ = State::Undecided;
};

} // namespace recurrent::engine
