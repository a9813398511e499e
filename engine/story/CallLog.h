// Every LLM call of a story, logged to calls.jsonl, with the last one kept for the context viewer.
//
// RecordingChatModel wraps the chat model a story uses: each call appends one JSON line
// (time, task, model, prompt messages, answer or error, tokens, attempts, seconds, and
// the prompt budget) to the story's call log and becomes lastCall() (the editor's
// `recurrent/lastPrompt`). It also keeps the totals `recurrent write` prints. The API
// key never reaches this layer (it lives inside the HTTP model), so it cannot be logged.
//
// Thread-safety: chat() may be called from several threads; lastCall() and totals()
// from any thread.
#pragma once

#include "engine/llm/ChatModel.h"
#include "engine/story/TokenBudget.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine {

struct CallRecord {
  std::string time;           ///< UTC, ISO 8601
  std::string task;
  std::vector<ChatMessage> messages;
  std::string answer;         ///< the raw answer (empty on failure)
  std::string reasoning;      ///< the model's thinking, kept apart from the answer
  std::string error;          ///< empty on success
  std::string model;
  long promptTokens = 0;
  long completionTokens = 0;
  bool estimatedTokens = false;
  int attempts = 0;
  double seconds = 0;
  std::optional<BudgetReport> budget;
};

struct CallTotals {
  long calls = 0;
  long failed = 0;
  long promptTokens = 0;
  long completionTokens = 0;
  long retries = 0;
  double seconds = 0;
};

/// The JSON line logged for a call (pure; tests and the server reuse it).
std::string callRecordJson(const CallRecord &record);
/// A prompt's budget as JSON text: {limit, reservedForAnswer, used, included, trimmed}, each item {kind,
/// label, tokens, truncated, reason?, cutReason?} (pure; the call log's `budget`, the server's lastPrompt).
std::string budgetReportJson(const BudgetReport &report);

class RecordingChatModel final : public ChatModel {
public:
  /// `logPath` may be empty (no file log: the last call and totals are still kept).
  RecordingChatModel(std::shared_ptr<ChatModel> inner, std::filesystem::path logPath);

  Result<ChatResult> chat(const ChatRequest &request, const CancelToken &cancel,
                          const ChatCallbacks &callbacks = {}) override;
  std::string describe() const override { return inner_->describe(); }
  bool isOffline() const override { return inner_->isOffline(); }
  std::optional<long> serverContextTokens() const override { return inner_->serverContextTokens(); }

  std::optional<CallRecord> lastCall() const;
  CallTotals totals() const;
  ChatModel &inner() { return *inner_; }

private:
  std::shared_ptr<ChatModel> inner_;
  std::filesystem::path logPath_;
  mutable std::mutex mutex_;
  std::optional<CallRecord> last_;
  CallTotals totals_;
};

} // namespace recurrent::engine
