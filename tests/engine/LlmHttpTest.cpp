// HttpClient: Retry-After parsing, status errors, loopback never proxied, GET bodies.
#include "engine/llm/HttpClient.h"
#include "tests/support/FakeLlmServer.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <optional>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeResponse;

TEST_CASE("http: Retry-After as seconds or as an HTTP date") {
  CHECK(parseRetryAfter("0") == 0);
  CHECK(parseRetryAfter(" 12 ") == 12);
  CHECK(parseRetryAfter("1.5") == 1.5);
  CHECK(parseRetryAfter("soon") == -1);
  CHECK(parseRetryAfter("") == -1);
  CHECK(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == 0); // in the past: no wait
  std::time_t later = std::time(nullptr) + 120;
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&later));
  double wait = parseRetryAfter(date);
  CHECK(wait > 100);
  CHECK(wait <= 120);
}

TEST_CASE("http: status errors carry advice, the server's message and Retry-After") {
  auto e = httpStatusError(429, R"({"error":{"message":"Rate limit reached"}})", 7, "http://h/v1");
  CHECK(e.kind == ErrorKind::Http);
  CHECK(e.httpStatus == 429);
  CHECK(e.retryAfterSeconds == 7);
  CHECK(e.message == "rate limited (429): Rate limit reached");
  e = httpStatusError(502, "<html><body>Bad gateway</body></html>", -1, "http://user:pw@h/v1");
  CHECK(e.message == "the model server at http://h/v1 failed (502)");
  e = httpStatusError(301, "", -1, "http://h/v1");
  CHECK(e.message == "the model server at http://h/v1 redirects (301): set RECURRENT_BASE_URL to the final address (https?)");
  e = httpStatusError(400, R"({"error":"bad things\nhappened"})", -1, "x");
  CHECK(e.message == "the model server rejected the request (400): bad things happened");
}

TEST_CASE("http: a GET collects the body, Retry-After reaches the error") {
  FakeLlmServer server;
  auto r = performHttp(HttpRequest{"GET", server.baseUrl() + "/models"}, CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->status == 200);
  CHECK(r->contentType == "application/json");
  CHECK(r->body.find("fake-model") != std::string::npos);

  server.enqueue("/v1/models", FakeResponse::error(503, "busy", "9"));
  r = performHttp(HttpRequest{"GET", server.baseUrl() + "/models"}, CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 503);
  CHECK(r.error().retryAfterSeconds == 9);
  CHECK(r.error().message.find("busy") != std::string::npos);
}

namespace {
/// Sets (or with nullptr unsets) a variable for the scope of a test; libcurl reads proxies
/// only from the process environment.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

private:
  const char *name_;
  std::optional<std::string> old_;
};
} // namespace

TEST_CASE("http: a loopback server is reached even with a proxy configured") {
  FakeLlmServer server;
  ScopedEnv proxy("http_proxy", "http://127.0.0.1:1"); // a proxy that does not exist
  ScopedEnv noProxy("no_proxy", nullptr), noProxyUpper("NO_PROXY", nullptr);
  auto r = performHttp(HttpRequest{"GET", server.baseUrl() + "/models"}, CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->status == 200);
}

TEST_CASE("http: a streamed body arrives in order however it is split") {
  FakeLlmServer server;
  std::string body;
  for (int i = 0; i < 500; ++i)
    body += "line " + std::to_string(i) + "\n";
  auto response = FakeResponse::sse(body);
  response.split(42, 13);
  server.enqueue(response);
  std::string got;
  HttpRequest req{"POST", server.baseUrl() + "/chat/completions"};
  req.body = "{}";
  auto r = performHttp(req, CancelToken(), [&](std::string_view chunk) { got += chunk; });
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(got == body);
  CHECK(server.requests()[0].json.is_object());
}
