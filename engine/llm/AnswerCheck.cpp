#include "engine/llm/AnswerCheck.h"

#include "engine/llm/JsonExtract.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <regex>

namespace recurrent::engine {

namespace {

constexpr size_t kMaxRepairEcho = 4000; // how much of a bad answer is quoted back
constexpr std::string_view kContextFix =
    "lower recurrent.contextTokens (--context-tokens) or start the server with a larger context";

} // namespace

bool containsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower((unsigned char)a) == std::tolower((unsigned char)b); });
  return it != haystack.end();
}

CheckedAnswer checkAnswer(const ChatRequest &request, const std::string &answer) {
  CheckedAnswer out{answer, std::nullopt};
  if (!request.jsonSchema.empty()) {
    auto extracted = extractJsonObject(answer);
    if (!extracted)
      out.problem = extracted.error().message;
    else if (auto bad = checkJsonSchema(*extracted, request.jsonSchema))
      out.problem = "it does not follow the schema (" + *bad + ")";
    else
      out.text = std::move(*extracted);
  }
  if (!out.problem && request.validate)
    out.problem = request.validate(out.text);
  return out;
}

std::vector<ChatMessage> repairMessages(const std::string &answer, const std::string &problem) {
  return {{"assistant", answer.substr(0, kMaxRepairEcho)},
          {"user", "That answer could not be used: " + problem + ". Answer again, following the instructions exactly."}};
}

std::string schemaInstructions(const std::string &schemaJson) {
  auto schema = nlohmann::json::parse(schemaJson, nullptr, false);
  return "Answer with one JSON object and nothing else (no prose, no code fences). It must follow this JSON Schema:\n" +
         (schema.is_discarded() ? schemaJson : schema.dump(2));
}

long estimateTokens(size_t chars) { return static_cast<long>((chars + 3) / 4); }

int raisedCap(int cap) { return std::max(cap * 4, cap + 2048); }

Error contextFullError(long contextTokens) {
  std::string which = contextTokens > 0 ? " (" + std::to_string(contextTokens) + " tokens on the server)" : "";
  return {ErrorKind::Config, "the model's context is full" + which + ": " + std::string(kContextFix)};
}

Error capExhaustedError(int cap, bool reasoned) {
  return {ErrorKind::Config,
          "the answer was cut off at " + std::to_string(cap) + " output tokens even after the cap was raised" +
              (reasoned ? " (the model spent them reasoning): use a model that reasons less, or lower its reasoning effort"
                        : ": the model keeps writing past the answer")};
}

bool isContextOverflow(const Error &error) {
  if (error.kind != ErrorKind::Http || error.httpStatus < 400 || error.httpStatus >= 500)
    return false;
  const auto &m = error.message;
  return containsNoCase(m, "context size") || containsNoCase(m, "context length") ||
         containsNoCase(m, "context window") || containsNoCase(m, "context_length_exceeded") ||
         containsNoCase(m, "n_ctx") || containsNoCase(m, "prompt is too long"); // the last: Anthropic
}

long contextTokensNamed(const std::string &message) {
  static const std::regex patterns[] = {
      std::regex(R"(n_ctx[ =:]+(\d+))", std::regex::icase),
      std::regex(R"(maximum context length is (\d+))", std::regex::icase),
      std::regex(R"(context size \((\d+) tokens\))", std::regex::icase),
  };
  std::smatch m;
  for (const auto &p : patterns)
    if (std::regex_search(message, m, p))
      return std::stol(m[1]);
  return 0;
}

Error contextOverflowError(const Error &error) {
  Error e = error;
  e.message += ": the prompt does not fit the model's context: " + std::string(kContextFix);
  return e;
}

} // namespace recurrent::engine
