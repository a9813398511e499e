// Word search over the long-term memory: BM25 over paragraphs widened by their neighbours.
//
// The vectors find a paragraph by its overall likeness; this finds it by the words
// it shares with the query, weighted by how rare they are in this book (inverse
// document frequency), which a fixed hashed vector cannot know. LongTermMemory fuses
// both rankings. A text is a 64-bit id (the paragraph hash) and its words: from
// text::words (any script, lower-cased), a possessive "'s" dropped, stemmed with
// Snowball in the index's language (Stemmer), diacritics folded; stop words are kept
// (pronouns and function words carry who speaks; idf already weighs them low), and
// runs of CJK characters add their adjacent pairs (a Chinese word is usually two characters).
//
// A document is placed with its neighbours: paragraph i is indexed as
// tf(i) + 0.5·tf(i±1) + 0.25·tf(i±2) (the caller names the neighbours, within one
// chapter), and idf is counted over these widened documents. A sentence often shares
// no word with the rest of its own paragraph but does with the paragraphs around it
// (the same scene, the same people). Placing a document again when a neighbour
// changed costs that document only.
//
// serialise() writes the texts, documents and postings as they are (LexicalIndexFile keeps
// them beside the memory), so a memory opens without placing every document again.
//
// Thread-safety: every method may be called from any thread; search(), explain(),
// contains() and size() take a shared lock, the mutators an exclusive one.
#pragma once

#include <array>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace recurrent::engine {

/// A term (hash of a stem, a CJK character or pair) and how often it occurs.
using TermCount = std::pair<std::uint64_t, std::uint32_t>;

class LexicalIndex {
public:
  struct Hit {
    std::uint64_t id = 0;
    float score = 0; ///< BM25, > 0
  };
  /// The texts placed around a document: {i-1, i+1, i-2, i+2}; 0 for none.
  using Neighbours = std::array<std::uint64_t, 4>;
  /// Where a matched query word was found: 0 in the document's own text, -1 the paragraph
  /// before, +1 the one after, -2/+2 two away.
  struct Match {
    std::string word;         ///< as the query wrote it, lower-cased
    std::vector<int> offsets; ///< nearest first
  };

  /// `language`: the story's language (Snowball's name for it, "English", "de"); "" stems nothing.
  explicit LexicalIndex(std::string language = "");

  /// The stemming language in use (Stemmer::algorithmFor() of what was asked, "" for none).
  std::string language() const;
  /// Switches the stemming language; when it changes, every text and document is forgotten
  /// (their terms were stemmed for the other one). True when it changed.
  bool setLanguage(const std::string &language);

  /// Records the words of `text` under `id` (replacing what `id` held) without indexing
  /// a document. The words of `extra` (a summary) that `text` lacks count once each: a
  /// summary naming whom "she" is adds the name, a summary quoting the text does not inflate its words.
  void setText(std::uint64_t id, std::string_view text, std::string_view extra = {});
  /// True when `id` holds exactly the text setText(id, text, extra) records.
  bool hasText(std::uint64_t id, std::string_view text, std::string_view extra = {}) const;
  /// Indexes `id` (its text set) as a document: its own words plus its neighbours' at lower weight.
  void place(std::uint64_t id, const Neighbours &neighbours);
  /// True when `id` is a document placed with these neighbours and their current texts.
  bool placedWith(std::uint64_t id, const Neighbours &neighbours) const;
  /// setText() and place() with no neighbours: a document on its own.
  void add(std::uint64_t id, std::string_view text, std::string_view extra = {});

  /// Forgets the text and the document of `id`; false when it had neither.
  bool remove(std::uint64_t id);
  /// True when `id` is a document.
  bool contains(std::uint64_t id) const;
  /// Documents indexed.
  std::size_t size() const;
  std::vector<std::uint64_t> ids() const;
  /// Documents placed since construction: how much an update re-indexed.
  std::size_t placements() const;
  /// Changes since construction (any text, document or language): a changed revision needs saving.
  std::uint64_t revision() const;
  /// Up to `k` documents sharing words with `query`, best first. A long query is
  /// ranked by its 64 rarest words in this index.
  std::vector<Hit> search(std::string_view query, std::size_t k) const;
  /// The words of `query` that document `id` matched, and which text (its own or a
  /// neighbour's) held each. Empty when `id` is not a document.
  std::vector<Match> explain(std::string_view query, std::uint64_t id) const;

  /// The index as bytes (LexicalIndexFile writes them), and back: false leaves the index empty.
  /// The bytes hold the postings, so reading them back places nothing (placements() stays).
  /// `head` starts the string (a file's header: no second copy of a novel's index to prepend it).
  std::string serialise(std::string head = {}) const;
  bool deserialise(std::string_view bytes);

private:
  struct Text {
    std::vector<TermCount> terms; ///< sorted by term
    std::uint64_t version = 0;    ///< of the text and extra it was made from
  };
  struct Posting {
    std::uint32_t doc; ///< slot in docs_
    float tf;          ///< widened term frequency
  };
  struct PostingList {
    std::vector<Posting> list; ///< may hold dead slots (skipped, dropped at compaction)
    std::uint32_t live = 0;    ///< document frequency
  };
  struct Doc {
    std::uint64_t id = 0;
    float length = 0;                 ///< widened term frequencies, summed
    std::uint64_t key = 0;            ///< placement key: own and neighbours' text versions
    Neighbours neighbours{};
    std::vector<std::uint64_t> terms; ///< distinct widened terms (empty while docTermsPending_)
    bool live = false;
  };
  std::uint64_t placementKeyLocked(std::uint64_t id, const Neighbours &neighbours) const;
  void unplaceLocked(std::uint64_t id);
  void placeLocked(std::uint64_t id, const Neighbours &neighbours);
  void compactLocked();
  void ensureDocTermsLocked();

  mutable std::shared_mutex mutex_;
  std::string language_;
  std::unordered_map<std::uint64_t, Text> texts_;
  std::unordered_map<std::uint64_t, PostingList> postings_; ///< term -> documents holding it
  std::vector<Doc> docs_;                                   ///< by slot; slots are not reused until compaction
  std::vector<float> lengths_;                              ///< by slot: Doc::length, -1 when dead (compact for search)
  std::unordered_map<std::uint64_t, std::uint32_t> slotOf_; ///< id -> slot of its live document
  std::size_t dead_ = 0;
  std::size_t placements_ = 0;
  std::uint64_t revision_ = 0;
  double totalLength_ = 0;
  bool docTermsPending_ = false; ///< read back without Doc::terms (rebuilt from postings when needed)
};

/// The terms LexicalIndex records for `text` in `language` (as LexicalIndex takes it), sorted by term. Pure.
std::vector<TermCount> lexicalTerms(std::string_view text, const std::string &language = "");

} // namespace recurrent::engine
