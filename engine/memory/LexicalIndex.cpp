#include "engine/memory/LexicalIndex.h"

#include "engine/memory/Stemmer.h"
#include "engine/memory/TextFeatures.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <type_traits>

namespace recurrent::engine {
namespace {

// The usual BM25 constants: term-frequency saturation and length normalisation.
constexpr float kK1 = 1.2f;
constexpr float kB = 0.75f;
// A neighbour's words count half, the next one's a quarter (measured on War and Peace, issue 16).
constexpr std::array<float, 4> kNeighbourWeight = {0.5f, 0.5f, 0.25f, 0.25f};
constexpr std::array<int, 4> kNeighbourOffset = {-1, 1, -2, 2};
constexpr std::uint64_t kWordSeed = 21, kPairSeed = 22;
constexpr std::size_t kMaxQueryTerms = 64;
constexpr std::size_t kMaxCachedWords = 1 << 18;
constexpr std::string_view kMagic = "recurrent-lexical-2\n";

/// Stems and term hashes of the words this thread saw last, for one algorithm: a book
/// repeats its words, and stemming is the costly part of indexing.
struct TermCache {
  std::string algorithm;
  std::unique_ptr<Stemmer> stemmer;
  std::unordered_map<std::string, std::uint64_t> terms;
};

std::uint64_t wordTerm(const std::string &lowerWord, const std::string &algorithm) {
  thread_local TermCache cache;
  if (!cache.stemmer || cache.algorithm != algorithm) {
    cache.stemmer = std::make_unique<Stemmer>(algorithm);
    cache.algorithm = algorithm;
    cache.terms.clear();
  }
  if (auto it = cache.terms.find(lowerWord); it != cache.terms.end())
    return it->second;
  std::string_view w = lowerWord;
  if (w.size() > 2 && w.ends_with("'s")) // words() writes every apostrophe as '
    w.remove_suffix(2);
  std::uint64_t term = text::hash64(text::foldDiacritics(cache.stemmer->stem(w)), kWordSeed);
  if (cache.terms.size() >= kMaxCachedWords)
    cache.terms.clear();
  cache.terms.emplace(lowerWord, term);
  return term;
}

/// Calls `visit(word, term)` for each term of `text`: a word's stem, a CJK character and
/// the pair it makes with the character before.
template <typename Visit> void forEachTerm(std::string_view text, const std::string &algorithm, Visit &&visit) {
  std::uint64_t previousCjk = 0; // hash of the CJK character just before, 0 after anything else
  text::forEachWord(text, [&](const text::Word &word) {
    if (word.cjk) {
      std::uint64_t h = text::hash64(word.text, kWordSeed);
      visit(word.text, h);
      if (previousCjk)
        visit(word.text, text::hashCombine(previousCjk ^ kPairSeed, h));
      previousCjk = h;
      return;
    }
    previousCjk = 0;
    visit(word.text, wordTerm(word.text, algorithm));
  });
}

std::vector<TermCount> termsOf(std::string_view text, const std::string &algorithm) {
  std::vector<std::uint64_t> hashes;
  hashes.reserve(text.size() / 5);
  forEachTerm(text, algorithm, [&](const std::string &, std::uint64_t term) { hashes.push_back(term); });
  std::sort(hashes.begin(), hashes.end());
  std::vector<TermCount> out;
  for (std::size_t i = 0; i < hashes.size();) {
    std::size_t j = i;
    while (j < hashes.size() && hashes[j] == hashes[i])
      ++j;
    out.emplace_back(hashes[i], static_cast<std::uint32_t>(j - i));
    i = j;
  }
  return out;
}

std::uint64_t textVersion(std::string_view text, std::string_view extra) {
  return text::hashCombine(text::hash64(text, 31), text::hash64(extra, 32));
}

bool byTerm(const TermCount &a, const TermCount &b) { return a.first < b.first; }

// Fixed-width little-endian fields for serialise()/deserialise().
template <typename T> void put(std::string &out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}
template <typename T> bool get(std::string_view &in, T &v) {
  if (in.size() < sizeof(T))
    return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

} // namespace

std::vector<TermCount> lexicalTerms(std::string_view text, const std::string &language) {
  return termsOf(text, Stemmer::algorithmFor(language));
}

LexicalIndex::LexicalIndex(std::string language) : language_(Stemmer::algorithmFor(language)) {}

std::string LexicalIndex::language() const {
  std::shared_lock lock(mutex_);
  return language_;
}

bool LexicalIndex::setLanguage(const std::string &language) {
  std::string algorithm = Stemmer::algorithmFor(language);
  std::unique_lock lock(mutex_);
  if (algorithm == language_)
    return false;
  language_ = algorithm;
  ++revision_;
  docTermsPending_ = false;
  texts_.clear();
  postings_.clear();
  docs_.clear();
  lengths_.clear();
  slotOf_.clear();
  dead_ = 0;
  totalLength_ = 0;
  return true;
}

void LexicalIndex::setText(std::uint64_t id, std::string_view text, std::string_view extra) {
  const std::string algorithm = language();
  Text t; // outside the lock: the costly part
  t.terms = termsOf(text, algorithm);
  t.version = textVersion(text, extra);
  if (!extra.empty()) {
    std::size_t own = t.terms.size();
    for (const auto &term : termsOf(extra, algorithm))
      if (!std::binary_search(t.terms.begin(), t.terms.begin() + static_cast<std::ptrdiff_t>(own), term, byTerm))
        t.terms.emplace_back(term.first, 1);
    std::sort(t.terms.begin(), t.terms.end(), byTerm);
  }
  std::unique_lock lock(mutex_);
  if (language_ != algorithm) // the language changed meanwhile: these terms mean nothing now
    return;
  texts_[id] = std::move(t);
  ++revision_;
}

bool LexicalIndex::hasText(std::uint64_t id, std::string_view text, std::string_view extra) const {
  const std::uint64_t version = textVersion(text, extra);
  std::shared_lock lock(mutex_);
  auto it = texts_.find(id);
  return it != texts_.end() && it->second.version == version;
}

std::uint64_t LexicalIndex::placementKeyLocked(std::uint64_t id, const Neighbours &neighbours) const {
  auto versionOf = [&](std::uint64_t t) -> std::uint64_t {
    auto it = texts_.find(t);
    return it == texts_.end() ? 0 : it->second.version;
  };
  std::uint64_t key = text::hashCombine(id, versionOf(id));
  for (std::uint64_t n : neighbours)
    key = text::hashCombine(key, n ? text::hashCombine(n, versionOf(n)) : 0);
  return key;
}

void LexicalIndex::place(std::uint64_t id, const Neighbours &neighbours) {
  std::unique_lock lock(mutex_);
  placeLocked(id, neighbours);
}

void LexicalIndex::add(std::uint64_t id, std::string_view text, std::string_view extra) {
  setText(id, text, extra);
  place(id, {});
}

void LexicalIndex::placeLocked(std::uint64_t id, const Neighbours &neighbours) {
  unplaceLocked(id);
  auto own = texts_.find(id);
  if (own == texts_.end())
    return;
  // The five term lists are sorted: merge them (linear) rather than sort their concatenation.
  thread_local std::vector<std::pair<std::uint64_t, float>> weighted, merged;
  weighted.clear();
  for (const auto &[term, tf] : own->second.terms)
    weighted.emplace_back(term, static_cast<float>(tf));
  for (std::size_t n = 0; n < neighbours.size(); ++n) {
    auto it = neighbours[n] ? texts_.find(neighbours[n]) : texts_.end();
    if (it == texts_.end())
      continue;
    merged.clear();
    merged.reserve(weighted.size() + it->second.terms.size());
    auto a = weighted.begin();
    for (const auto &[term, tf] : it->second.terms) {
      for (; a != weighted.end() && a->first < term; ++a)
        merged.push_back(*a);
      merged.emplace_back(term, kNeighbourWeight[n] * static_cast<float>(tf));
    }
    merged.insert(merged.end(), a, weighted.end());
    std::swap(weighted, merged);
  }
  ++placements_;
  ++revision_;
  const auto slot = static_cast<std::uint32_t>(docs_.size());
  Doc &doc = docs_.emplace_back();
  lengths_.push_back(0);
  doc.id = id;
  doc.neighbours = neighbours;
  doc.key = placementKeyLocked(id, neighbours);
  doc.live = true;
  for (std::size_t i = 0; i < weighted.size();) {
    float tf = 0;
    std::size_t j = i;
    for (; j < weighted.size() && weighted[j].first == weighted[i].first; ++j)
      tf += weighted[j].second;
    PostingList &list = postings_[weighted[i].first];
    list.list.push_back({slot, tf});
    ++list.live;
    doc.terms.push_back(weighted[i].first);
    doc.length += tf;
    i = j;
  }
  totalLength_ += doc.length;
  lengths_[slot] = doc.length;
  slotOf_[id] = slot;
}

bool LexicalIndex::placedWith(std::uint64_t id, const Neighbours &neighbours) const {
  std::shared_lock lock(mutex_);
  auto it = slotOf_.find(id);
  return it != slotOf_.end() && docs_[it->second].neighbours == neighbours &&
         docs_[it->second].key == placementKeyLocked(id, neighbours);
}

void LexicalIndex::unplaceLocked(std::uint64_t id) {
  auto it = slotOf_.find(id);
  if (it == slotOf_.end())
    return;
  ensureDocTermsLocked();
  // The postings stay until compaction (a common word's list is as long as the book):
  // the slot is marked dead and each list's document frequency drops.
  Doc &doc = docs_[it->second];
  for (std::uint64_t term : doc.terms)
    if (auto p = postings_.find(term); p != postings_.end())
      --p->second.live;
  totalLength_ -= doc.length;
  lengths_[it->second] = -1;
  doc.live = false;
  doc.terms = {};
  slotOf_.erase(it);
  if (++dead_ > 1024 && dead_ > slotOf_.size())
    compactLocked();
}

void LexicalIndex::compactLocked() {
  std::vector<std::uint32_t> newSlot(docs_.size(), UINT32_MAX);
  std::vector<Doc> kept;
  kept.reserve(slotOf_.size());
  for (std::uint32_t s = 0; s < docs_.size(); ++s)
    if (docs_[s].live) {
      newSlot[s] = static_cast<std::uint32_t>(kept.size());
      kept.push_back(std::move(docs_[s]));
    }
  docs_ = std::move(kept);
  lengths_.clear();
  for (const Doc &doc : docs_)
    lengths_.push_back(doc.length);
  for (auto it = postings_.begin(); it != postings_.end();) {
    auto &list = it->second.list;
    std::size_t out = 0;
    for (const Posting &p : list)
      if (newSlot[p.doc] != UINT32_MAX)
        list[out++] = {newSlot[p.doc], p.tf};
    list.resize(out);
    it = list.empty() ? postings_.erase(it) : std::next(it);
  }
  for (auto &[id, slot] : slotOf_)
    slot = newSlot[slot];
  dead_ = 0;
}

bool LexicalIndex::remove(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  bool had = slotOf_.count(id) > 0;
  unplaceLocked(id);
  had = texts_.erase(id) > 0 || had;
  revision_ += had;
  return had;
}

bool LexicalIndex::contains(std::uint64_t id) const {
  std::shared_lock lock(mutex_);
  return slotOf_.count(id) > 0;
}

std::size_t LexicalIndex::size() const {
  std::shared_lock lock(mutex_);
  return slotOf_.size();
}

std::size_t LexicalIndex::placements() const {
  std::shared_lock lock(mutex_);
  return placements_;
}

std::uint64_t LexicalIndex::revision() const {
  std::shared_lock lock(mutex_);
  return revision_;
}

std::vector<std::uint64_t> LexicalIndex::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::uint64_t> out;
  out.reserve(slotOf_.size() + texts_.size());
  for (const auto &entry : slotOf_)
    out.push_back(entry.first);
  for (const auto &entry : texts_) // a text that is no document (a neighbour only) is still held
    if (!slotOf_.count(entry.first))
      out.push_back(entry.first);
  return out;
}

std::vector<LexicalIndex::Hit> LexicalIndex::search(std::string_view query, std::size_t k) const {
  const auto terms = termsOf(query, language());
  std::shared_lock lock(mutex_);
  std::vector<Hit> hits;
  const double n = static_cast<double>(slotOf_.size());
  if (n == 0 || k == 0)
    return hits;
  const float averageLength = std::max(1e-3f, static_cast<float>(totalLength_ / n));
  // The rarest terms only: they carry most of the score, the common ones most of the cost
  // (a step's query is a plan and a page of recent text).
  std::vector<std::pair<const PostingList *, std::uint32_t>> lists;
  for (const auto &[term, queryCount] : terms)
    if (auto it = postings_.find(term); it != postings_.end() && it->second.live > 0)
      lists.emplace_back(&it->second, queryCount);
  if (lists.size() > kMaxQueryTerms) {
    std::nth_element(lists.begin(), lists.begin() + kMaxQueryTerms, lists.end(),
                     [](const auto &a, const auto &b) { return a.first->live < b.first->live; });
    lists.resize(kMaxQueryTerms);
  }
  std::vector<float> scores(docs_.size(), 0.0f);
  for (const auto &[postings, queryCount] : lists) {
    double df = static_cast<double>(postings->live);
    // A word repeated in a long query (the recent text) counts more, sublinearly.
    float weight = static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5))) *
                   (1.0f + std::log(static_cast<float>(queryCount)));
    const float lengthScale = kK1 * kB / averageLength, lengthBase = kK1 * (1.0f - kB);
    for (const Posting &p : postings->list) {
      const float length = lengths_[p.doc];
      if (length < 0)
        continue;
      scores[p.doc] += weight * p.tf * (kK1 + 1.0f) / (p.tf + lengthBase + lengthScale * length);
    }
  }
  // The k best by score, ties by id, in a heap whose front is the worst kept. Common words
  // touch most documents, and each id read from its Doc is a cache miss: it is read only
  // for a score that can make it.
  auto better = [](const Hit &a, const Hit &b) { return a.score != b.score ? a.score > b.score : a.id < b.id; };
  hits.reserve(k);
  for (std::uint32_t slot = 0; slot < scores.size(); ++slot) {
    const float score = scores[slot];
    if (score <= 0 || (hits.size() == k && score < hits.front().score))
      continue;
    const Hit hit{docs_[slot].id, score};
    if (hits.size() < k) {
      hits.push_back(hit);
      std::push_heap(hits.begin(), hits.end(), better);
    } else if (better(hit, hits.front())) {
      std::pop_heap(hits.begin(), hits.end(), better);
      hits.back() = hit;
      std::push_heap(hits.begin(), hits.end(), better);
    }
  }
  std::sort_heap(hits.begin(), hits.end(), better);
  return hits;
}

