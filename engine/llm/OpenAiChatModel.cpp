#include "engine/llm/OpenAiChatModel.h"

#include "engine/llm/HttpClient.h"
#include "engine/llm/JsonExtract.h"
#include "engine/llm/Retry.h"
#include "engine/llm/SseParser.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>

namespace recurrent::engine {

namespace {

using nlohmann::json;

constexpr size_t kMaxLineBytes = 8 * 1024 * 1024; // a hostile stream cannot grow memory without bound
constexpr size_t kMaxRepairEcho = 4000;            // how much of a bad answer is quoted back

bool containsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower((unsigned char)a) == std::tolower((unsigned char)b); });
  return it != haystack.end();
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

/// What one streamed answer held.
struct Answer {
  std::string text;
  std::string refusal;
  std::string finishReason;
  ChatUsage usage;
  bool usageSeen = false;
  bool done = false;
  std::optional<Error> streamError; // an unreadable event or an error sent mid-stream
};

/// What an endpoint (base URL + model) has shown it does not support, learnt from its 400s
/// and kept for the life of the process.
struct Quirks {
  bool noJsonSchema = false;    ///< rejects response_format json_schema
  bool noStreamOptions = false; ///< rejects stream_options
  bool noTemperature = false;   ///< rejects temperature (reasoning models)
};

std::mutex gQuirksMutex;
std::map<std::string, Quirks> gQuirks;

Quirks quirksOf(const std::string &endpoint) {
  std::lock_guard lock(gQuirksMutex);
  auto it = gQuirks.find(endpoint);
  return it == gQuirks.end() ? Quirks{} : it->second;
}

void remember(const std::string &endpoint, const Quirks &quirks) {
  std::lock_guard lock(gQuirksMutex);
  auto &q = gQuirks[endpoint];
  q.noJsonSchema = q.noJsonSchema || quirks.noJsonSchema;
  q.noStreamOptions = q.noStreamOptions || quirks.noStreamOptions;
  q.noTemperature = q.noTemperature || quirks.noTemperature;
}

bool isRejection(const Result<Answer> &answer) {
  return !answer && answer.error().kind == ErrorKind::Http &&
         (answer.error().httpStatus == 400 || answer.error().httpStatus == 422);
}

void readUsage(const json &chunk, Answer &a) {
  auto u = chunk.find("usage");
  if (u == chunk.end() || !u->is_object())
    return;
  if (auto p = u->find("prompt_tokens"); p != u->end() && p->is_number_integer())
    a.usage.promptTokens = p->get<long>();
  if (auto c = u->find("completion_tokens"); c != u->end() && c->is_number_integer())
    a.usage.completionTokens = c->get<long>();
  a.usageSeen = true;
}

void readServerError(const json &chunk, Answer &a) {
  auto err = chunk.find("error");
  if (err == chunk.end() || err->is_null() || a.streamError)
    return;
  std::string msg = err->is_object() && err->contains("message") && (*err)["message"].is_string()
                        ? (*err)["message"].get<std::string>()
                        : err->dump(-1, ' ', false, json::error_handler_t::replace);
  a.streamError = Error{ErrorKind::BadAnswer, "the model server reported an error mid-answer: " + msg};
}

/// Applies one streamed chunk ({"choices":[{"delta":{...},"finish_reason":...}],"usage":...}).
void applyChunk(const json &chunk, Answer &a, const ChatCallbacks &callbacks) {
  readServerError(chunk, a);
  readUsage(chunk, a);
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object())
    return;
  const json &choice = (*choices)[0];
  if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
    if (auto c = delta->find("content"); c != delta->end() && c->is_string() && !c->get_ref<const std::string &>().empty()) {
      const auto &piece = c->get_ref<const std::string &>();
      a.text += piece;
      if (callbacks.onDelta)
        callbacks.onDelta(piece);
    }
    if (auto r = delta->find("refusal"); r != delta->end() && r->is_string())
      a.refusal += r->get<std::string>();
  }
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    a.finishReason = f->get<std::string>();
}

