// Word search over the long-term memory: BM25 over an in-memory inverted index.
//
// The vectors find a paragraph by its overall likeness; this finds it by the rare
// words it shares with the query (names, places, objects), weighted by how rare
// they are in this book (inverse document frequency), which a fixed hashed vector
// cannot know. LongTermMemory fuses both rankings. A document is a 64-bit id (the
// paragraph hash) and a text; words come from text::words (any script, lower-cased),
// stop words are left out, a possessive "'s" is dropped, and runs of CJK characters
// add their adjacent pairs (a Chinese word is usually two characters).
//
// Not persisted: rebuilding it from the manuscript costs less than reading a file
// (about 0.1 s for War and Peace) and it can never disagree with the text.
//
// Thread-safety: every method may be called from any thread; search(), contains()
// and size() take a shared lock, add() and remove() an exclusive one.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace recurrent::engine {

class LexicalIndex {
public:
  struct Hit {
    std::uint64_t id = 0;
    float score = 0; ///< BM25, > 0
  };

  /// Indexes `text` under `id`, replacing what `id` held. The words of `extra` (a
  /// summary) that `text` lacks count once each: a summary naming whom "she" is adds
  /// the name, a summary quoting the text does not inflate its words.
  void add(std::uint64_t id, std::string_view text, std::string_view extra = {});
  /// False when `id` was not indexed.
  bool remove(std::uint64_t id);
  bool contains(std::uint64_t id) const;
  std::size_t size() const;
  std::vector<std::uint64_t> ids() const;
  /// Up to `k` documents sharing words with `query`, best first. A long query is
  /// ranked by its 64 rarest words in this index.
  std::vector<Hit> search(std::string_view query, std::size_t k) const;

private:
  struct Posting {
    std::uint32_t doc; ///< slot in docs_
    std::uint32_t tf;
  };
  struct Doc {
    std::uint64_t id = 0;
    std::uint32_t length = 0;          ///< indexed terms, repeats counted
    std::vector<std::uint64_t> terms;  ///< distinct terms, to unlink the postings on removal
  };
  void removeLocked(std::uint32_t slot);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::uint64_t, std::vector<Posting>> postings_; ///< term -> documents holding it
  std::vector<Doc> docs_;                                            ///< by slot; a free slot has no terms
  std::vector<std::uint32_t> freeSlots_;
  std::unordered_map<std::uint64_t, std::uint32_t> slotOf_;          ///< id -> slot
  std::uint64_t totalLength_ = 0;
};

/// The terms LexicalIndex indexes for `text` as (term hash, count) pairs, sorted by hash. Pure.
std::vector<std::pair<std::uint64_t, std::uint32_t>> lexicalTerms(std::string_view text);

} // namespace recurrent::engine
