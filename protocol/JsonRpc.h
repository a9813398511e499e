// The JSON-RPC 2.0 envelope: request ids, error codes, parsing a body into a message, building replies.
//
// parseMessage() is a pure function over bytes (fuzzed by fuzz/fuzz_dispatch.cpp): it enforces a
// nesting-depth cap before handing the text to nlohmann, and classifies the result as a request,
// a notification or a response, or as a failure carrying the error code and id to answer with.
// Thread-safe (pure functions and plain values).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace recurrent::protocol {

using json = nlohmann::json;

/// JSON-RPC and LSP error codes.
enum ErrorCode : int {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  ServerNotInitialized = -32002,
  UnknownErrorCode = -32001,
  RequestFailed = -32803,
  ServerCancelled = -32802,
  ContentModified = -32801,
  RequestCancelled = -32800,
};

/// A request id: an integer or a string (JSON-RPC also allows null, which we never issue).
using RequestId = std::variant<std::int64_t, std::string>;
json idToJson(const RequestId &id);
/// "7" or "\"abc\"", for log lines.
std::string describeId(const RequestId &id);

struct ResponseError {
  int code = InternalError;
  std::string message;
  std::optional<json> data;
};
json errorToJson(const ResponseError &error);

struct Request {
  RequestId id;
  std::string method;
  json params; ///< object, array, or null when absent
};
struct Notification {
  std::string method;
  json params;
};
struct Response {
  RequestId id;
  std::optional<json> result;          ///< present on success
  std::optional<ResponseError> error;  ///< present on failure
};
/// A body that is not a valid message: answer with `error` (to `id` when it could be read).
struct Malformed {
  std::optional<RequestId> id;
  ResponseError error;
};
using Message = std::variant<Request, Notification, Response, Malformed>;

struct ParseLimits {
  std::size_t maxDepth = 64; ///< arrays/objects nested deeper are a parse error
};

Message parseMessage(std::string_view body, const ParseLimits &limits = {});

/// Deepest nesting of arrays and objects in `text`, ignoring brackets inside strings; pure and O(n).
std::size_t jsonNestingDepth(std::string_view text);

std::string serializeRequest(const RequestId &id, std::string_view method, const json &params);
std::string serializeNotification(std::string_view method, const json &params);
std::string serializeResult(const RequestId &id, const json &result);
/// An error reply; `id` absent serialises as null (for parse errors).
std::string serializeError(const std::optional<RequestId> &id, const ResponseError &error);

} // namespace recurrent::protocol
