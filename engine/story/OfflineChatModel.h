// The embedded offline model: answers every task of the recurrence with no network.
//
// It reads the request's TaskPayload (the structured inputs; it cannot read prose
// instructions) and answers in the JSON the task's schema asks for, so prompt
// building, parsing, validation and memory updates all run for real without a
// model. Its prose is a trigram model learnt from the manuscript itself (MarkovProse),
// steered by the plan's words; a story started from a topic begins from a small
// built-in template; summaries and the short-term memory are extractive; plans are
// made from the story's own names and keywords.
//
// Marking: the stand-in's output is marked wherever a user sees it: describe() and
// ChatResult::model say "offline", the state records `offline: true` and the model,
// plans.md and short-term-memory.md carry a quoted note, `recurrent write` says so in
// its summary. The manuscript prose itself is never marked: a marker in the text would
// be learnt back by this very model and would have to be cleaned by the writer.
//
// Thread-safety: chat() may be called from several threads; the learnt prose model is
// cached (one manuscript at a time) and extended incrementally as the manuscript grows;
// a mutex serialises its use.
#pragma once

#include "engine/llm/ChatModel.h"

#include <memory>
#include <mutex>

namespace recurrent::engine {

namespace offline {
class MarkovProse;
}

class OfflineChatModel final : public ChatModel {
public:
  OfflineChatModel();
  ~OfflineChatModel() override;

  Result<ChatResult> chat(const ChatRequest &request, const CancelToken &cancel,
                          const ChatCallbacks &callbacks = {}) override;
  std::string describe() const override { return "offline stand-in (no model)"; }
  bool isOffline() const override { return true; }

  static constexpr const char *kModelName = "offline";

private:
  struct Learnt;
  /// The prose model for `corpus`, learnt incrementally when the corpus only grew.
  /// Call with mutex_ held.
  const offline::MarkovProse &proseFor(const std::string &corpus);

  std::mutex mutex_;
  std::unique_ptr<Learnt> learnt_;
};

} // namespace recurrent::engine
