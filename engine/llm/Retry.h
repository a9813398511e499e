// The retry policy shared by the HTTP chat model and embedder: bounded attempts,
// exponential backoff with jitter, Retry-After honoured, cancellable waits.
//
// What is worth retrying: timeouts, dropped connections, 408/409/425/429/5xx (529 is
// Anthropic's "overloaded"), and answers that were unusable (BadAnswer). What is not:
// cancellation, 400/401/403/404/422, 501 (the server lacks the feature: llama.cpp without
// --embeddings) and configuration errors, which another identical request would repeat.
//
// Thread-safety: pure functions; runWithRetries() calls back on the calling thread.
#pragma once

#include "engine/llm/ChatModel.h"

#include <functional>

namespace recurrent::engine {

struct RetryPolicy {
  int maxAttempts = 4;
  double baseDelaySeconds = 1.0;   ///< the first wait is about this long, then it doubles
  double maxDelaySeconds = 30.0;
  /// A Retry-After longer than this fails the call at once rather than hang the user.
  double maxRetryAfterSeconds = 300.0;
};

bool isRetryable(const Error &error);

/// The wait after `failedAttempt` (1-based): Retry-After when the server sent one, else
/// base * 2^(n-1), capped, with "equal jitter" (half fixed, half random).
double retryDelay(const RetryPolicy &policy, int failedAttempt, const Error &error);

/// Sleeps for `seconds`, polling the token; false when cancelled.
bool sleepCancellable(double seconds, const CancelToken &cancel);

/// Calls attempt(1), attempt(2), ... until one succeeds, an error is not retryable, or the
/// attempts run out; calls onRetry before each wait. The final error names the attempt count
/// and keeps the last error's kind and status. `attemptsMade` receives the number of calls.
Status runWithRetries(const RetryPolicy &policy, const CancelToken &cancel,
                      const std::function<void(const RetryNotice &)> &onRetry,
                      const std::function<Status(int attempt)> &attempt, int *attemptsMade = nullptr);

} // namespace recurrent::engine
