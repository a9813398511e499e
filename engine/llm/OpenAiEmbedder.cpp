#include "engine/llm/OpenAiEmbedder.h"

#include "engine/llm/HttpClient.h"
#include "engine/llm/Retry.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace recurrent::engine {

using nlohmann::json;

OpenAiEmbedder::OpenAiEmbedder(BackendConfig config, std::function<void(const RetryNotice &)> onRetry)
    : config_(std::move(config)), onRetry_(std::move(onRetry)) {}

Result<std::vector<Vector>> OpenAiEmbedder::embed(const std::vector<std::string> &texts, const CancelToken &cancel) {
  if (config_.embedModel.empty())
    return Error{ErrorKind::Config, "no embedding model configured: set RECURRENT_EMBED_MODEL or --embed-model"};
  std::vector<Vector> out;
  out.reserve(texts.size());
  size_t batch = static_cast<size_t>(std::max(1, config_.embedBatchSize));
  for (size_t begin = 0; begin < texts.size(); begin += batch) {
    if (cancel.cancelled())
      return Error::cancelled();
    auto vectors = embedBatch(texts, begin, std::min(texts.size(), begin + batch), cancel);
    if (!vectors)
      return vectors.error();
    for (auto &v : *vectors)
      out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<Vector>> OpenAiEmbedder::embedBatch(const std::vector<std::string> &texts, size_t begin,
                                                       size_t end, const CancelToken &cancel) {
  json input = json::array();
  for (size_t i = begin; i < end; ++i)
    input.push_back(texts[i].empty() ? std::string(" ") : texts[i]); // servers reject empty inputs
  HttpRequest req = backendRequest(config_, "/embeddings");
  req.headers.emplace_back("Content-Type", "application/json");
  if (!config_.apiKey.empty())
    req.headers.emplace_back("Authorization", "Bearer " + config_.apiKey);
  req.body = json{{"model", config_.embedModel}, {"input", std::move(input)}, {"encoding_format", "float"}}.dump(
      -1, ' ', false, json::error_handler_t::replace);

  const size_t count = end - begin;
  std::vector<Vector> vectors;
  auto attempt = [&](int) -> Status {
    auto response = performHttp(req, cancel);
    if (!response)
      return response.error();
    auto doc = json::parse(response->body, nullptr, false);
    auto bad = [](std::string why) { return Error{ErrorKind::BadAnswer, "the embedding answer " + why}; };
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
      return bad("is not a list of embeddings");
    const auto &data = doc["data"];
    if (data.size() != count)
      return bad("has " + std::to_string(data.size()) + " vectors for " + std::to_string(count) + " texts");
    std::vector<Vector> got(count);
    for (size_t i = 0; i < count; ++i) {
      const auto &item = data[i];
      if (!item.is_object() || !item.contains("embedding") || !item["embedding"].is_array())
        return bad("has an entry without an embedding");
      size_t index = i;
      if (auto it = item.find("index"); it != item.end() && it->is_number_unsigned())
        index = it->get<size_t>();
      if (index >= count || !got[index].empty())
        return bad("has a duplicate or out-of-range index");
      Vector v;
      v.reserve(item["embedding"].size());
      double norm = 0;
      for (const auto &x : item["embedding"]) {
        if (!x.is_number())
          return bad("holds a value that is not a number");
        double d = x.get<double>();
        norm += d * d;
        v.push_back(static_cast<float>(d));
      }
      if (v.empty())
        return bad("has an empty vector");
      if (norm > 0) {
        double inv = 1.0 / std::sqrt(norm);
        for (auto &x : v)
          x = static_cast<float>(x * inv);
      }
      got[index] = std::move(v);
    }
    int dim = static_cast<int>(got[0].size());
    for (const auto &v : got)
      if (static_cast<int>(v.size()) != dim)
        return bad("mixes vector lengths");
    int expected = 0;
    if (!dimension_.compare_exchange_strong(expected, dim) && expected != dim)
      return Error{ErrorKind::BadAnswer, "the embedding model changed its vector length from " +
                                             std::to_string(expected) + " to " + std::to_string(dim)};
    vectors = std::move(got);
    return okStatus();
  };
  RetryPolicy policy{config_.maxAttempts, config_.backoffBaseSeconds, config_.backoffMaxSeconds};
  auto status = runWithRetries(policy, cancel, onRetry_, attempt);
  if (!status && status.error().kind == ErrorKind::Http && status.error().httpStatus == 501) {
    Error e = status.error(); // llama.cpp's server started without --embeddings
    e.message += ": start the server with embeddings on (llama.cpp: --embeddings), or clear "
                 "recurrent.embedModel (RECURRENT_EMBED_MODEL, --embed-model) to use the built-in embedder";
    return e;
  }
  if (!status)
    return status.error();
  return vectors;
}

} // namespace recurrent::engine
