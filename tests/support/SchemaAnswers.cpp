#include "tests/support/SchemaAnswers.h"

namespace recurrent::test {

using nlohmann::json;

namespace {

constexpr std::string_view kSchemaInPrompt = "It must follow this JSON Schema:\n";

/// The schema a request asks for, wherever it carries it.
json requestedSchema(const json &body) {
  if (!body.is_object())
    return nullptr;
  if (auto p = json::json_pointer("/response_format/json_schema/schema"); body.contains(p))
    return body[p];
  if (auto p = json::json_pointer("/tools/0/input_schema"); body.contains(p))
    return body[p];
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto &m : body["messages"]) {
      if (!m.contains("content") || !m["content"].is_string())
        continue;
      const auto &text = m["content"].get_ref<const std::string &>();
      if (auto at = text.find(kSchemaInPrompt); at != std::string::npos) {
        auto schema = json::parse(text.substr(at + kSchemaInPrompt.size()), nullptr, false);
        if (!schema.is_discarded())
          return schema;
      }
    }
  return nullptr;
}

long promptTokensOf(const json &body) {
  size_t chars = 0;
  if (body.contains("system") && body["system"].is_string())
    chars += body["system"].get_ref<const std::string &>().size();
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto &m : body["messages"])
      if (m.contains("content") && m["content"].is_string())
        chars += m["content"].get_ref<const std::string &>().size();
  return static_cast<long>(chars / 4) + 10;
}

long capOf(const json &body) {
  for (const char *name : {"max_completion_tokens", "max_tokens"})
    if (body.contains(name) && body[name].is_number_integer())
      return body[name].get<long>();
  return 0;
}

/// A draft of the answer (valid against the schema, so extraction would take it) inside
/// thinking prose, marked so no trace of it may reach the story.
std::string reasoningFor(const std::string &answer) {
  std::string draft = answer;
  for (size_t at; (at = draft.find("answer ")) != std::string::npos;)
    draft.replace(at, 7, std::string(kReasoningMarker) + " ");
  return "Let me think (" + std::string(kReasoningMarker) + "). A first try:\n" + draft +
         "\nNo, that misses the point of the plan; I will revise it.";
}

/// Pads reasoning to about `tokens` tokens (four characters each).
std::string longReasoning(long tokens) {
  std::string out = std::string(kReasoningMarker) + ": ";
  while (static_cast<long>(out.size()) < tokens * 4)
    out += "I weigh each plan again and again. ";
  return out;
}

FakeResponse embeddingsFor(const FakeRequest &request) {
  json data = json::array();
  json inputs = request.json.is_object() ? request.json.value("input", json::array()) : json::array();
  if (inputs.is_string())
    inputs = json::array({inputs});
  int index = 0;
  for (const auto &text : inputs)
    data.push_back({{"object", "embedding"},
                    {"index", index++},
                    {"embedding", FakeLlmServer::embeddingFor(text.is_string() ? text.get<std::string>() : "", 8)}});
  return FakeResponse::json({{"object", "list"}, {"data", data}, {"model", request.json.value("model", "")}});
}

FakeResponse anthropicError(int status, const std::string &type, const std::string &message) {
  return FakeResponse::json({{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}, status);
}

} // namespace

json SchemaAnswers::fill(const json &schema, const std::string &name, int call) {
  std::string type = schema.value("type", "string");
  if (schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty())
    return schema["enum"][0];
  if (type == "object") {
    json out = json::object();
    if (schema.contains("properties"))
      for (auto &[key, sub] : schema["properties"].items())
        out[key] = fill(sub, key, call);
    return out;
  }
  if (type == "array") {
    std::size_t n = schema.value("minItems", 3);
    if (n == 0)
      n = 3;
    if (schema.contains("maxItems"))
      n = std::min<std::size_t>(n, schema["maxItems"].get<std::size_t>());
    json out = json::array();
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(fill(schema.value("items", json{{"type", "string"}}), name + " " + std::to_string(i + 1), call));
    return out;
  }
  if (type == "integer" || type == "number")
    return 1;
  if (type == "boolean")
    return false;
  if (name == "paragraph" || name.rfind("paragraphs", 0) == 0)
    return "In answer " + std::to_string(call) + " the " + name +
           " moves on. The harbour lights flickered as Mara counted the crates. Nobody spoke of the storm.";
  return name + " from answer " + std::to_string(call) + ".";
}

json SchemaAnswers::answer(const FakeRequest &request) {
  int call = ++calls_;
  json schema = requestedSchema(request.json);
  if (schema.is_object())
    return fill(schema, "answer", call);
  return json::object();
}

FakeResponse SchemaAnswers::respond(const FakeRequest &request) { return chatStream(answer(request).dump()); }

FakeLlmServer::Handler SchemaAnswers::handler() {
  return [this](const FakeRequest &request) {
    if (request.path == "/v1/chat/completions")
      return respond(request);
    return FakeResponse::error(404, "not scripted");
  };
}