std::vector<LexicalIndex::Match> LexicalIndex::explain(std::string_view query, std::uint64_t id) const {
  std::vector<std::pair<std::string, std::uint64_t>> words;
  forEachTerm(query, language(), [&](const std::string &word, std::uint64_t term) {
    for (const auto &w : words)
      if (w.second == term)
        return;
    words.emplace_back(word, term);
  });
  std::shared_lock lock(mutex_);
  std::vector<Match> out;
  auto slot = slotOf_.find(id);
  if (slot == slotOf_.end())
    return out;
  const Doc &doc = docs_[slot->second];
  auto holds = [&](std::uint64_t textId, std::uint64_t term) {
    auto it = texts_.find(textId);
    return textId && it != texts_.end() &&
           std::binary_search(it->second.terms.begin(), it->second.terms.end(), TermCount{term, 0}, byTerm);
  };
  for (const auto &[word, term] : words) {
    Match m{word, {}};
    if (holds(id, term))
      m.offsets.push_back(0);
    for (std::size_t n = 0; n < doc.neighbours.size(); ++n)
      if (holds(doc.neighbours[n], term))
        m.offsets.push_back(kNeighbourOffset[n]);
    if (!m.offsets.empty())
      out.push_back(std::move(m));
  }
  return out;
}

std::string LexicalIndex::serialise(std::string head) const {
  std::shared_lock lock(mutex_);
  // Live documents only, renumbered in slot order (as a compaction would).
  std::vector<std::uint32_t> newSlot(docs_.size(), UINT32_MAX);
  std::uint32_t live = 0;
  for (std::uint32_t s = 0; s < docs_.size(); ++s)
    if (docs_[s].live)
      newSlot[s] = live++;
  std::size_t size = head.size() + kMagic.size() + 64 + live * (6 * sizeof(std::uint64_t) + sizeof(float));
  for (const auto &entry : texts_)
    size += 3 * sizeof(std::uint64_t) + entry.second.terms.size() * 12;
  for (const auto &entry : postings_)
    size += 12 + std::size_t{entry.second.live} * sizeof(Posting);
  std::string out = std::move(head);
  out.reserve(size); // exactly: a second, doubled buffer would be the peak of a novel's save
  out += kMagic;
  put<std::uint32_t>(out, static_cast<std::uint32_t>(language_.size()));
  out += language_;
  put<double>(out, totalLength_);
  put<std::uint64_t>(out, texts_.size());
  for (const auto &[id, t] : texts_) {
    put(out, id);
    put(out, t.version);
    put<std::uint64_t>(out, t.terms.size());
    for (const auto &[term, tf] : t.terms) {
      put(out, term);
      put(out, tf);
    }
  }
  put<std::uint64_t>(out, live);
  for (const Doc &doc : docs_) {
    if (!doc.live)
      continue;
    put(out, doc.id);
    put(out, doc.key);
    for (std::uint64_t n : doc.neighbours)
      put(out, n);
    put(out, doc.length);
  }
  // The postings as they are, so loading does not place every document again.
  auto liveIn = [&](const PostingList &list) {
    std::uint32_t n = 0;
    for (const Posting &p : list.list)
      n += newSlot[p.doc] != UINT32_MAX;
    return n;
  };
  std::uint64_t lists = 0;
  for (const auto &entry : postings_)
    lists += entry.second.live > 0;
  put<std::uint64_t>(out, lists);
  for (const auto &[term, list] : postings_) {
    if (list.live == 0)
      continue;
    put(out, term);
    put<std::uint32_t>(out, liveIn(list));
    for (const Posting &p : list.list)
      if (newSlot[p.doc] != UINT32_MAX) {
        put(out, newSlot[p.doc]);
        put(out, p.tf);
      }
  }
  return out;
}

