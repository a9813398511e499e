// The retry policy: what is retried, how long it waits, and that it stops.
#include "engine/llm/Retry.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;

TEST_CASE("retry: which errors are worth another attempt") {
  CHECK(isRetryable({ErrorKind::Timeout, "t"}));
  CHECK(isRetryable({ErrorKind::Network, "n"}));
  CHECK(isRetryable({ErrorKind::BadAnswer, "b"}));
  CHECK(isRetryable({ErrorKind::Http, "h", 429}));
  CHECK(isRetryable({ErrorKind::Http, "h", 500}));
  CHECK(isRetryable({ErrorKind::Http, "h", 503}));
  CHECK_FALSE(isRetryable({ErrorKind::Http, "h", 400}));
  CHECK_FALSE(isRetryable({ErrorKind::Http, "h", 401}));
  CHECK_FALSE(isRetryable({ErrorKind::Http, "h", 403}));
  CHECK_FALSE(isRetryable({ErrorKind::Http, "h", 404}));
  CHECK_FALSE(isRetryable(Error::cancelled()));
  CHECK_FALSE(isRetryable({ErrorKind::Config, "c"}));
}

TEST_CASE("retry: delays double with jitter, are capped, and Retry-After wins") {
  RetryPolicy p{6, 1.0, 5.0};
  Error e{ErrorKind::Network, "n"};
  for (int i = 0; i < 50; ++i) {
    double d1 = retryDelay(p, 1, e), d2 = retryDelay(p, 2, e), d4 = retryDelay(p, 4, e);
    CHECK(d1 >= 0.5);
    CHECK(d1 <= 1.0);
    CHECK(d2 >= 1.0);
    CHECK(d2 <= 2.0);
    CHECK(d4 >= 2.5); // 8 s capped to 5, then jittered
    CHECK(d4 <= 5.0);
  }
  Error limited{ErrorKind::Http, "r", 429, 7};
  CHECK(retryDelay(p, 1, limited) == 7);
}

TEST_CASE("retry: a retryable failure is tried maxAttempts times, then reported once") {
  RetryPolicy p{3, 0.001, 0.002};
  int calls = 0, notices = 0;
  auto s = runWithRetries(
      p, CancelToken(), [&](const RetryNotice &n) { CHECK(n.attempt == ++notices); },
      [&](int attempt) -> Status {
        CHECK(attempt == ++calls);
        return Error{ErrorKind::Network, "dropped"};
      });
  REQUIRE_FALSE(s.ok());
  CHECK(calls == 3);
  CHECK(notices == 2);
  CHECK(s.error().message == "gave up after 3 attempts; the last one: dropped");
}

TEST_CASE("retry: a non-retryable failure stops at once") {
  int calls = 0;
  auto s = runWithRetries(RetryPolicy{4, 0.001, 0.002}, CancelToken(), {}, [&](int) -> Status {
    ++calls;
    return Error{ErrorKind::Http, "the model server refused the key (401)", 401};
  });
  REQUIRE_FALSE(s.ok());
  CHECK(calls == 1);
  CHECK(s.error().message == "the model server refused the key (401)");
}
