// What every HTTP chat model does with a finished answer, and the wording of its failures.
//
// The JSON object a schema request asks for is extracted (never from the reasoning: callers
// pass the answer alone), checked against the schema and request.validate; an unusable
// answer yields the problem and the repair messages that tell the model what was wrong. An
// answer cut off (finish_reason "length", stop_reason "max_tokens") is either short of its
// output cap, so the context filled, or at the cap, which is raised once. Shared by
// OpenAiChatModel and AnthropicChatModel so both behave alike.
//
// Thread-safety: pure functions.
#pragma once

#include "engine/llm/ChatModel.h"

#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine {

struct CheckedAnswer {
  std::string text;                   ///< what to hand on (the extracted JSON for a schema request)
  std::optional<std::string> problem; ///< why the answer cannot be used
};

CheckedAnswer checkAnswer(const ChatRequest &request, const std::string &answer);

/// The assistant's bad answer (shortened) and the user's note on what was wrong.
std::vector<ChatMessage> repairMessages(const std::string &answer, const std::string &problem);

/// "Answer with one JSON object ... It must follow this JSON Schema: ...".
std::string schemaInstructions(const std::string &schemaJson);

/// About four characters a token: for servers that send no usage.
long estimateTokens(size_t chars);

/// The cap for the one retry after an answer was cut off at `cap` output tokens.
int raisedCap(int cap);

/// "the model's context is full (...): lower recurrent.contextTokens ..." (ErrorKind::Config:
/// an identical request would fill it again). `contextTokens` 0 when the server did not say.
Error contextFullError(long contextTokens);

/// The answer stopped at the output cap even after it was raised (ErrorKind::BadAnswer... final).
Error capExhaustedError(int cap, bool reasoned);

/// True when an HTTP error says the prompt does not fit the model's context window
/// (llama.cpp's exceed_context_size_error, vLLM's and OpenAI's "maximum context length").
bool isContextOverflow(const Error &error);

/// The context window an overflow error names ("n_ctx 4096", "maximum context length is
/// 4096 tokens", "context size (4096 tokens)"); 0 when it names none.
long contextTokensNamed(const std::string &message);

/// The overflow error with the setting to change appended.
Error contextOverflowError(const Error &error);

bool containsNoCase(std::string_view haystack, std::string_view needle);

} // namespace recurrent::engine
