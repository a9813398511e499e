#include "engine/story/MarkovProse.h"

#include "engine/story/OfflineText.h"

#include <algorithm>
#include <cmath>

namespace recurrent::engine::offline {

namespace {
constexpr int kCandidates = 28;
constexpr std::size_t kMaxTokens = 48;

std::uint64_t key(std::uint32_t a, std::uint32_t b) { return (static_cast<std::uint64_t>(a) << 32) | b; }
} // namespace

MarkovProse::MarkovProse() {
  words_ = {"<s>", "</s>"};
  lowerWords_ = words_;
}

MarkovProse::Id MarkovProse::intern(const std::string &word) {
  auto [it, inserted] = ids_.try_emplace(word, static_cast<Id>(words_.size()));
  if (inserted) {
    words_.push_back(word);
    lowerWords_.push_back(lowerAscii(word));
  }
  return it->second;
}

void MarkovProse::bump(std::vector<Next> &list, Id id) {
  for (auto &n : list)
    if (n.id == id) {
      ++n.count;
      return;
    }
  list.push_back({id, 1});
}

std::uint64_t MarkovProse::hashIds(const std::vector<Id> &ids) {
  std::uint64_t h = 1469598103934665603ull;
  for (Id id : ids) {
    h ^= id;
    h *= 1099511628211ull;
  }
  return h;
}

void MarkovProse::learn(std::string_view paragraph) {
  for (const auto &s : splitSentences(paragraph)) {
    std::vector<Id> ids;
    for (const auto &t : tokenize(s))
      ids.push_back(intern(t.text));
    if (ids.size() < 3)
      continue;
    Id a = kBegin, b = kBegin;
    for (Id c : ids) {
      bump(trigrams_[key(a, b)], c);
      bump(bigrams_[b], c);
      a = b;
      b = c;
    }
    bump(trigrams_[key(a, b)], kEnd);
    bump(bigrams_[b], kEnd);
    learntSentences_.insert(hashIds(ids));
    ++sentences_;
  }
}

std::vector<MarkovProse::Id> MarkovProse::sentence(const std::unordered_set<Id> &boost, std::mt19937_64 &rng) const {
  std::vector<Id> out;
  Id a = kBegin, b = kBegin;
  std::uniform_real_distribution<double> unit(0, 1);
  while (out.size() < kMaxTokens) {
    const std::vector<Next> *choices = nullptr;
    auto tri = trigrams_.find(key(a, b));
    auto bi = bigrams_.find(b);
    if (tri != trigrams_.end())
      choices = &tri->second;
    // Only when no sentence continued this pair of words does the walk fall back to one word
    // of context: splicing at shared word pairs keeps sentences grammatical far more often.
    if (!choices && b != kBegin && bi != bigrams_.end())
      choices = &bi->second;
    if (!choices || choices->empty())
      break;
    double total = 0;
    for (const auto &n : *choices)
      total += n.count * (boost.count(n.id) ? 2.0 : 1.0);
    double r = unit(rng) * total;
    Id next = choices->back().id;
    for (const auto &n : *choices) {
      r -= n.count * (boost.count(n.id) ? 2.0 : 1.0);
      if (r <= 0) {
        next = n.id;
        break;
      }
    }
    if (next == kEnd)
      return out;
    out.push_back(next);
    a = b;
    b = next;
  }
  return {}; // ran on without an end: discard
}

std::string MarkovProse::paragraph(const Steering &steering, int count, std::mt19937_64 &rng) const {
  if (sentences_ == 0)
    return {};
  std::unordered_set<std::string> boostWords(steering.boost.begin(), steering.boost.end());
  std::unordered_set<Id> boostIds;
  for (Id id = 2; id < words_.size(); ++id)
    if (boostWords.count(lowerWords_[id]))
      boostIds.insert(id);
  // Whole sentences of the recent text are never repeated; their word 4-grams are
  // discouraged, so consecutive paragraphs draw on different parts of the story.
  std::unordered_set<std::uint64_t> avoid, recentGrams, paragraphGrams;
  auto gramsOf = [](const std::vector<Id> &ids, std::unordered_set<std::uint64_t> &into) {
    for (std::size_t i = 0; i + 4 <= ids.size(); ++i)
      into.insert(hashIds({ids[i], ids[i + 1], ids[i + 2], ids[i + 3]}));
  };
  for (const auto &s : steering.avoid)
    for (const auto &piece : splitSentences(s)) {
      std::vector<Id> ids;
      for (const auto &t : tokenize(piece)) {
        auto it = ids_.find(t.text);
        ids.push_back(it == ids_.end() ? 0xFFFFFFFFu : it->second);
      }
      avoid.insert(hashIds(ids));
      gramsOf(ids, recentGrams);
    }
  // Boost rarer words more: a plan's "house" should not pull every sentence indoors.
  std::unordered_map<Id, std::uint32_t> frequency;
  for (const auto &[k, list] : bigrams_)
    for (const auto &n : list)
      frequency[n.id] += n.count;

  // In English prose, a sentence needs a verb; a cheap test (common verbs, -ed forms) is
  // enough to drop most fragments that splicing produces.
  auto the = ids_.find("the");
  bool english = the != ids_.end() && frequency[the->second] * 40 > static_cast<std::uint32_t>(sentences_);
  static const std::unordered_set<std::string> verbs = {
      "was", "were", "is", "are", "had", "has", "have", "did", "do", "does", "said", "could", "would", "will",
      "can", "should", "might", "must", "came", "went", "saw", "knew", "stood", "sat", "took", "made", "found",
      "gave", "told", "felt", "thought", "began", "ran", "kept", "held", "left", "brought", "heard", "lay", "rode",
      "rang", "shone", "struck", "spoke", "got", "put", "let", "set", "say", "see", "go", "come", "know", "'s",
      "am", "been", "be", "being", "looks", "goes", "says", "comes", "knows", "wants", "seems", "stands"};
  auto hasVerb = [&](const std::vector<Id> &ids) {
    for (Id id : ids) {
      const auto &w = lowerWords_[id];
      if (verbs.count(w) || (w.size() > 4 && w.compare(w.size() - 2, 2, "ed") == 0) || w.find("n't") != std::string::npos)
        return true;
    }
    return false;
  };
  std::uniform_real_distribution<double> noise(0, 0.6);
  std::vector<std::string> chosen;
  std::unordered_set<Id> previousContent, usedBoost;
  std::string previousFirst;
  for (int k = 0; k < count; ++k) {
    double bestScore = -1e9;
    std::vector<Id> best;
    for (int c = 0; c < kCandidates; ++c) {
      auto ids = sentence(boostIds, rng);
      if (ids.empty())
        continue;
      auto h = hashIds(ids);
      if (avoid.count(h))
        continue;
      int words = 0, straightQuotes = 0, open = 0, close = 0, parens = 0;
      double score = 0;
      std::unordered_set<Id> content;
      for (Id id : ids) {
        const auto &w = words_[id];
        if (w == "\"")
          ++straightQuotes;
        else if (w == "“")
          ++open;
        else if (w == "”")
          ++close;
        else if (w == "(")
          ++parens;
        else if (w == ")")
          --parens;
        else if (std::isalnum(static_cast<unsigned char>(w[0])) || static_cast<unsigned char>(w[0]) >= 0x80)
          ++words;
        if (lowerWords_[id].size() >= 4 && !isStopword(lowerWords_[id]))
          content.insert(id);
      }
      if (straightQuotes % 2 != 0 || open != close || parens != 0 || words < 5)
        continue;
      if (english && !hasVerb(ids))
        continue; // "At the end of the customs house." is a fragment, not a sentence
      if (!endsSentence(words_[ids.back()]) && words_[ids.back()] != "\"" && words_[ids.back()] != "”")
        continue;
      for (Id id : content) {
        if (boostIds.count(id))
          score += (usedBoost.count(id) ? 0.2 : 1.2) / (frequency[id] > 30 ? 3.0 : 1.0);
        else if (previousContent.count(id))
          score += 0.4;
      }
      score = std::min(score, 3.0);
      int shared = 0, repeated = 0;
      for (std::size_t i = 0; i + 4 <= ids.size(); ++i) {
        auto g = hashIds({ids[i], ids[i + 1], ids[i + 2], ids[i + 3]});
        shared += recentGrams.count(g) ? 1 : 0;
        repeated += paragraphGrams.count(g) ? 1 : 0;
      }
      if (repeated >= 2)
        continue; // a paragraph never says the same six words twice
      score -= std::min(3.0, 0.5 * shared);
      if (learntSentences_.count(h))
        score -= 1.2; // a verbatim line of the story: allowed, not preferred
      if (words < 7 || words > 26)
        score -= 1.0;
      if (words > 34)
        score -= 3.0;
      std::string first = lowerWords_[ids.front()];
      if (!previousFirst.empty() && first == previousFirst)
        score -= 1.0;
      if (k == 0 && (first == "and" || first == "but" || first == "then"))
        score -= 1.0;
      score += noise(rng);
      if (score > bestScore) {
        bestScore = score;
        best = std::move(ids);
      }
    }
    if (best.empty())
      continue;
    avoid.insert(hashIds(best));
    gramsOf(best, recentGrams);
    gramsOf(best, paragraphGrams);
    previousContent.clear();
    std::vector<std::string> toks;
    for (Id id : best) {
      toks.push_back(words_[id]);
      if (lowerWords_[id].size() >= 4 && !isStopword(lowerWords_[id]))
        previousContent.insert(id);
      if (boostIds.count(id))
        usedBoost.insert(id);
    }
    previousFirst = lowerWords_[best.front()];
    chosen.push_back(detokenize(toks));
  }
  std::string out;
  for (const auto &s : chosen) {
    if (!out.empty())
      out += ' ';
    out += s;
  }
  return out;
}

} // namespace recurrent::engine::offline
