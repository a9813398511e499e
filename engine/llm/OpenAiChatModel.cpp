#include "engine/llm/OpenAiChatModel.h"

#include "engine/llm/AnswerCheck.h"
#include "engine/llm/HttpClient.h"
#include "engine/llm/Reasoning.h"
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

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

/// What one streamed answer held.
struct Answer {
  std::string text;      ///< the answer, reasoning taken out
  std::string reasoning; ///< delta.reasoning_content / delta.reasoning / a <think> block
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
  bool noJsonSchema = false;        ///< rejects response_format json_schema
  bool noStreamOptions = false;     ///< rejects stream_options
  bool noTemperature = false;       ///< rejects temperature (reasoning models)
  bool maxCompletionTokens = false; ///< wants max_completion_tokens, not max_tokens (OpenAI's reasoning models)
  long contextTokens = 0;           ///< the context window the server named, 0 when unknown
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
  q.maxCompletionTokens = q.maxCompletionTokens || quirks.maxCompletionTokens;
  if (quirks.contextTokens > 0)
    q.contextTokens = quirks.contextTokens;
}

void rememberContext(const std::string &endpoint, long tokens) {
  Quirks q;
  q.contextTokens = tokens;
  remember(endpoint, q);
}

bool isRejection(const Result<Answer> &answer) {
  return !answer && answer.error().kind == ErrorKind::Http &&
         (answer.error().httpStatus == 400 || answer.error().httpStatus == 422);
}

/// A refusal of response_format json_schema: a 400/422 for any reason (the fallback is tried
/// once), or any 4xx/5xx naming the feature (llama.cpp's server up to b3777, ik_llama.cpp and
/// llama-cpp-python answer 500 "response_format type must be one of ...").
bool isSchemaRejection(const Result<Answer> &answer) {
  if (isRejection(answer))
    return true;
  if (answer || answer.error().kind != ErrorKind::Http || answer.error().httpStatus < 400)
    return false;
  const auto &msg = answer.error().message;
  return containsNoCase(msg, "response_format") || containsNoCase(msg, "json_schema");
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

/// The reasoning a message or delta carries in its own field, under either name.
void readReasoningField(const json &m, Answer &a) {
  for (const char *name : {"reasoning_content", "reasoning"})
    if (auto r = m.find(name); r != m.end() && r->is_string())
      a.reasoning += r->get_ref<const std::string &>();
}

/// Applies one streamed chunk ({"choices":[{"delta":{...},"finish_reason":...}],"usage":...}).
void applyChunk(const json &chunk, Answer &a, ReasoningSplitter &content, const ChatCallbacks &callbacks) {
  readServerError(chunk, a);
  readUsage(chunk, a);
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object())
    return;
  const json &choice = (*choices)[0];
  if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
    readReasoningField(*delta, a);
    if (auto c = delta->find("content"); c != delta->end() && c->is_string() && !c->get_ref<const std::string &>().empty()) {
      auto preview = content.feed(c->get_ref<const std::string &>());
      if (callbacks.onDelta && !preview.empty())
        callbacks.onDelta(preview);
    }
    if (auto r = delta->find("refusal"); r != delta->end() && r->is_string())
      a.refusal += r->get<std::string>();
  }
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    a.finishReason = f->get<std::string>();
}

/// A whole (non-streamed) chat.completion, for servers that ignore stream: true.
void applyCompletion(const json &doc, Answer &a, ReasoningSplitter &content, const ChatCallbacks &callbacks) {
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
    readReasoningField(*m, a);
    if (auto c = m->find("content"); c != m->end() && c->is_string()) {
      auto preview = content.feed(c->get_ref<const std::string &>());
      if (callbacks.onDelta && !preview.empty())
        callbacks.onDelta(preview);
    }
    if (auto r = m->find("refusal"); r != m->end() && r->is_string())
      a.refusal = r->get<std::string>();
  }
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string())
    a.finishReason = f->get<std::string>();
  a.done = true;
}

HttpRequest baseRequest(const BackendConfig &c, std::string_view path) {
  HttpRequest r = backendRequest(c, path);
  if (!c.apiKey.empty())
    r.headers.emplace_back("Authorization", "Bearer " + c.apiKey);
  return r;
}

/// Sends one chat request and reads the whole stream.
Result<Answer> streamOnce(const BackendConfig &config, const std::string &body, bool answerIsJson,
                          const CancelToken &cancel, const ChatCallbacks &callbacks) {
  HttpRequest req = baseRequest(config, "/chat/completions");
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "text/event-stream");
  req.body = body;

  Answer a;
  SseParser parser;
  ReasoningSplitter content(answerIsJson);
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
    applyChunk(chunk, a, content, callbacks);
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
    applyCompletion(doc, a, content, callbacks);
  } else if (auto last = parser.finish()) {
    onEvent(*last);
  }
  if (a.streamError)
    return *a.streamError;
  if (!a.done && a.finishReason.empty())
    return Error{ErrorKind::Network, "the answer stream from " + redactUrl(config.baseUrl) +
                                         " ended before the answer was complete"};
  auto split = content.finish();
  a.text = std::move(split.answer);
  if (!split.reasoning.empty())
    a.reasoning += (a.reasoning.empty() ? "" : "\n") + split.reasoning;
  if (!a.refusal.empty())
    return Error{ErrorKind::BadAnswer, "the model refused: " + trimmed(a.refusal)};
  if (a.finishReason == "content_filter")
    return Error{ErrorKind::BadAnswer, "the model's answer was stopped by its content filter"};
  if (trimmed(a.text).empty() && a.finishReason != "length")
    return Error{ErrorKind::BadAnswer, a.reasoning.empty() ? "the model sent an empty answer"
                                                           : "the model sent its reasoning but no answer"};
  return a;
}