/// A whole (non-streamed) chat.completion, for servers that ignore stream: true.
void applyCompletion(const json &doc, Answer &a, const ChatCallbacks &callbacks) {
  readServerError(doc, a);
  readUsage(doc, a);
  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    if (!a.streamError)
      a.streamError = Error{ErrorKind::BadAnswer, "the model server's answer has no choices"};
    return;
  }
  const json &choice = (*choices)[0];
  if (auto m = choice.find("message"); m != choice.end() && m->is_object()) {
    if (auto c = m->find("content"); c != m->end() && c->is_string()) {
      a.text = c->get<std::string>();
      if (callbacks.onDelta && !a.text.empty())
        callbacks.onDelta(a.text);
    }
    if (auto r = m->find("refusal"); r != m->end() && r->is_string())
      a.refusal = r->get<std::string>();
  }
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    a.finishReason = f->get<std::string>();
  a.done = true;
}

std::string authHeader(const BackendConfig &c) { return "Bearer " + c.apiKey; }

HttpRequest baseRequest(const BackendConfig &c, std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.connectTimeoutSeconds = c.connectTimeoutSeconds;
  r.stallTimeoutSeconds = c.stallTimeoutSeconds;
  r.displayName = c.baseUrl;
  r.secret = c.apiKey;
  if (!c.apiKey.empty())
    r.headers.emplace_back("Authorization", authHeader(c));
  return r;
}

/// Sends one chat request and reads the whole stream.
Result<Answer> streamOnce(const BackendConfig &config, const std::string &body, const CancelToken &cancel,
                          const ChatCallbacks &callbacks) {
  HttpRequest req = baseRequest(config, config.baseUrl + "/chat/completions");
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "text/event-stream");
  req.body = body;

  Answer a;
  SseParser parser;
  std::string plainBody; // when the server answers application/json instead of a stream
  bool isJson = false, decided = false;
  auto onEvent = [&](const SseEvent &e) {
    if (a.streamError || a.done)
      return;
    auto data = trimmed(e.data);
    if (data == "[DONE]") {
      a.done = true;
      return;
    }
    auto chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
      a.streamError = Error{ErrorKind::BadAnswer, "the model server sent an unreadable stream event"};
      return;
    }
    applyChunk(chunk, a, callbacks);
  };
  auto result = performHttp(req, cancel, [&](std::string_view bytes) {
    if (!decided) {
      decided = true;
      auto first = bytes.find_first_not_of(" \t\r\n");
      isJson = first != std::string_view::npos && bytes[first] == '{';
    }
    if (isJson) {
      if (plainBody.size() < kMaxLineBytes)
        plainBody.append(bytes);
      return;
    }
    if (a.streamError)
      return;
    for (auto &e : parser.feed(bytes))
      onEvent(e);
    if (parser.bufferedBytes() > kMaxLineBytes)
      a.streamError = Error{ErrorKind::BadAnswer, "the model server sent an oversized stream event"};
  });
  if (!result)
    return result.error();
  if (isJson) {
    auto doc = json::parse(plainBody, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return Error{ErrorKind::BadAnswer, "the model server's answer is not JSON"};
    applyCompletion(doc, a, callbacks);
  } else if (auto last = parser.finish()) {
    onEvent(*last);
  }
  if (a.streamError)
    return *a.streamError;
  if (!a.done && a.finishReason.empty())
    return Error{ErrorKind::Network, "the answer stream from " + redactUrl(config.baseUrl) +
                                         " ended before the answer was complete"};
  if (!a.refusal.empty())
    return Error{ErrorKind::BadAnswer, "the model refused: " + trimmed(a.refusal)};
  if (a.finishReason == "content_filter")
    return Error{ErrorKind::BadAnswer, "the model's answer was stopped by its content filter"};
  if (trimmed(a.text).empty())
    return Error{ErrorKind::BadAnswer, "the model sent an empty answer"};
  return a;
}

