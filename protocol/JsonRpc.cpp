// JSON-RPC 2.0 envelope parsing and serialisation (see JsonRpc.h).
#include "protocol/JsonRpc.h"

namespace recurrent::protocol {
namespace {

constexpr auto kDump = json::error_handler_t::replace; // never throw on invalid UTF-8 when writing

std::optional<RequestId> readId(const json &value) {
  if (value.is_number_integer())
    return RequestId(value.get<std::int64_t>());
  if (value.is_string())
    return RequestId(value.get<std::string>());
  return std::nullopt;
}

Malformed invalid(std::optional<RequestId> id, std::string message) {
  return Malformed{std::move(id), ResponseError{InvalidRequest, std::move(message), std::nullopt}};
}

} // namespace

json idToJson(const RequestId &id) {
  if (auto *n = std::get_if<std::int64_t>(&id))
    return *n;
  return std::get<std::string>(id);
}

std::string describeId(const RequestId &id) { return idToJson(id).dump(); }

json errorToJson(const ResponseError &error) {
  json out{{"code", error.code}, {"message", error.message}};
  if (error.data)
    out["data"] = *error.data;
  return out;
}

std::size_t jsonNestingDepth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '{' || c == '[')
      deepest = std::max(deepest, ++depth);
    else if ((c == '}' || c == ']') && depth > 0)
      --depth;
  }
  return deepest;
}

Message parseMessage(std::string_view body, const ParseLimits &limits) {
  if (jsonNestingDepth(body) > limits.maxDepth)
    return Malformed{std::nullopt, {ParseError, "JSON nested deeper than " + std::to_string(limits.maxDepth) +
                                                    " levels", std::nullopt}};
  json value = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded())
    return Malformed{std::nullopt, {ParseError, "invalid JSON", std::nullopt}};
  if (!value.is_object())
    return invalid(std::nullopt, "a message must be a JSON object");
  std::optional<RequestId> id;
  bool hasId = value.contains("id") && !value["id"].is_null();
  if (hasId) {
    id = readId(value["id"]);
    if (!id)
      return invalid(std::nullopt, "id must be an integer or a string");
  }
  auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0")
    return invalid(id, "jsonrpc must be \"2.0\"");
  auto method = value.find("method");
  if (method != value.end()) {
    if (!method->is_string())
      return invalid(id, "method must be a string");
    json params = nullptr;
    if (auto p = value.find("params"); p != value.end()) {
      if (!p->is_object() && !p->is_array() && !p->is_null())
        return invalid(id, "params must be an object or an array");
      params = std::move(*p);
    }
    if (id)
      return Request{std::move(*id), method->get<std::string>(), std::move(params)};
    if (value.contains("id"))
      return invalid(std::nullopt, "a request id must not be null");
    return Notification{method->get<std::string>(), std::move(params)};
  }
  if (!id)
    return invalid(std::nullopt, "a message needs a method, or an id with a result or an error");
  Response response{std::move(*id), std::nullopt, std::nullopt};
  if (auto e = value.find("error"); e != value.end() && e->is_object()) {
    ResponseError error;
    if (auto c = e->find("code"); c != e->end() && c->is_number_integer())
      error.code = c->get<int>();
    if (auto m = e->find("message"); m != e->end() && m->is_string())
      error.message = m->get<std::string>();
    if (auto d = e->find("data"); d != e->end())
      error.data = *d;
    response.error = std::move(error);
  } else if (auto r = value.find("result"); r != value.end()) {
    response.result = std::move(*r);
  } else {
    return invalid(response.id, "a response needs a result or an error");
  }
  return response;
}

std::string serializeRequest(const RequestId &id, std::string_view method, const json &params) {
  json out{{"jsonrpc", "2.0"}, {"id", idToJson(id)}, {"method", method}};
  if (!params.is_null())
    out["params"] = params;
  return out.dump(-1, ' ', false, kDump);
}

std::string serializeNotification(std::string_view method, const json &params) {
  json out{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null())
    out["params"] = params;
  return out.dump(-1, ' ', false, kDump);
}

std::string serializeResult(const RequestId &id, const json &result) {
  json out{{"jsonrpc", "2.0"}, {"id", idToJson(id)}, {"result", result}};
  return out.dump(-1, ' ', false, kDump);
}

std::string serializeError(const std::optional<RequestId> &id, const ResponseError &error) {
  json out{{"jsonrpc", "2.0"}, {"id", id ? idToJson(*id) : json(nullptr)}, {"error", errorToJson(error)}};
  return out.dump(-1, ' ', false, kDump);
}

} // namespace recurrent::protocol