/// Ollama lists the most recently pulled model first, often an embedding model.
bool looksLikeEmbeddingModel(std::string_view id) {
  return containsNoCase(id, "embed") || containsNoCase(id, "bge-") || containsNoCase(id, "minilm") ||
         containsNoCase(id, "e5-") || containsNoCase(id, "rerank");
}

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

Result<std::vector<OpenAiChatModel::ModelCard>> OpenAiChatModel::listModels(const CancelToken &cancel) const {
  HttpRequest req = baseRequest(config_, "/models");
  req.method = "GET";
  auto r = performHttp(req, cancel);
  if (!r)
    return r.error();
  std::vector<ModelCard> out;
  auto doc = json::parse(r->body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("data") && doc["data"].is_array())
    for (const auto &m : doc["data"])
      if (m.is_object() && m.contains("id") && m["id"].is_string() && !m["id"].get<std::string>().empty()) {
        ModelCard card{m["id"].get<std::string>(), 0};
        // vLLM's cards carry the context window it was started with.
        if (auto len = m.find("max_model_len"); len != m.end() && len->is_number_integer())
          card.contextTokens = len->get<long>();
        out.push_back(std::move(card));
        rememberContext(config_.baseUrl + "\n" + out.back().id, out.back().contextTokens);
      }
  return out;
}

std::string OpenAiChatModel::modelNames(const std::vector<ModelCard> &cards) {
  std::string names;
  for (size_t i = 0; i < cards.size() && i < 12; ++i)
    names += (i ? ", " : "") + cards[i].id;
  return names;
}