FakeLlmServer::Handler SchemaAnswers::handler(ServerProfile profile) {
  return [this, profile](const FakeRequest &request) { return respondAs(profile, request); };
}

FakeResponse SchemaAnswers::respondAs(ServerProfile profile, const FakeRequest &request) {
  using P = ServerProfile;
  using Shape = ChatStreamOptions::ReasoningShape;
  if (request.path == "/v1/models") {
    json data = json::array();
    if (profile == P::Ollama) {
      for (const char *id : {kOllamaEmbedModel, kOllamaChatModel})
        data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "library"}});
    } else if (profile == P::Vllm) {
      data.push_back({{"id", "m"}, {"object", "model"}, {"owned_by", "vllm"}, {"root", "m"}, {"max_model_len", 4096}});
    } else {
      data.push_back({{"id", "m"}, {"object", "model"}, {"owned_by", "fake"}});
    }
    return FakeResponse::json({{"object", "list"}, {"data", data}});
  }
  if (request.path == "/v1/embeddings") {
    if (profile == P::NoEmbeddings)
      return FakeResponse::json({{"error",
                                  {{"code", 501},
                                   {"message", "This server does not support embeddings. Start it with `--embeddings`"},
                                   {"type", "not_supported_error"}}}},
                                501);
    return embeddingsFor(request);
  }
  if (request.path == "/v1/messages" && profile == P::Anthropic)
    return anthropic(request);
  if (request.path != "/v1/chat/completions")
    return FakeResponse::error(404, "fake server: unknown path " + request.path);

  const json &body = request.json;
  const long cap = capOf(body);
  const long prompt = promptTokensOf(body);
  ChatStreamOptions o;
  o.model = body.value("model", "m");
  o.promptTokens = prompt;
  auto reasoned = [&](Shape shape) {
    std::string answerText = answer(request).dump();
    o.reasoning = reasoningFor(answerText);
    o.reasoningShape = shape;
    return chatStream(answerText, o);
  };
  switch (profile) {
  case P::ReasoningContent: return reasoned(Shape::ReasoningContent);
  case P::ReasoningField: return reasoned(Shape::Reasoning);
  case P::ThinkTags: return reasoned(Shape::ThinkTags);
  case P::LoneThinkClose: return reasoned(Shape::LoneClose);
  case P::ReasoningExhaustsCap: {
    constexpr long kThinking = 1500;
    std::string answerText = answer(request).dump();
    long needed = kThinking + static_cast<long>(answerText.size() / 4) + 1;
    o.reasoningShape = Shape::ReasoningContent;
    if (cap > 0 && cap < needed) { // the cap runs out while thinking: no answer at all
      o.reasoning = longReasoning(cap);
      o.finishReason = "length";
      o.completionTokens = cap;
      return chatStream("", o);
    }
    o.reasoning = longReasoning(kThinking);
    return chatStream(answerText, o);
  }
  case P::SmallContext: {
    if (prompt > kSmallContext)
      return FakeResponse::json(
          {{"error",
            {{"code", 400},
             {"message", "request (" + std::to_string(prompt) + " tokens) exceeds the available context size (" +
                             std::to_string(kSmallContext) + " tokens), try increasing it"},
             {"type", "exceed_context_size_error"},
             {"n_prompt_tokens", prompt},
             {"n_ctx", kSmallContext}}}},
          400);
    std::string answerText = answer(request).dump();
    long room = kSmallContext - prompt;
    if (static_cast<long>(answerText.size() / 4) > room) { // generation stops when the context is full
      o.finishReason = "length";
      o.completionTokens = room;
      return chatStream(answerText.substr(0, static_cast<size_t>(room) * 4), o);
    }
    return chatStream(answerText, o);
  }
  case P::OldLlamaCpp:
    if (body.value("/response_format/type"_json_pointer, std::string()) == "json_schema")
      return FakeResponse::json(
          {{"error",
            {{"code", 500},
             {"message", "response_format type must be one of \"text\" or \"json_object\", but got: json_schema"},
             {"type", "server_error"}}}},
          500);
    return chatStream(answer(request).dump(), o);
  case P::OpenAiReasoning: {
    if (body.contains("max_tokens"))
      return FakeResponse::json({{"error",
                                  {{"message", "Unsupported parameter: 'max_tokens' is not supported with this model. "
                                               "Use 'max_completion_tokens' instead."},
                                   {"type", "invalid_request_error"},
                                   {"param", "max_tokens"},
                                   {"code", "unsupported_parameter"}}}},
                                400);
    if (body.contains("temperature") && body["temperature"].is_number() && body["temperature"].get<double>() != 1.0)
      return FakeResponse::json({{"error",
                                  {{"message", "Unsupported value: 'temperature' does not support " +
                                                   body["temperature"].dump() +
                                                   " with this model. Only the default (1) value is supported."},
                                   {"type", "invalid_request_error"},
                                   {"param", "temperature"},
                                   {"code", "unsupported_value"}}}},
                                400);
    std::string answerText = answer(request).dump();
    o.completionTokens = static_cast<long>(answerText.size() / 4) + 400; // hidden reasoning tokens count
    return chatStream(answerText, o);
  }
  case P::Ollama:
    if (o.model == kOllamaEmbedModel)
      return FakeResponse::json(
          {{"error", {{"message", "\"" + o.model + "\" does not support chat"}, {"type", "api_error"}}}}, 400);
    return reasoned(Shape::Reasoning);
  case P::Vllm:
    if (prompt + cap > 4096)
      return FakeResponse::json(
          {{"object", "error"},
           {"message", "This model's maximum context length is 4096 tokens. However, you requested " +
                           std::to_string(prompt + cap) + " tokens (" + std::to_string(prompt) +
                           " in the messages, " + std::to_string(cap) +
                           " in the completion). Please reduce the length of the messages or completion."},
           {"type", "BadRequestError"},
           {"param", nullptr},
           {"code", 400}},
          400);
    return reasoned(Shape::ReasoningContent);
  case P::Anthropic:
    return FakeResponse::error(404, "the Anthropic profile serves /v1/messages");
  case P::Plain:
  case P::NoEmbeddings:
    break;
  }
  return chatStream(answer(request).dump(), o);
}

