// The chat model interface: one request in, one (streamed) answer out.
//
// Implementations: OpenAiChatModel (any OpenAI-compatible server over HTTP) and
// OfflineChatModel (embedded, no network). The recurrence builds a prompt, calls
// chat(), and parses the JSON answer; it never knows which model answered.
// Retries, backoff and schema fallback live inside the implementation; the caller
// sees one final Result.
//
// Thread-safety: chat() may be called from several threads at once; callbacks run
// on the calling thread.
#pragma once

#include "support/Cancellation.h"
#include "support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

struct ChatMessage {
  std::string role;    ///< "system", "user" or "assistant"
  std::string content;
};

/// Structured inputs behind a prompt, read only by the offline model (which cannot
/// read prose instructions). Defined by the recurrence in engine/story/.
struct TaskPayload;

struct ChatRequest {
  std::string task;                 ///< "init", "step", "summarize", ...: for logs and the offline model
  std::vector<ChatMessage> messages;
  /// JSON Schema (as JSON text) the answer must follow; empty for free text.
  std::string jsonSchema;
  std::string schemaName;           ///< response_format.json_schema.name
  /// Checks a parsed answer beyond the schema; returns an error message to retry, or nullopt.
  std::function<std::optional<std::string>(std::string_view answerJson)> validate;
  double temperature = 0.7;
  int maxTokens = 0;                ///< 0 = the server's default
  std::shared_ptr<const TaskPayload> payload;
};

struct ChatUsage {
  long promptTokens = 0;
  long completionTokens = 0;
  bool estimated = false;           ///< counted from characters: the server sent no usage
};

struct ChatResult {
  std::string text;                 ///< the answer; for a schema request, the extracted JSON object
  std::string rawText;              ///< the answer as the model sent it, reasoning taken out
  std::string reasoning;            ///< the model's thinking, never part of the answer; empty for most models
  ChatUsage usage;
  int attempts = 1;
  bool schemaFallback = false;      ///< the server rejected response_format; plain JSON instructions were used
  std::string model;                ///< who answered ("offline" for the embedded model)
};

/// A retry the model is about to make: shown to the user ("rate limited, retrying in 4 s").
struct RetryNotice {
  int attempt = 0;                  ///< the attempt that failed, 1-based
  int maxAttempts = 0;
  double delaySeconds = 0;
  Error reason;
};

struct ChatCallbacks {
  std::function<void(std::string_view delta)> onDelta;      ///< streamed text of the raw answer
  std::function<void(const RetryNotice &)> onRetry;
};

class ChatModel {
public:
  virtual ~ChatModel() = default;
  virtual Result<ChatResult> chat(const ChatRequest &request, const CancelToken &cancel,
                                  const ChatCallbacks &callbacks = {}) = 0;
  /// "openai gpt-4o-mini at https://api.openai.com/v1", "offline": for status lines.
  virtual std::string describe() const = 0;
  virtual bool isOffline() const { return false; }
  /// The context window the server has named (vLLM's /models, llama.cpp's errors), once known.
  virtual std::optional<long> serverContextTokens() const { return std::nullopt; }
};

} // namespace recurrent::engine
