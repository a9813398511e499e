// OpenAiEmbedder against the fake server: batching, order, normalisation, retries.
#include "engine/llm/OpenAiEmbedder.h"
#include "tests/support/FakeLlmServer.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace recurrent;
using namespace recurrent::engine;
using recurrent::test::FakeLlmServer;
using recurrent::test::FakeResponse;

namespace {
BackendConfig embedConfig(const FakeLlmServer &server) {
  BackendConfig c;
  c.provider = "openai";
  c.baseUrl = server.baseUrl();
  c.embedModel = "fake-embed";
  c.apiKey = "sk-embed-key";
  c.embedBatchSize = 4;
  c.backoffBaseSeconds = 0.01;
  c.backoffMaxSeconds = 0.02;
  c.stallTimeoutSeconds = 10;
  return c;
}

std::vector<float> normalised(std::vector<float> v) {
  double n = 0;
  for (float x : v)
    n += double(x) * x;
  for (auto &x : v)
    x = float(x / std::sqrt(n));
  return v;
}
} // namespace

TEST_CASE("embeddings: batched, in order, unit length, dimension learnt") {
  FakeLlmServer server;
  server.setEmbeddingDimension(6);
  OpenAiEmbedder embedder(embedConfig(server));
  CHECK(embedder.id() == "openai:fake-embed");
  CHECK(embedder.dimension() == 0);
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i)
    texts.push_back("paragraph number " + std::to_string(i));
  texts[3] = ""; // sent as " "
  auto r = embedder.embed(texts, CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(r->size() == 10);
  CHECK(embedder.dimension() == 6);
  for (size_t i = 0; i < texts.size(); ++i) {
    auto want = normalised(FakeLlmServer::embeddingFor(texts[i].empty() ? " " : texts[i], 6));
    REQUIRE((*r)[i].size() == 6);
    double norm = 0;
    for (size_t j = 0; j < 6; ++j) {
      CHECK((*r)[i][j] == doctest::Approx(want[j]).epsilon(1e-5));
      norm += double((*r)[i][j]) * (*r)[i][j];
    }
    CHECK(norm == doctest::Approx(1.0).epsilon(1e-5));
  }
  auto reqs = server.requests("/v1/embeddings");
  REQUIRE(reqs.size() == 3); // 4 + 4 + 2
  CHECK(reqs[0].json["model"] == "fake-embed");
  CHECK(reqs[0].json["input"].size() == 4);
  CHECK(reqs[2].json["input"].size() == 2);
  CHECK(reqs[0].json["input"][3] == " ");
  CHECK(reqs[0].headers["authorization"] == "Bearer sk-embed-key");
}

TEST_CASE("embeddings: answers out of index order are put back in order") {
  FakeLlmServer server;
  nlohmann::json data = nlohmann::json::array(
      {{{"index", 1}, {"embedding", {0.0, 2.0}}}, {{"index", 0}, {"embedding", {3.0, 0.0}}}});
  server.enqueue("/v1/embeddings", FakeResponse::json({{"data", data}}));
  OpenAiEmbedder embedder(embedConfig(server));
  auto r = embedder.embed({"a", "b"}, CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK((*r)[0] == std::vector<float>{1.0f, 0.0f});
  CHECK((*r)[1] == std::vector<float>{0.0f, 1.0f});
}

TEST_CASE("embeddings: 429 and 500 and a short answer are retried, 401 is not") {
  FakeLlmServer server;
  server.enqueue("/v1/embeddings", FakeResponse::error(429, "slow", "0"));
  server.enqueue("/v1/embeddings", FakeResponse::error(500, "boom"));
  server.enqueue("/v1/embeddings", FakeResponse::json({{"data", nlohmann::json::array()}}));
  std::vector<Error> reasons;
  OpenAiEmbedder embedder(embedConfig(server), [&](const RetryNotice &n) { reasons.push_back(n.reason); });
  auto r = embedder.embed({"x"}, CancelToken());
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(reasons.size() == 3);
  CHECK(reasons[0].httpStatus == 429);
  CHECK(reasons[1].httpStatus == 500);
  CHECK(reasons[2].message.find("has 0 vectors for 1 texts") != std::string::npos);

  server.enqueue("/v1/embeddings", FakeResponse::error(401, "bad key sk-embed-key"));
  r = embedder.embed({"x"}, CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().httpStatus == 401);
  CHECK(r.error().message.find("sk-embed-key") == std::string::npos);
  CHECK(reasons.size() == 3);
}

TEST_CASE("embeddings: a changed vector length is an error, cancellation stops before sending") {
  FakeLlmServer server;
  server.setEmbeddingDimension(4);
  auto config = embedConfig(server);
  config.maxAttempts = 1;
  OpenAiEmbedder embedder(config);
  REQUIRE(embedder.embed({"a"}, CancelToken()).ok());
  server.setEmbeddingDimension(5);
  auto r = embedder.embed({"a"}, CancelToken());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("from 4 to 5") != std::string::npos);

  CancelSource source;
  source.cancel();
  size_t before = server.requestCount("/v1/embeddings");
  r = embedder.embed({"a"}, source.token());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Cancelled);
  CHECK(server.requestCount("/v1/embeddings") == before);
}