long estimateTokens(size_t chars) { return static_cast<long>((chars + 3) / 4); }

} // namespace

OpenAiChatModel::OpenAiChatModel(BackendConfig config) : config_(std::move(config)), model_(config_.model) {}

std::string OpenAiChatModel::describe() const {
  BackendConfig c = config_;
  c.provider = "openai";
  {
    std::lock_guard lock(modelMutex_);
    c.model = model_;
  }
  return c.describe();
}

void OpenAiChatModel::forgetEndpointQuirks() {
  std::lock_guard lock(gQuirksMutex);
  gQuirks.clear();
}

Result<std::string> OpenAiChatModel::resolveModel(const CancelToken &cancel) {
  std::lock_guard lock(modelMutex_);
  if (!model_.empty())
    return model_;
  HttpRequest req = baseRequest(config_, config_.baseUrl + "/models");
  req.method = "GET";
  auto r = performHttp(req, cancel);
  const std::string advice = "no model configured: set RECURRENT_MODEL or --model";
  if (!r) {
    if (r.error().kind == ErrorKind::Cancelled)
      return r.error();
    return Error{ErrorKind::Config, advice + " (could not list the server's models: " + r.error().message + ")"};
  }
  auto doc = json::parse(r->body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("data") && doc["data"].is_array())
    for (const auto &m : doc["data"])
      if (m.is_object() && m.contains("id") && m["id"].is_string() && !m["id"].get<std::string>().empty()) {
        model_ = m["id"].get<std::string>();
        return model_;
      }
  return Error{ErrorKind::Config, advice + " (" + redactUrl(config_.baseUrl) + " lists no models)"};
}

