#include "engine/memory/LexicalIndex.h"

#include "engine/memory/TextFeatures.h"

#include <algorithm>
#include <cmath>
#include <mutex>

namespace recurrent::engine {
namespace {

// The usual BM25 constants: term-frequency saturation and length normalisation.
constexpr float kK1 = 1.2f;
constexpr float kB = 0.75f;
constexpr std::uint64_t kWordSeed = 21, kPairSeed = 22;
constexpr std::size_t kMaxQueryTerms = 64;

} // namespace

std::vector<std::pair<std::uint64_t, std::uint32_t>> lexicalTerms(std::string_view text) {
  std::vector<std::uint64_t> hashes;
  hashes.reserve(text.size() / 8);
  std::uint64_t previousCjk = 0; // hash of the CJK character just before, 0 after anything else
  text::forEachWord(text, [&](const text::Word &word) {
    std::string_view w = word.text;
    if (word.cjk) {
      std::uint64_t h = text::hash64(w, kWordSeed);
      hashes.push_back(h);
      if (previousCjk)
        hashes.push_back(text::hashCombine(previousCjk ^ kPairSeed, h));
      previousCjk = h;
      return;
    }
    previousCjk = 0;
    if (w.size() > 2 && w.ends_with("'s")) // words() writes every apostrophe as '
      w.remove_suffix(2);
    if (!text::isStopword(w))
      hashes.push_back(text::hash64(w, kWordSeed));
  });
  std::sort(hashes.begin(), hashes.end());
  std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
  for (std::size_t i = 0; i < hashes.size();) {
    std::size_t j = i;
    while (j < hashes.size() && hashes[j] == hashes[i])
      ++j;
    out.emplace_back(hashes[i], static_cast<std::uint32_t>(j - i));
    i = j;
  }
  return out;
}

void LexicalIndex::add(std::uint64_t id, std::string_view text, std::string_view extra) {
  auto terms = lexicalTerms(text); // outside the lock: the costly part
  if (!extra.empty()) {
    std::size_t own = terms.size();
    auto byTerm = [](const auto &a, const auto &b) { return a.first < b.first; };
    for (const auto &term : lexicalTerms(extra))
      if (!std::binary_search(terms.begin(), terms.begin() + static_cast<std::ptrdiff_t>(own), term, byTerm))
        terms.emplace_back(term.first, 1);
  }
  std::unique_lock lock(mutex_);
  if (auto it = slotOf_.find(id); it != slotOf_.end())
    removeLocked(it->second);
  std::uint32_t slot;
  if (!freeSlots_.empty()) {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(docs_.size());
    docs_.emplace_back();
  }
  Doc &doc = docs_[slot];
  doc.id = id;
  doc.length = 0;
  doc.terms.clear();
  doc.terms.reserve(terms.size());
  for (const auto &[term, tf] : terms) {
    postings_[term].push_back({slot, tf});
    doc.terms.push_back(term);
    doc.length += tf;
  }
  totalLength_ += doc.length;
  slotOf_[id] = slot;
}

bool LexicalIndex::remove(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  auto it = slotOf_.find(id);
  if (it == slotOf_.end())
    return false;
  removeLocked(it->second);
  return true;
}

void LexicalIndex::removeLocked(std::uint32_t slot) {
  Doc &doc = docs_[slot];
  for (std::uint64_t term : doc.terms) {
    auto it = postings_.find(term);
    if (it == postings_.end())
      continue;
    auto &list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Posting &p) { return p.doc == slot; }), list.end());
    if (list.empty())
      postings_.erase(it);
  }
  totalLength_ -= doc.length;
  slotOf_.erase(doc.id);
  doc = Doc{};
  freeSlots_.push_back(slot);
}

bool LexicalIndex::contains(std::uint64_t id) const {
  std::shared_lock lock(mutex_);
  return slotOf_.count(id) > 0;
}

std::size_t LexicalIndex::size() const {
  std::shared_lock lock(mutex_);
  return slotOf_.size();
}

std::vector<std::uint64_t> LexicalIndex::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::uint64_t> out;
  out.reserve(slotOf_.size());
  for (const auto &entry : slotOf_)
    out.push_back(entry.first);
  return out;
}

std::vector<LexicalIndex::Hit> LexicalIndex::search(std::string_view query, std::size_t k) const {
  auto terms = lexicalTerms(query);
  std::shared_lock lock(mutex_);
  std::vector<Hit> hits;
  const double n = static_cast<double>(slotOf_.size());
  if (n == 0 || k == 0)
    return hits;
  const float averageLength = static_cast<float>(static_cast<double>(totalLength_) / n);
  // The rarest terms only: they carry most of the score, the common ones most of the cost
  // (a step's query is a plan and a page of recent text).
  std::vector<std::pair<const std::vector<Posting> *, std::uint32_t>> lists;
  for (const auto &[term, queryCount] : terms)
    if (auto it = postings_.find(term); it != postings_.end())
      lists.emplace_back(&it->second, queryCount);
  if (lists.size() > kMaxQueryTerms) {
    std::nth_element(lists.begin(), lists.begin() + kMaxQueryTerms, lists.end(),
                     [](const auto &a, const auto &b) { return a.first->size() < b.first->size(); });
    lists.resize(kMaxQueryTerms);
  }
  std::vector<float> scores(docs_.size(), 0.0f);
  std::vector<std::uint32_t> touched;
  for (const auto &[postings, queryCount] : lists) {
    const auto &list = *postings;
    double df = static_cast<double>(list.size());
    // A word repeated in a long query (the recent text) counts more, sublinearly.
    float weight = static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5))) *
                   (1.0f + std::log(static_cast<float>(queryCount)));
    for (const Posting &p : list) {
      float tf = static_cast<float>(p.tf);
      float norm = kK1 * (1.0f - kB + kB * static_cast<float>(docs_[p.doc].length) / averageLength);
      if (scores[p.doc] == 0.0f)
        touched.push_back(p.doc);
      scores[p.doc] += weight * tf * (kK1 + 1.0f) / (tf + norm);
    }
  }
  hits.reserve(touched.size());
  for (std::uint32_t slot : touched)
    hits.push_back({docs_[slot].id, scores[slot]});
  auto better = [](const Hit &a, const Hit &b) { return a.score != b.score ? a.score > b.score : a.id < b.id; };
  std::size_t keep = std::min(k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(keep), hits.end(), better);
  hits.resize(keep);
  return hits;
}

} // namespace recurrent::engine
