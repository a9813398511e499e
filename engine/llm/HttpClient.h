// One HTTP request over libcurl, with streaming, cancellation and errors a user can act on.
//
// Each call owns its curl handles (RAII) and drives them with a short poll loop so a
// cancelled token stops the transfer within about 50 ms, mid-stream or while connecting.
// There is a connect timeout and a stall timeout (no byte for N seconds), never a total
// timeout: a long generation that keeps streaming is never cut. TLS is always verified.
// Proxies come from http_proxy/https_proxy/no_proxy as libcurl reads them, except that
// loopback hosts are never proxied. Failures map to ErrorKind Cancelled, Timeout, Network
// or Http (with the status, the server's own message and Retry-After).
//
// Thread-safety: performHttp() may run on several threads at once (separate handles).
#pragma once

#include "engine/llm/BackendConfig.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace recurrent::engine {

struct HttpRequest {
  std::string method = "POST";   ///< "GET" or "POST"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  double connectTimeoutSeconds = 10;
  double stallTimeoutSeconds = 60; ///< rounded up to whole seconds (libcurl's low-speed check)
  /// How messages name the server, e.g. the base URL; defaults to the URL.
  std::string displayName;
  /// Text that must never appear in an error message (the API key), besides Bearer tokens.
  std::string secret;
};

struct HttpResponse {
  int status = 0;
  std::string contentType;
  /// The body, when no onBody sink was given.
  std::string body;
};

/// A request to `path` below the backend's base URL, with its timeouts, the base URL as its
/// display name and the key as the secret to redact; the caller adds the auth header.
HttpRequest backendRequest(const BackendConfig &config, std::string_view path);

/// Sends the request. A 2xx body is passed to `onBody` as it arrives (or collected in
/// HttpResponse::body when onBody is empty). A non-2xx answer becomes ErrorKind::Http.
Result<HttpResponse> performHttp(const HttpRequest &request, const CancelToken &cancel,
                                 const std::function<void(std::string_view chunk)> &onBody = {});

/// The error for an HTTP status, with advice for the usual causes and the server's message
/// (taken from an OpenAI-style {"error":{"message":...}} body when present).
Error httpStatusError(int status, std::string_view body, double retryAfterSeconds, std::string_view displayName);

/// Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); -1 if unreadable.
double parseRetryAfter(std::string_view value);

} // namespace recurrent::engine