Result<ChatResult> OpenAiChatModel::chat(const ChatRequest &request, const CancelToken &cancel,
                                         const ChatCallbacks &callbacks) {
  if (cancel.cancelled())
    return Error::cancelled();
  auto model = resolveModel(cancel);
  if (!model)
    return model.error();

  const bool wantsJson = !request.jsonSchema.empty();
  json schema;
  if (wantsJson) {
    schema = json::parse(request.jsonSchema, nullptr, false);
    if (schema.is_discarded() || !schema.is_object())
      return Error{ErrorKind::InvalidArgument, "the " + request.task + " request's JSON schema is not a JSON object"};
  }
  const std::string endpoint = config_.baseUrl + "\n" + *model;
  // A server that supports json_schema but finds one of our schemas invalid (OpenAI's
  // strict mode: "Invalid schema for response_format ...") loses it for that schema only.
  const std::string schemaEndpoint = endpoint + "\n#" + request.schemaName;

  std::vector<ChatMessage> repair; // what the previous bad answer was, and why it was refused
  auto buildBody = [&](const Quirks &quirks) {
    const bool fallback = quirks.noJsonSchema;
    json messages = json::array();
    for (const auto &m : request.messages)
      messages.push_back({{"role", m.role}, {"content", m.content}});
    if (wantsJson && fallback) {
      std::string instructions = "Answer with one JSON object and nothing else (no prose, no code fences). "
                                 "It must follow this JSON Schema:\n" +
                                 schema.dump(2);
      if (!messages.empty() && messages.back()["role"] == "user")
        messages.back()["content"] = messages.back()["content"].get<std::string>() + "\n\n" + instructions;
      else
        messages.push_back({{"role", "user"}, {"content", instructions}});
    }
    for (const auto &m : repair)
      messages.push_back({{"role", m.role}, {"content", m.content}});
    json body = {{"model", *model},
                 {"messages", std::move(messages)},
                 {"stream", true}};
    if (!quirks.noTemperature)
      body["temperature"] = config_.temperature.value_or(request.temperature);
    if (!quirks.noStreamOptions)
      body["stream_options"] = {{"include_usage", true}};
    if (request.maxTokens > 0)
      body["max_tokens"] = request.maxTokens;
    if (wantsJson && !fallback)
      body["response_format"] = {
          {"type", "json_schema"},
          {"json_schema",
           {{"name", request.schemaName.empty() ? std::string("answer") : request.schemaName},
            {"schema", schema},
            {"strict", true}}}};
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
  };

  ChatResult result;
  result.model = *model;
  RetryPolicy policy{config_.maxAttempts, config_.backoffBaseSeconds, config_.backoffMaxSeconds};
  auto attempt = [&](int) -> Status {
    Quirks quirks = quirksOf(endpoint);
    quirks.noJsonSchema = quirks.noJsonSchema || quirksOf(schemaEndpoint).noJsonSchema;
    auto answer = streamOnce(config_, buildBody(quirks), cancel, callbacks);
    // Optional fields some servers refuse: drop the one the server names, once each.
    for (int tries = 0; tries < 2 && isRejection(answer); ++tries) {
      const std::string msg = answer.error().message;
      Quirks learnt;
      if (!quirks.noStreamOptions && containsNoCase(msg, "stream_options"))
        learnt.noStreamOptions = quirks.noStreamOptions = true; // usage is then estimated
      else if (!quirks.noTemperature && containsNoCase(msg, "temperature"))
        learnt.noTemperature = quirks.noTemperature = true;
      else
        break;
      remember(endpoint, learnt);
      answer = streamOnce(config_, buildBody(quirks), cancel, callbacks);
    }
    if (isRejection(answer) && wantsJson && !quirks.noJsonSchema) {
      // Most likely the server does not support response_format json_schema. Retry at once
      // with the schema in the prompt; remember that only if the server named the feature
      // or the plain request went through (a 400 for another reason would repeat).
      const std::string msg = answer.error().message; // a copy: `answer` is replaced below
      bool named = containsNoCase(msg, "response_format") || containsNoCase(msg, "json_schema") ||
                   containsNoCase(msg, "schema") || containsNoCase(msg, "structured");
      quirks.noJsonSchema = true;
      answer = streamOnce(config_, buildBody(quirks), cancel, callbacks);
      if (named || !isRejection(answer))
        remember(containsNoCase(msg, "invalid schema") ? schemaEndpoint : endpoint, Quirks{true, false, false});
    }
    const bool fallback = wantsJson && quirks.noJsonSchema;
    if (!answer)
      return answer.error();
    Answer &a = *answer;
    std::optional<std::string> problem;
    std::string text = a.text;
    if (wantsJson) {
      auto extracted = extractJsonObject(a.text);
      if (!extracted)
        problem = extracted.error().message;
      else if (auto bad = checkJsonSchema(*extracted, request.jsonSchema))
        problem = "it does not follow the schema (" + *bad + ")";
      else
        text = std::move(*extracted);
    }
    if (!problem && request.validate)
      problem = request.validate(text);
    if (problem) {
      std::string echo = a.text.substr(0, kMaxRepairEcho);
      repair = {{"assistant", echo},
                {"user", "That answer could not be used: " + *problem +
                             ". Answer again, following the instructions exactly."}};
      return Error{ErrorKind::BadAnswer, "the model's answer was unusable: " + *problem};
    }
    result.text = std::move(text);
    result.rawText = std::move(a.text);
    result.schemaFallback = wantsJson && fallback;
    if (a.usageSeen) {
      result.usage = a.usage;
    } else {
      size_t promptChars = 0;
      for (const auto &m : request.messages)
        promptChars += m.content.size();
      result.usage = {estimateTokens(promptChars), estimateTokens(result.rawText.size()), true};
    }
    return okStatus();
  };
  auto status = runWithRetries(policy, cancel, callbacks.onRetry, attempt, &result.attempts);
  if (!status)
    return status.error();
  return result;
}

} // namespace recurrent::engine
