// Backend resolution: overrides > environment > defaults, and the key kept out of sight.
#include "engine/llm/BackendConfig.h"

#include <doctest/doctest.h>

#include <map>

using namespace recurrent;
using namespace recurrent::engine;

namespace {
EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}
} // namespace

TEST_CASE("backend: nothing configured means offline") {
  auto c = resolveBackendConfig({}, envOf({}));
  REQUIRE(c.ok());
  CHECK(c->provider == "offline");
  CHECK(c->isOffline());
  CHECK(c->describe() == "offline");
  CHECK(c->embedModel.empty());
  CHECK(c->maxAttempts == 4);
}

TEST_CASE("backend: a key alone means OpenAI with its default model") {
  auto c = resolveBackendConfig({}, envOf({{"OPENAI_API_KEY", "sk-live-abcdef123456"}}));
  REQUIRE(c.ok());
  CHECK(c->provider == "openai");
  CHECK(c->baseUrl == "https://api.openai.com/v1");
  CHECK(c->model == "gpt-4o-mini");
  CHECK(c->apiKey == "sk-live-abcdef123456");
  CHECK(c->describe() == "openai gpt-4o-mini at https://api.openai.com/v1 (key set)");
  CHECK(c->describe().find("sk-live") == std::string::npos);
}

TEST_CASE("backend: a local base URL alone means openai with the server's first model") {
  auto c = resolveBackendConfig({}, envOf({{"OPENAI_BASE_URL", "http://localhost:11434/v1/"}}));
  REQUIRE(c.ok());
  CHECK(c->provider == "openai");
  CHECK(c->baseUrl == "http://localhost:11434/v1");
  CHECK(c->model.empty());
  CHECK(c->describe() == "openai (server's first model) at http://localhost:11434/v1 (no key)");
}

TEST_CASE("backend: overrides beat RECURRENT_* which beat OPENAI_*") {
  auto env = envOf({{"RECURRENT_PROVIDER", "offline"},
                    {"RECURRENT_BASE_URL", "http://127.0.0.1:8080/v1"},
                    {"OPENAI_BASE_URL", "http://ignored/v1"},
                    {"RECURRENT_API_KEY", "sk-recurrent-key"},
                    {"OPENAI_API_KEY", "sk-openai-key"},
                    {"RECURRENT_MODEL", "env-model"},
                    {"RECURRENT_EMBED_MODEL", "env-embed"},
                    {"RECURRENT_MAX_ATTEMPTS", "6"},
                    {"RECURRENT_STALL_TIMEOUT", "90"},
                    {"RECURRENT_TEMPERATURE", "0.3"}});
  auto c = resolveBackendConfig({}, env);
  REQUIRE(c.ok());
  CHECK(c->provider == "offline");
  CHECK(c->baseUrl == "http://127.0.0.1:8080/v1");
  CHECK(c->apiKey == "sk-recurrent-key");
  CHECK(c->model == "env-model");
  CHECK(c->embedModel == "env-embed");
  CHECK(c->maxAttempts == 6);
  CHECK(c->stallTimeoutSeconds == 90);
  CHECK(c->temperature == 0.3);

  BackendOverrides o;
  o.provider = "OpenAI";
  o.baseUrl = "https://example.test/v1";
  o.model = "flag-model";
  o.embedModel = "flag-embed";
  o.maxAttempts = 2;
  o.temperature = 1.1;
  c = resolveBackendConfig(o, env);
  REQUIRE(c.ok());
  CHECK(c->provider == "openai");
  CHECK(c->baseUrl == "https://example.test/v1");
  CHECK(c->model == "flag-model");
  CHECK(c->embedModel == "flag-embed");
  CHECK(c->maxAttempts == 2);
  CHECK(c->temperature == 1.1);
  CHECK(c->apiKey == "sk-recurrent-key"); // never from overrides
  CHECK(c->describe() == "openai flag-model at https://example.test/v1 (key set), embeddings flag-embed");
}

TEST_CASE("backend: empty variables count as unset") {
  auto c = resolveBackendConfig({}, envOf({{"RECURRENT_BASE_URL", ""}, {"RECURRENT_API_KEY", ""}}));
  REQUIRE(c.ok());
  CHECK(c->provider == "offline");
}

TEST_CASE("backend: bad values are Config errors that never quote the key") {
  auto key = std::pair<std::string, std::string>{"RECURRENT_API_KEY", "sk-should-not-leak"};
  auto c = resolveBackendConfig({}, envOf({key, {"RECURRENT_PROVIDER", "gemini"}}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().kind == ErrorKind::Config);
  CHECK(c.error().message.find("unknown provider 'gemini'") == 0);
  CHECK(c.error().message.find("sk-should") == std::string::npos);

  c = resolveBackendConfig({}, envOf({key, {"RECURRENT_MAX_ATTEMPTS", "many"}}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message.find("RECURRENT_MAX_ATTEMPTS") == 0);

  c = resolveBackendConfig({}, envOf({key, {"RECURRENT_BASE_URL", "ftp://host"}}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message.find("http:// or https://") != std::string::npos);
  CHECK(c.error().message.find("sk-should") == std::string::npos);
}

TEST_CASE("backend: credentials in a base URL are not shown") {
  CHECK(redactUrl("https://user:pw@host.test/v1") == "https://host.test/v1");
  CHECK(redactUrl("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/v1");
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = "https://user:secret@host.test/v1";
  c.model = "m";
  CHECK(c.describe().find("secret") == std::string::npos);
}

TEST_CASE("backend: anthropic reads its own key and URL, has its default model, and no embeddings") {
  auto c = resolveBackendConfig({}, envOf({{"RECURRENT_PROVIDER", "anthropic"},
                                           {"ANTHROPIC_API_KEY", "sk-ant-abcdef123456"},
                                           {"OPENAI_API_KEY", "sk-openai-not-this"},
                                           {"OPENAI_BASE_URL", "http://localhost:11434/v1"}}));
  REQUIRE(c.ok());
  CHECK(c->provider == "anthropic");
  CHECK(c->baseUrl == "https://api.anthropic.com/v1");
  CHECK(c->model == "claude-sonnet-4-5");
  CHECK(c->apiKey == "sk-ant-abcdef123456");
  CHECK(c->describe().find("sk-ant") == std::string::npos);

  auto mine = resolveBackendConfig({}, envOf({{"RECURRENT_PROVIDER", "anthropic"},
                                              {"RECURRENT_API_KEY", "sk-recurrent-123456"},
                                              {"ANTHROPIC_API_KEY", "sk-ant-abcdef123456"},
                                              {"ANTHROPIC_BASE_URL", "https://proxy.example/v1/"}}));
  REQUIRE(mine.ok());
  CHECK(mine->apiKey == "sk-recurrent-123456");
  CHECK(mine->baseUrl == "https://proxy.example/v1");

  // An Anthropic key alone selects nothing: no surprise calls to a paid API.
  auto alone = resolveBackendConfig({}, envOf({{"ANTHROPIC_API_KEY", "sk-ant-abcdef123456"}}));
  REQUIRE(alone.ok());
  CHECK(alone->provider == "offline");

  BackendOverrides o;
  o.provider = "anthropic";
  o.embedModel = "text-embedding-3-small";
  auto embed = resolveBackendConfig(o, envOf({}));
  REQUIRE_FALSE(embed.ok());
  CHECK(embed.error().message.find("no embeddings") != std::string::npos);
}
