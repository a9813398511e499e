#include "engine/llm/Retry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

namespace recurrent::engine {

bool isRetryable(const Error &error) {
  switch (error.kind) {
  case ErrorKind::Timeout:
  case ErrorKind::Network:
  case ErrorKind::BadAnswer:
    return true;
  case ErrorKind::Http:
    return error.httpStatus == 408 || error.httpStatus == 409 || error.httpStatus == 425 ||
           error.httpStatus == 429 || (error.httpStatus >= 500 && error.httpStatus != 501);
  default:
    return false;
  }
}

double retryDelay(const RetryPolicy &policy, int failedAttempt, const Error &error) {
  if (error.retryAfterSeconds >= 0)
    return error.retryAfterSeconds;
  double d = policy.baseDelaySeconds * std::pow(2.0, std::max(0, failedAttempt - 1));
  d = std::min(d, policy.maxDelaySeconds);
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return d * jitter(rng);
}

bool sleepCancellable(double seconds, const CancelToken &cancel) {
  using clock = std::chrono::steady_clock;
  auto until = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  while (!cancel.cancelled()) {
    auto now = clock::now();
    if (now >= until)
      return true;
    std::this_thread::sleep_for(std::min<clock::duration>(until - now, std::chrono::milliseconds(20)));
  }
  return false;
}

Status runWithRetries(const RetryPolicy &policy, const CancelToken &cancel,
                      const std::function<void(const RetryNotice &)> &onRetry,
                      const std::function<Status(int attempt)> &attempt, int *attemptsMade) {
  int maxAttempts = std::max(1, policy.maxAttempts);
  for (int n = 1;; ++n) {
    if (attemptsMade)
      *attemptsMade = n;
    if (cancel.cancelled())
      return Error::cancelled();
    Status s = attempt(n);
    if (s.ok())
      return s;
    Error e = s.error();
    if (e.kind == ErrorKind::Cancelled || cancel.cancelled())
      return Error::cancelled();
    if (!isRetryable(e))
      return e;
    if (n >= maxAttempts) {
      if (maxAttempts > 1)
        e.message = "gave up after " + std::to_string(n) + " attempts; the last one: " + e.message;
      return e;
    }
    double delay = retryDelay(policy, n, e);
    if (delay > policy.maxRetryAfterSeconds) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f", delay);
      e.message += std::string(" (the server asks to wait ") + buf + " s; not waiting that long)";
      return e;
    }
    if (onRetry)
      onRetry(RetryNotice{n, maxAttempts, delay, e});
    if (!sleepCancellable(delay, cancel))
      return Error::cancelled();
  }
}

} // namespace recurrent::engine
