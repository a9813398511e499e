#include "engine/llm/BackendConfig.h"

#include <cstdlib>
#include <stdexcept>
#include <type_traits>
#include <string>

namespace recurrent::engine {

namespace {

std::optional<std::string> lookup(const EnvLookup &env, std::string_view name) {
  if (!env)
    return std::nullopt;
  auto value = env(name);
  if (!value || value->empty())
    return std::nullopt;
  return value;
}

/// First of: override, then each environment variable in order.
std::optional<std::string> pick(const std::optional<std::string> &override, const EnvLookup &env,
                                std::initializer_list<std::string_view> names) {
  if (override && !override->empty())
    return override;
  for (auto name : names)
    if (auto v = lookup(env, name))
      return v;
  return std::nullopt;
}

std::string lower(std::string s) {
  for (auto &c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string hostOf(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos)
    url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos)
    url.remove_prefix(at + 1);
  if (!url.empty() && url.front() == '[')
    return std::string(url.substr(0, url.find(']') + 1));
  return lower(std::string(url.substr(0, url.find(':'))));
}

/// The model to use when none is configured, for servers where one default is obvious.
std::string defaultModelFor(std::string_view baseUrl) {
  auto host = hostOf(baseUrl);
  if (host == "api.openai.com")
    return std::string(kDefaultOpenAiModel);
  if (host == "openrouter.ai")
    return "openai/gpt-4o-mini";
  return {}; // a local server: ask its /models
}

template <typename T>
Result<T> parseNumber(const std::string &text, std::string_view what, double min, double max) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !(v >= min && v <= max))
      throw std::invalid_argument(text);
    if constexpr (std::is_integral_v<T>)
      if (v != static_cast<double>(static_cast<T>(v)))
        throw std::invalid_argument(text);
    return static_cast<T>(v);
  } catch (const std::exception &) {
    return Error{ErrorKind::Config, std::string(what) + " must be a number from " + std::to_string(min) +
                                        " to " + std::to_string(max) + ", not '" + text + "'"};
  }
}

} // namespace

EnvLookup processEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char *v = std::getenv(std::string(name).c_str());
    if (!v)
      return std::nullopt;
    return std::string(v);
  };
}

std::string redactUrl(std::string_view url) {
  auto scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?#", start);
  auto authority = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  auto at = authority.rfind('@');
  if (at == std::string_view::npos)
    return std::string(url);
  return std::string(url.substr(0, start)) + std::string(url.substr(start + at + 1));
}

std::string BackendConfig::describe() const {
  if (isOffline())
    return "offline";
  std::string out = provider + " " + (model.empty() ? std::string("(server's first model)") : model) + " at " +
                    redactUrl(baseUrl);
  out += apiKey.empty() ? " (no key)" : " (key set)";
  if (!embedModel.empty())
    out += ", embeddings " + embedModel;
  return out;
}

Result<BackendConfig> resolveBackendConfig(const BackendOverrides &overrides, const EnvLookup &env) {
  BackendConfig c;
  auto provider = pick(overrides.provider, env, {"RECURRENT_PROVIDER"});
  // Anthropic reads its own variables; an ANTHROPIC_API_KEY alone never picks a provider.
  const bool anthropic = provider && lower(*provider) == "anthropic";
  auto baseUrl = anthropic ? pick(overrides.baseUrl, env, {"RECURRENT_BASE_URL", "ANTHROPIC_BASE_URL"})
                           : pick(overrides.baseUrl, env, {"RECURRENT_BASE_URL", "OPENAI_BASE_URL"});
  auto apiKey = lookup(env, "RECURRENT_API_KEY");
  if (!apiKey)
    apiKey = lookup(env, anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY");

  c.provider = provider ? lower(*provider) : ((baseUrl || apiKey) ? "openai" : "offline");
  if (c.provider != "openai" && c.provider != "anthropic" && c.provider != "offline")
    return Error{ErrorKind::Config, "unknown provider '" + c.provider +
                                        "': use 'openai' (any OpenAI-compatible server), 'anthropic' or 'offline'"};
  if (anthropic)
    c.baseUrl = std::string(kDefaultAnthropicBaseUrl);
  if (baseUrl) {
    c.baseUrl = *baseUrl;
    while (!c.baseUrl.empty() && c.baseUrl.back() == '/')
      c.baseUrl.pop_back();
    if (c.baseUrl.rfind("http://", 0) != 0 && c.baseUrl.rfind("https://", 0) != 0)
      return Error{ErrorKind::Config, "the base URL must start with http:// or https://, not '" +
                                          redactUrl(c.baseUrl) + "'"};
  }
  if (apiKey)
    c.apiKey = *apiKey;
  if (auto model = pick(overrides.model, env, {"RECURRENT_MODEL"}))
    c.model = *model;
  else if (c.provider == "openai")
    c.model = defaultModelFor(c.baseUrl);
  else if (anthropic)
    c.model = std::string(kDefaultAnthropicModel);
  if (auto embed = pick(overrides.embedModel, env, {"RECURRENT_EMBED_MODEL"}))
    c.embedModel = *embed;
  if (anthropic && !c.embedModel.empty())
    return Error{ErrorKind::Config, "Anthropic's API has no embeddings: clear recurrent.embedModel "
                                    "(RECURRENT_EMBED_MODEL, --embed-model) and the built-in embedder is used"};

  if (overrides.maxAttempts)
    c.maxAttempts = *overrides.maxAttempts;
  else if (auto v = lookup(env, "RECURRENT_MAX_ATTEMPTS")) {
    auto n = parseNumber<int>(*v, "RECURRENT_MAX_ATTEMPTS", 1, 20);
    if (!n)
      return n.error();
    c.maxAttempts = *n;
  }
  if (c.maxAttempts < 1 || c.maxAttempts > 20)
    return Error{ErrorKind::Config, "max attempts must be from 1 to 20"};

  struct Seconds {
    const std::optional<double> &override;
    std::string_view env;
    double *target;
  };
  for (auto s : {Seconds{overrides.connectTimeoutSeconds, "RECURRENT_CONNECT_TIMEOUT", &c.connectTimeoutSeconds},
                 Seconds{overrides.stallTimeoutSeconds, "RECURRENT_STALL_TIMEOUT", &c.stallTimeoutSeconds}}) {
    if (s.override)
      *s.target = *s.override;
    else if (auto v = lookup(env, s.env)) {
      auto n = parseNumber<double>(*v, s.env, 1, 3600);
      if (!n)
        return n.error();
      *s.target = *n;
    }
    if (!(*s.target > 0))
      return Error{ErrorKind::Config, std::string(s.env) + " must be positive"};
  }
  if (overrides.temperature)
    c.temperature = *overrides.temperature;
  else if (auto v = lookup(env, "RECURRENT_TEMPERATURE")) {
    auto n = parseNumber<double>(*v, "RECURRENT_TEMPERATURE", 0, 2);
    if (!n)
      return n.error();
    c.temperature = *n;
  }
  return c;
}

} // namespace recurrent::engine