FakeResponse SchemaAnswers::anthropic(const FakeRequest &request) {
  const json &body = request.json;
  auto key = request.headers.find("x-api-key");
  if (key == request.headers.end() || key->second.empty())
    return anthropicError(401, "authentication_error", "x-api-key header is required");
  if (!request.headers.count("anthropic-version"))
    return anthropicError(400, "invalid_request_error", "anthropic-version: header is required");
  if (!body.is_object() || !body.contains("max_tokens"))
    return anthropicError(400, "invalid_request_error", "max_tokens: Field required");
  for (const auto &m : body.value("messages", json::array()))
    if (m.value("role", "") != "user" && m.value("role", "") != "assistant")
      return anthropicError(400, "invalid_request_error",
                            "messages: Unexpected role \"" + m.value("role", "") +
                                "\". The Messages API accepts a top-level `system` parameter, not \"system\" as an "
                                "input message role.");
  {
    std::lock_guard lock(mutex_);
    if (!overloadedOnce_) {
      overloadedOnce_ = true;
      return anthropicError(529, "overloaded_error", "Overloaded");
    }
  }
  std::string answerText = answer(request).dump();
  const bool tool = body.contains("tools") && body["tools"].is_array() && !body["tools"].empty();
  std::string out;
  auto event = [&](const char *name, const json &data) {
    out += std::string("event: ") + name + "\ndata: " + data.dump() + "\n\n";
  };
  auto deltas = [&](int index, const std::string &text, const char *type, const char *field) {
    for (size_t pos = 0; pos < text.size(); pos += 9)
      event("content_block_delta",
            {{"type", "content_block_delta"}, {"index", index}, {"delta", {{"type", type}, {field, text.substr(pos, 9)}}}});
  };
  event("message_start", {{"type", "message_start"},
                          {"message",
                           {{"id", "msg_fake"}, {"type", "message"}, {"role", "assistant"},
                            {"model", body.value("model", "")}, {"content", json::array()}, {"stop_reason", nullptr},
                            {"stop_sequence", nullptr},
                            {"usage", {{"input_tokens", promptTokensOf(body)}, {"output_tokens", 1}}}}}});
  event("content_block_start",
        {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "thinking"}, {"thinking", ""}}}});
  deltas(0, reasoningFor(answerText), "thinking_delta", "thinking");
  event("content_block_delta", {{"type", "content_block_delta"},
                                {"index", 0},
                                {"delta", {{"type", "signature_delta"}, {"signature", "EqQBCgIYAhIM"}}}});
  event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
  event("ping", {{"type", "ping"}});
  if (tool) {
    event("content_block_start", {{"type", "content_block_start"},
                                  {"index", 1},
                                  {"content_block",
                                   {{"type", "tool_use"}, {"id", "toolu_fake"},
                                    {"name", body["tools"][0].value("name", "")}, {"input", json::object()}}}});
    deltas(1, answerText, "input_json_delta", "partial_json");
  } else {
    event("content_block_start",
          {{"type", "content_block_start"}, {"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}});
    deltas(1, answerText, "text_delta", "text");
  }
  event("content_block_stop", {{"type", "content_block_stop"}, {"index", 1}});
  event("message_delta", {{"type", "message_delta"},
                          {"delta", {{"stop_reason", tool ? "tool_use" : "end_turn"}, {"stop_sequence", nullptr}}},
                          {"usage", {{"output_tokens", static_cast<long>(answerText.size() / 4) + 50}}}});
  event("message_stop", {{"type", "message_stop"}});
  return FakeResponse::sse(out);
}

} // namespace recurrent::test