bool LexicalIndex::deserialise(std::string_view in) {
  static_assert(sizeof(Posting) == 8 && std::is_trivially_copyable_v<Posting>, "postings are read as bytes");
  std::unordered_map<std::uint64_t, Text> texts;
  std::unordered_map<std::uint64_t, PostingList> postings;
  std::vector<Doc> docs;
  std::string language;
  double totalLength = 0;
  auto parse = [&]() -> bool {
    if (!in.starts_with(kMagic))
      return false;
    in.remove_prefix(kMagic.size());
    std::uint32_t languageSize = 0;
    if (!get(in, languageSize) || in.size() < languageSize)
      return false;
    language.assign(in.substr(0, languageSize));
    in.remove_prefix(languageSize);
    std::uint64_t count = 0;
    if (!get(in, totalLength) || !get(in, count) || count > in.size() / 24)
      return false;
    texts.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t id = 0, terms = 0;
      Text t;
      if (!get(in, id) || !get(in, t.version) || !get(in, terms) || terms > in.size() / 12)
        return false;
      t.terms.resize(terms);
      for (auto &[term, tf] : t.terms)
        if (!get(in, term) || !get(in, tf))
          return false;
      if (!std::is_sorted(t.terms.begin(), t.terms.end(), byTerm))
        return false;
      texts[id] = std::move(t);
    }
    constexpr std::size_t kDocBytes = 6 * sizeof(std::uint64_t) + sizeof(float);
    if (!get(in, count) || count > in.size() / kDocBytes || count >= UINT32_MAX)
      return false;
    docs.resize(count);
    for (Doc &doc : docs) {
      get(in, doc.id);
      get(in, doc.key);
      for (auto &n : doc.neighbours)
        get(in, n);
      get(in, doc.length);
      doc.live = true;
    }
    std::uint64_t lists = 0;
    if (!get(in, lists) || lists > in.size() / 12)
      return false;
    postings.reserve(lists);
    for (std::uint64_t i = 0; i < lists; ++i) {
      std::uint64_t term = 0;
      std::uint32_t live = 0;
      if (!get(in, term) || !get(in, live) || live == 0 || live > docs.size() || live > in.size() / sizeof(Posting))
        return false;
      PostingList &list = postings[term];
      if (!list.list.empty())
        return false; // a term twice
      list.live = live;
      list.list.resize(live);
      std::memcpy(list.list.data(), in.data(), live * sizeof(Posting));
      in.remove_prefix(live * sizeof(Posting));
      for (const Posting &p : list.list)
        if (p.doc >= docs.size())
          return false;
    }
    return in.empty();
  };
  bool ok = parse();
  std::unique_lock lock(mutex_);
  ++revision_;
  language_ = ok ? language : language_;
  texts_ = ok ? std::move(texts) : std::unordered_map<std::uint64_t, Text>{};
  postings_ = ok ? std::move(postings) : std::unordered_map<std::uint64_t, PostingList>{};
  docs_ = ok ? std::move(docs) : std::vector<Doc>{};
  lengths_.clear();
  slotOf_.clear();
  for (std::uint32_t s = 0; s < docs_.size(); ++s) {
    lengths_.push_back(docs_[s].length);
    slotOf_[docs_[s].id] = s;
  }
  if (slotOf_.size() != docs_.size()) { // an id twice: not what serialise() writes
    ok = false;
    texts_.clear();
    postings_.clear();
    docs_.clear();
    lengths_.clear();
    slotOf_.clear();
  }
  dead_ = 0;
  totalLength_ = ok ? totalLength : 0;
  docTermsPending_ = ok && !docs_.empty();
  return ok;
}

void LexicalIndex::ensureDocTermsLocked() {
  if (!docTermsPending_)
    return;
  // deserialise() leaves them out (a search never needs them): rebuilt from the postings
  // before the first document is taken out again.
  for (const auto &[term, list] : postings_)
    for (const Posting &p : list.list)
      docs_[p.doc].terms.push_back(term);
  docTermsPending_ = false;
}

} // namespace recurrent::engine
