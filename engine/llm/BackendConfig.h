// Which model backend to use, resolved from flags/settings, the environment and defaults.
//
// One table (DESIGN.md section 3) decides the provider, base URL, model, API key and
// embedding model; explicit overrides (command-line flags, editor settings) beat the
// environment, which beats the defaults. The environment is passed in as a lookup
// function so tests never touch the process environment. The API key is read only
// from the environment and never appears in describe(), errors or logs.
//
// Thread-safety: plain values; resolveBackendConfig() is a pure function of its inputs.
#pragma once

#include "support/Error.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace recurrent::engine {

/// Reads one environment variable; nullopt when unset. Empty values count as unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The real process environment.
EnvLookup processEnvironment();

/// Values given explicitly (flags or editor settings `recurrent.*`); unset fields fall back
/// to the environment, then to defaults. There is deliberately no API key here.
struct BackendOverrides {
  std::optional<std::string> provider;
  std::optional<std::string> baseUrl;
  std::optional<std::string> model;
  std::optional<std::string> embedModel;
  std::optional<int> maxAttempts;
  std::optional<double> connectTimeoutSeconds;
  std::optional<double> stallTimeoutSeconds;
  std::optional<double> temperature;
};

inline constexpr std::string_view kDefaultBaseUrl = "https://api.openai.com/v1";
inline constexpr std::string_view kDefaultOpenAiModel = "gpt-4o-mini";
inline constexpr std::string_view kDefaultAnthropicBaseUrl = "https://api.anthropic.com/v1";
inline constexpr std::string_view kDefaultAnthropicModel = "claude-sonnet-4-5";

struct BackendConfig {
  std::string provider = "offline";   ///< "openai" (any OpenAI-compatible server), "anthropic" or "offline"
  std::string baseUrl = std::string(kDefaultBaseUrl); ///< without a trailing slash
  /// Empty when neither configured nor known for the server: the chat model then asks the
  /// server's /models and takes the first (or fails with "no model configured").
  std::string model;
  std::string apiKey;                 ///< empty for local servers that need none
  std::string embedModel;             ///< empty: the built-in hashed embedder
  int maxAttempts = 4;                ///< per call, including the first
  double connectTimeoutSeconds = 10;
  /// A stream that sends nothing for this long is abandoned (and retried). Not a total
  /// timeout: a long generation that keeps streaming is never cut.
  double stallTimeoutSeconds = 60;
  std::optional<double> temperature;  ///< overrides the per-request temperature when set
  double backoffBaseSeconds = 1.0;    ///< first retry waits about this long, then doubles
  double backoffMaxSeconds = 30.0;
  int embedBatchSize = 64;            ///< texts per /embeddings call

  bool isOffline() const { return provider == "offline"; }
  /// "openai gpt-4o-mini at https://api.openai.com/v1 (key set)": never the key itself.
  std::string describe() const;
};

/// Applies the table: overrides > environment > defaults. Fails with ErrorKind::Config on
/// an unknown provider or an unusable number.
Result<BackendConfig> resolveBackendConfig(const BackendOverrides &overrides, const EnvLookup &env);

/// The URL with any "user:password@" removed, for messages and logs.
std::string redactUrl(std::string_view url);

} // namespace recurrent::engine
