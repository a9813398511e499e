#include "engine/memory/HashedEmbedder.h"

#include "engine/memory/TextFeatures.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace recurrent::engine {
namespace {

// Relative weights of the feature families. Word pairs are the most specific
// evidence (a quoted sentence shares them with its paragraph); character n-grams
// let inflected forms meet ("fought"/"fight") and carry CJK text.
constexpr float kWordWeight = 1.0f;
constexpr float kStopwordWeight = 0.15f;
constexpr float kPairWeight = 1.0f;
constexpr float kCharGramWeight = 0.3f;
constexpr float kCjkCharWeight = 0.5f;

struct Feature {
  std::uint64_t hash;
  float weight;
};

// Family seeds keep a word and a character n-gram with the same bytes apart.
constexpr std::uint64_t kWordSeed = 1, kPairSeed = 2, kGramSeed = 3;

/// Appends the character 3- and 4-grams of `padded`; `starts` is scratch space (reused: no allocation per word).
void charGrams(std::string_view padded, std::vector<std::size_t> &starts, std::vector<Feature> &out) {
  // Byte n-grams over whole UTF-8 characters: collect character starts first.
  starts.clear();
  for (std::size_t i = 0; i < padded.size(); ++i)
    if ((static_cast<unsigned char>(padded[i]) & 0xC0) != 0x80)
      starts.push_back(i);
  starts.push_back(padded.size());
  std::size_t chars = starts.size() - 1;
  for (std::size_t n = 3; n <= 4; ++n)
    for (std::size_t i = 0; i + n <= chars; ++i)
      out.push_back({text::hash64(padded.substr(starts[i], starts[i + n] - starts[i]), kGramSeed), kCharGramWeight});
}

} // namespace

HashedEmbedder::HashedEmbedder(int dimension) : dimension_(std::max(8, dimension)) {}

std::string HashedEmbedder::id() const { return "hashed-v1-" + std::to_string(dimension_); }

Vector HashedEmbedder::embedOne(std::string_view input) const {
  auto ws = text::words(input);
  std::vector<Feature> features;
  features.reserve(ws.size() * 8);
  std::vector<std::uint64_t> wordHashes(ws.size());
  std::vector<bool> stop(ws.size());
  std::string cjkRun, padded;
  std::vector<std::size_t> starts;
  auto flushCjk = [&] {
    if (cjkRun.size() > 0)
      charGrams(cjkRun, starts, features);
    cjkRun.clear();
  };
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const auto &w = ws[i];
    wordHashes[i] = text::hash64(w.text, kWordSeed);
    stop[i] = !w.cjk && text::isStopword(w.text);
    float weight = w.cjk ? kCjkCharWeight : stop[i] ? kStopwordWeight : kWordWeight;
    features.push_back({wordHashes[i], weight});
    if (w.cjk) {
      cjkRun += w.text;
      continue;
    }
    flushCjk();
    if (!stop[i] && w.text.size() >= 4) {
      padded.assign(1, '<').append(w.text).push_back('>');
      charGrams(padded, starts, features);
    }
  }
  flushCjk();
  for (std::size_t i = 0; i + 1 < ws.size(); ++i) {
    if (stop[i] && stop[i + 1])
      continue;
    features.push_back({text::hashCombine(wordHashes[i] ^ kPairSeed, wordHashes[i + 1]), kPairWeight});
  }

  // Sublinear term frequency: a feature seen tf times counts 1 + ln(tf). The features are
  // grouped by bucket (a counting sort) and sorted by hash within their bucket only: each
  // bucket then adds the same values in the same order (ascending hash) as after sorting
  // every feature, so the vector is bit for bit the same, at a fraction of the cost.
  const auto dimension = static_cast<std::size_t>(dimension_);
  const bool powerOfTwo = (dimension & (dimension - 1)) == 0; // the default: a mask, not a division
  std::vector<std::uint32_t> bucketOf(features.size());
  std::vector<std::uint32_t> begin(dimension + 1, 0);
  for (std::size_t i = 0; i < features.size(); ++i) {
    std::uint64_t h = features[i].hash;
    bucketOf[i] = static_cast<std::uint32_t>(powerOfTwo ? h & (dimension - 1) : h % dimension);
    ++begin[bucketOf[i] + 1];
  }
  for (std::size_t b = 0; b < dimension; ++b)
    begin[b + 1] += begin[b];
  std::vector<Feature> grouped(features.size());
  {
    std::vector<std::uint32_t> next(begin.begin(), begin.end() - 1);
    for (std::size_t i = 0; i < features.size(); ++i)
      grouped[next[bucketOf[i]]++] = features[i];
  }
  // 1 + ln(tf) for the common small counts, computed once.
  static const auto kDamping = [] {
    std::array<float, 64> t{};
    for (std::size_t tf = 1; tf < t.size(); ++tf)
      t[tf] = 1.0f + std::log(static_cast<float>(tf));
    return t;
  }();
  auto byHash = [](const Feature &x, const Feature &y) { return x.hash < y.hash; };
  Vector v(dimension, 0.0f);
  for (std::size_t b = 0; b < dimension; ++b) {
    auto first = grouped.begin() + begin[b], last = grouped.begin() + begin[b + 1];
    if (last - first > 16) {
      std::sort(first, last, byHash);
    } else { // a bucket holds a few features: insertion sort, no call
      for (auto i = first + (first != last); i < last; ++i)
        for (auto j = i; j != first && byHash(*j, *(j - 1)); --j)
          std::iter_swap(j, j - 1);
    }
    for (auto i = first; i != last;) {
      auto j = i;
      while (j != last && j->hash == i->hash)
        ++j;
      auto tf = static_cast<std::size_t>(j - i);
      float value = i->weight * (tf < kDamping.size() ? kDamping[tf] : 1.0f + std::log(static_cast<float>(tf)));
      v[b] += (i->hash >> 63) ? -value : value;
      i = j;
    }
  }
  double norm = 0;
  for (float x : v)
    norm += double(x) * x;
  if (norm > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float &x : v)
      x *= inv;
  }
  return v;
}

Result<std::vector<Vector>> HashedEmbedder::embed(const std::vector<std::string> &texts, const CancelToken &cancel) {
  std::vector<Vector> out;
  out.reserve(texts.size());
  for (const auto &t : texts) {
    if (cancel.cancelled())
      return Error::cancelled();
    out.push_back(embedOne(t));
  }
  return out;
}

} // namespace recurrent::engine