Result<std::string> OpenAiChatModel::resolveModel(const CancelToken &cancel) {
  std::lock_guard lock(modelMutex_);
  if (!model_.empty())
    return model_;
  auto cards = listModels(cancel);
  const std::string advice = "no model configured: set RECURRENT_MODEL or --model";
  if (!cards) {
    if (cards.error().kind == ErrorKind::Cancelled)
      return cards.error();
    return Error{ErrorKind::Config, advice + " (could not list the server's models: " + cards.error().message + ")"};
  }
  for (const auto &card : *cards)
    if (!looksLikeEmbeddingModel(card.id)) {
      model_ = card.id;
      return model_;
    }
  if (cards->empty())
    return Error{ErrorKind::Config, advice + " (" + redactUrl(config_.baseUrl) + " lists no models)"};
  return Error{ErrorKind::Config, advice + " to a chat model (" + redactUrl(config_.baseUrl) +
                                      " lists only embedding models: " + modelNames(*cards) + ")"};
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
  int cap = request.maxTokens;     // raised once after an answer cut off at it
  bool capRaised = false;
  auto buildBody = [&](const Quirks &quirks) {
    const bool fallback = quirks.noJsonSchema;
    json messages = json::array();
    for (const auto &m : messagesToSend(request, wantsJson && fallback, repair))
      messages.push_back({{"role", m.role}, {"content", m.content}});
    json body = {{"model", *model},
                 {"messages", std::move(messages)},
                 {"stream", true}};
    if (!quirks.noTemperature)
      body["temperature"] = config_.temperature.value_or(request.temperature);
    if (!quirks.noStreamOptions)
      body["stream_options"] = {{"include_usage", true}};
    if (cap > 0)
      body[quirks.maxCompletionTokens ? "max_completion_tokens" : "max_tokens"] = cap;
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
  int attemptNo = 0;
  // Says what was adapted, once: the endpoint remembers it, so the next call sends it right.
  auto adapted = [&](const std::string &what) {
    if (callbacks.onRetry)
      callbacks.onRetry(RetryNotice{attemptNo, policy.maxAttempts, 0,
                                    Error{ErrorKind::Config, *model + " " + what + " (remembered)"}});
  };
  auto attempt = [&](int n) -> Status {
    attemptNo = n;
    Quirks quirks = quirksOf(endpoint);
    quirks.noJsonSchema = quirks.noJsonSchema || quirksOf(schemaEndpoint).noJsonSchema;
    auto answer = streamOnce(config_, buildBody(quirks), wantsJson, cancel, callbacks);
    // Optional fields some servers refuse: adapt to the one the server names, once each.
    for (int tries = 0; tries < 3 && isRejection(answer); ++tries) {
      const std::string msg = answer.error().message;
      Quirks learnt;
      std::string what;
      if (!quirks.maxCompletionTokens && cap > 0 && containsNoCase(msg, "max_completion_tokens")) {
        learnt.maxCompletionTokens = quirks.maxCompletionTokens = true;
        what = "does not accept max_tokens: sending max_completion_tokens instead";
      } else if (!quirks.noStreamOptions && containsNoCase(msg, "stream_options")) {
        learnt.noStreamOptions = quirks.noStreamOptions = true; // usage is then estimated
        what = "does not accept stream_options: token counts are estimated";
      } else if (!quirks.noTemperature && containsNoCase(msg, "temperature")) {
        learnt.noTemperature = quirks.noTemperature = true;
        what = "does not accept a temperature: using the model's default";
      } else {
        break;
      }
      remember(endpoint, learnt);
      adapted(what);
      answer = streamOnce(config_, buildBody(quirks), wantsJson, cancel, callbacks);
    }
    if (isSchemaRejection(answer) && wantsJson && !quirks.noJsonSchema && !isContextOverflow(answer.error())) {
      // Most likely the server does not support response_format json_schema. Retry at once
      // with the schema in the prompt; remember that only if the server named the feature
      // or the plain request went through (a 400 for another reason would repeat).
      const std::string msg = answer.error().message; // a copy: `answer` is replaced below
      bool named = containsNoCase(msg, "response_format") || containsNoCase(msg, "json_schema") ||
                   containsNoCase(msg, "schema") || containsNoCase(msg, "structured");
      quirks.noJsonSchema = true;
      answer = streamOnce(config_, buildBody(quirks), wantsJson, cancel, callbacks);
      if (named || !isRejection(answer)) {
        Quirks learnt;
        learnt.noJsonSchema = true;
        remember(containsNoCase(msg, "invalid schema") ? schemaEndpoint : endpoint, learnt);
      }
    }
    const bool fallback = wantsJson && quirks.noJsonSchema;
    if (!answer) {
      const Error &e = answer.error();
      if (isContextOverflow(e)) {
        if (long named = contextTokensNamed(e.message))
          rememberContext(endpoint, named);
        return contextOverflowError(e);
      }
      if (e.kind == ErrorKind::Http && e.httpStatus == 400 && containsNoCase(e.message, "does not support chat")) {
        auto cards = listModels(cancel);
        std::string others = cards && !cards->empty() ? " (the server has: " + modelNames(*cards) + ")" : "";
        return Error{ErrorKind::Config, "the model \"" + *model + "\" does not support chat: set RECURRENT_MODEL or "
                                        "--model to a chat model" + others};
      }
      return e;
    }
    Answer &a = *answer;
    if (a.finishReason == "length") {
      // Cut off: short of the cap, the context filled; at the cap (reasoning tokens count
      // against it), ask once more with room to finish rather than repeat the same request.
      const bool atCap = cap > 0 && (!a.usageSeen || a.usage.completionTokens >= cap);
      if (!atCap) {
        long context = quirksOf(endpoint).contextTokens;
        if (context == 0 && a.usageSeen && cap > 0) {
          context = a.usage.promptTokens + a.usage.completionTokens; // llama.cpp fills its n_ctx
          rememberContext(endpoint, context);
        }
        return contextFullError(context);
      }
      if (capRaised)
        return capExhaustedError(cap, !a.reasoning.empty());
      capRaised = true;
      int raised = raisedCap(cap);
      if (long context = quirksOf(endpoint).contextTokens; context > 0 && a.usageSeen)
        raised = static_cast<int>(std::clamp<long>(context - a.usage.promptTokens, cap, raised));
      Error why{ErrorKind::BadAnswer, "the answer was cut off at its cap of " + std::to_string(cap) + " tokens" +
                                          (a.reasoning.empty() ? "" : " (the model spent them reasoning)") +
                                          "; asking again with " + std::to_string(raised)};
      cap = raised;
      if (raised <= request.maxTokens)
        return contextFullError(quirksOf(endpoint).contextTokens);
      if (callbacks.onRetry)
        callbacks.onRetry(RetryNotice{n, policy.maxAttempts, 0, why});
      return why; // made again at once by runWithRetriesRaisingCap
    }
    auto checked = checkAnswer(request, a.text);
    if (checked.problem) {
      repair = repairMessages(a.text, *checked.problem);
      return Error{ErrorKind::BadAnswer, "the model's answer was unusable: " + *checked.problem};
    }
    result.text = std::move(checked.text);
    result.rawText = std::move(a.text);
    result.reasoning = trimmed(a.reasoning);
    result.schemaFallback = wantsJson && fallback;
    result.usage = usageOrEstimate(request, a.usage, a.usageSeen, result.rawText.size() + result.reasoning.size());
    return okStatus();
  };
  auto status = runWithRetriesRaisingCap(policy, cancel, callbacks.onRetry, attempt, capRaised, &result.attempts);
  if (!status)
    return status.error();
  return result;
}

std::optional<long> OpenAiChatModel::serverContextTokens() const {
  std::string model;
  {
    std::lock_guard lock(modelMutex_);
    model = model_;
  }
  if (long n = quirksOf(config_.baseUrl + "\n" + model).contextTokens; n > 0)
    return n;
  return std::nullopt;
}

} // namespace recurrent::engine
