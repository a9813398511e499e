#include "engine/llm/AnthropicChatModel.h"

#include "engine/llm/AnswerCheck.h"
#include "engine/llm/HttpClient.h"
#include "engine/llm/Retry.h"
#include "engine/llm/SseParser.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace recurrent::engine {

namespace {

using nlohmann::json;

constexpr const char *kApiVersion = "2023-06-01";
constexpr int kDefaultCap = 4096; // the API requires max_tokens
constexpr size_t kMaxEventBytes = 8 * 1024 * 1024;

/// Endpoints (base URL + model) that refused a forced tool: they get JSON instructions.
std::mutex gNoToolMutex;
std::set<std::string> gNoTool;

struct Answer {
  std::string text;      ///< text blocks
  std::string toolInput; ///< the forced tool's input JSON
  bool usedTool = false;
  std::string reasoning; ///< thinking blocks
  std::string stopReason;
  ChatUsage usage;
  bool usageSeen = false;
  bool done = false;
  std::optional<Error> streamError;
};

std::string errorMessage(const json &event) {
  const json *err = event.contains("error") ? &event["error"] : &event;
  std::string type = err->is_object() ? err->value("type", "") : "";
  std::string msg = err->is_object() ? err->value("message", "") : "";
  return type.empty() ? msg : type + ": " + msg;
}

void applyEvent(const json &e, Answer &a, std::map<long, std::string> &blocks, const ChatCallbacks &callbacks) {
  const std::string type = e.value("type", "");
  if (type == "message_start") {
    if (auto p = json::json_pointer("/message/usage/input_tokens"); e.contains(p) && e[p].is_number_integer()) {
      a.usage.promptTokens = e[p].get<long>();
      a.usageSeen = true;
    }
  } else if (type == "content_block_start") {
    std::string kind = e.value("/content_block/type"_json_pointer, std::string());
    blocks[e.value("index", 0L)] = kind;
    a.usedTool = a.usedTool || kind == "tool_use";
  } else if (type == "content_block_delta" && e.contains("delta") && e["delta"].is_object()) {
    const json &d = e["delta"];
    const std::string kind = d.value("type", "");
    std::string piece;
    if (kind == "text_delta")
      a.text += piece = d.value("text", "");
    else if (kind == "input_json_delta")
      a.toolInput += piece = d.value("partial_json", "");
    else if (kind == "thinking_delta")
      a.reasoning += d.value("thinking", ""); // never previewed, never the answer
    if (callbacks.onDelta && !piece.empty())
      callbacks.onDelta(piece);
  } else if (type == "message_delta") {
    if (auto s = json::json_pointer("/delta/stop_reason"); e.contains(s) && e[s].is_string())
      a.stopReason = e[s].get<std::string>();
    if (auto u = json::json_pointer("/usage/output_tokens"); e.contains(u) && e[u].is_number_integer()) {
      a.usage.completionTokens = e[u].get<long>();
      a.usageSeen = true;
    }
  } else if (type == "message_stop") {
    a.done = true;
  } else if (type == "error" && !a.streamError) {
    // Mid-stream errors: overloaded_error would have been a 529 before the stream began.
    std::string errType = e.value("/error/type"_json_pointer, std::string());
    if (errType == "overloaded_error")
      a.streamError = Error{ErrorKind::Http, "Anthropic is overloaded (529): " + errorMessage(e), 529};
    else if (errType == "rate_limit_error")
      a.streamError = Error{ErrorKind::Http, "rate limited (429): " + errorMessage(e), 429};
    else
      a.streamError = Error{ErrorKind::BadAnswer, "the model server reported an error mid-answer: " + errorMessage(e)};
  }
}

Result<Answer> streamOnce(const BackendConfig &config, const std::string &body, const CancelToken &cancel,
                          const ChatCallbacks &callbacks) {
  HttpRequest req;
  req.url = config.baseUrl + "/messages";
  req.displayName = config.baseUrl;
  req.secret = config.apiKey;
  req.connectTimeoutSeconds = config.connectTimeoutSeconds;
  req.stallTimeoutSeconds = config.stallTimeoutSeconds;
  req.headers = {{"x-api-key", config.apiKey},
                 {"anthropic-version", kApiVersion},
                 {"Content-Type", "application/json"},
                 {"Accept", "text/event-stream"}};
  req.body = body;
  Answer a;
  SseParser parser;
  std::map<long, std::string> blocks;
  auto onEvent = [&](const SseEvent &ev) {
    if (a.streamError || a.done)
      return;
    auto e = json::parse(ev.data, nullptr, false);
    if (e.is_discarded() || !e.is_object()) {
      a.streamError = Error{ErrorKind::BadAnswer, "the model server sent an unreadable stream event"};
      return;
    }
    applyEvent(e, a, blocks, callbacks);
  };
  auto result = performHttp(req, cancel, [&](std::string_view bytes) {
    if (a.streamError)
      return;
    for (auto &ev : parser.feed(bytes))
      onEvent(ev);
    if (parser.bufferedBytes() > kMaxEventBytes)
      a.streamError = Error{ErrorKind::BadAnswer, "the model server sent an oversized stream event"};
  });
  if (!result) {
    Error e = result.error();
    if (e.kind == ErrorKind::Http && e.httpStatus == 529)
      e.message = "Anthropic is overloaded (529): its servers ask to try again shortly";
    return e;
  }
  if (auto last = parser.finish())
    onEvent(*last);
  if (a.streamError)
    return *a.streamError;
  if (!a.done && a.stopReason.empty())
    return Error{ErrorKind::Network,
                 "the answer stream from " + redactUrl(config.baseUrl) + " ended before the answer was complete"};
  if (a.stopReason == "refusal")
    return Error{ErrorKind::BadAnswer, "the model refused to answer"};
  return a;
}

} // namespace

AnthropicChatModel::AnthropicChatModel(BackendConfig config) : config_(std::move(config)) {}

Result<ChatResult> AnthropicChatModel::chat(const ChatRequest &request, const CancelToken &cancel,
                                            const ChatCallbacks &callbacks) {
  if (cancel.cancelled())
    return Error::cancelled();
  if (config_.apiKey.empty())
    return Error{ErrorKind::Config, "no Anthropic API key: set ANTHROPIC_API_KEY (or RECURRENT_API_KEY)"};
  const bool wantsJson = !request.jsonSchema.empty();
  json schema;
  if (wantsJson) {
    schema = json::parse(request.jsonSchema, nullptr, false);
    if (schema.is_discarded() || !schema.is_object())
      return Error{ErrorKind::InvalidArgument, "the " + request.task + " request's JSON schema is not a JSON object"};
  }
  const std::string endpoint = config_.baseUrl + "\n" + config_.model;
  const std::string toolName = request.schemaName.empty() ? std::string("answer") : request.schemaName;
  std::vector<ChatMessage> repair;
  int cap = request.maxTokens > 0 ? request.maxTokens : kDefaultCap;
  bool capRaised = false;

  auto buildBody = [&](bool useTool) {
    std::string system;
    json messages = json::array();
    for (const auto &m : request.messages) {
      if (m.role == "system")
        system += (system.empty() ? "" : "\n\n") + m.content;
      else
        messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    if (wantsJson && !useTool) {
      std::string instructions = schemaInstructions(request.jsonSchema);
      if (!messages.empty() && messages.back()["role"] == "user")
        messages.back()["content"] = messages.back()["content"].get<std::string>() + "\n\n" + instructions;
      else
        messages.push_back({{"role", "user"}, {"content", instructions}});
    }
    for (const auto &m : repair)
      messages.push_back({{"role", m.role}, {"content", m.content}});
    // Anthropic's temperature runs from 0 to 1.
    double temperature = std::clamp(config_.temperature.value_or(request.temperature), 0.0, 1.0);
    json body = {{"model", config_.model},
                 {"max_tokens", cap},
                 {"messages", std::move(messages)},
                 {"temperature", temperature},
                 {"stream", true}};
    if (!system.empty())
      body["system"] = system;
    if (wantsJson && useTool) {
      body["tools"] = json::array({{{"name", toolName},
                                    {"description", "Give the answer as this tool's input."},
                                    {"input_schema", schema}}});
      body["tool_choice"] = {{"type", "tool"}, {"name", toolName}};
    }
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
  };

  ChatResult result;
  result.model = config_.model;
  RetryPolicy policy{config_.maxAttempts, config_.backoffBaseSeconds, config_.backoffMaxSeconds};
  auto attempt = [&](int n) -> Status {
    bool useTool = wantsJson;
    {
      std::lock_guard lock(gNoToolMutex);
      useTool = useTool && !gNoTool.count(endpoint);
    }
    auto answer = streamOnce(config_, buildBody(useTool), cancel, callbacks);
    if (!answer && useTool && answer.error().kind == ErrorKind::Http && answer.error().httpStatus == 400 &&
        containsNoCase(answer.error().message, "tool")) {
      { // a proxy or model without tools: the schema goes into the prompt instead
        std::lock_guard lock(gNoToolMutex);
        gNoTool.insert(endpoint);
      }
      useTool = false;
      answer = streamOnce(config_, buildBody(false), cancel, callbacks);
    }
    if (!answer) {
      if (isContextOverflow(answer.error()))
        return contextOverflowError(answer.error());
      return answer.error();
    }
    Answer &a = *answer;
    if (a.stopReason == "max_tokens") {
      if (capRaised)
        return capExhaustedError(cap, !a.reasoning.empty());
      capRaised = true;
      Error why{ErrorKind::BadAnswer, "the answer was cut off at its cap of " + std::to_string(cap) + " tokens" +
                                          (a.reasoning.empty() ? "" : " (the model spent them thinking)") +
                                          "; asking again with " + std::to_string(raisedCap(cap))};
      cap = raisedCap(cap);
      if (callbacks.onRetry)
        callbacks.onRetry(RetryNotice{n, policy.maxAttempts, 0, why});
      return why;
    }
    std::string text = a.usedTool ? a.toolInput : a.text;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
      return Error{ErrorKind::BadAnswer, a.reasoning.empty() ? "the model sent an empty answer"
                                                             : "the model sent its thinking but no answer"};
    auto checked = checkAnswer(request, text);
    if (checked.problem) {
      repair = repairMessages(text, *checked.problem);
      return Error{ErrorKind::BadAnswer, "the model's answer was unusable: " + *checked.problem};
    }
    result.text = std::move(checked.text);
    result.rawText = std::move(text);
    result.reasoning = std::move(a.reasoning);
    result.schemaFallback = wantsJson && !useTool;
    if (a.usageSeen) {
      result.usage = a.usage;
    } else {
      size_t chars = 0;
      for (const auto &m : request.messages)
        chars += m.content.size();
      result.usage = {estimateTokens(chars), estimateTokens(result.rawText.size()), true};
    }
    return okStatus();
  };
  // A cut-off answer is asked again at once with the raised cap, outside the retry budget.
  auto attemptOnce = [&](int n) -> Status {
    bool wasRaised = capRaised;
    auto s = attempt(n);
    if (!s && capRaised && !wasRaised && s.error().kind == ErrorKind::BadAnswer)
      s = attempt(n);
    return s;
  };
  auto status = runWithRetries(policy, cancel, callbacks.onRetry, attemptOnce, &result.attempts);
  if (!status)
    return status.error();
  return result;
}

} // namespace recurrent::engine
