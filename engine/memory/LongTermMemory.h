// The long-term memory: one summary per manuscript paragraph, on disk, searchable by meaning.
//
// Entries are keyed by the hash of the paragraph text they summarise, so a
// summary survives the paragraph moving, identical paragraphs share one summary,
// and an edited paragraph (new hash) gets a new one. The file
// (StatePaths::longTermMemory(), JSON Lines, '#' lines are comments) is meant to
// be read and edited by the writer: a changed "summary" is detected (it no longer
// matches its "sig") and kept, marked edited, until the paragraph itself changes.
//
// The file is a log, so a step costs one appended line rather than a rewrite: each
// line describes the paragraph at its "paragraph" position, and a later line for
// the same position supersedes an earlier one ({"paragraph": N, "removed": true}
// says the position has no entry any more). A summary edited by hand wins over
// the lines recurrent wrote for that paragraph text (same "hash") until a later
// edit. When superseded lines outnumber the live ones, or after a repair or a hand
// edit, the next save rewrites the file compactly (atomically: one line per
// paragraph, in order). A kill during an append leaves a torn last line, which is
// skipped with a warning; every earlier line is intact. Loading is lenient:
// unreadable lines are skipped (the file is first copied aside as
// `.corrupt-<time>`), a file with nothing usable is renamed aside and rebuilt;
// loadWarnings() says what happened.
//
// Search fuses two rankings of the entries' (paragraph text + summary): by meaning,
// from the vector index, and by shared words, from a BM25 word index over each
// paragraph and its neighbours (LexicalIndex), by per-query z-scores. The vector index is a cache over the same text, rebuilt
// when missing, unreadable, or made by another embedder. It is saved lazily (when
// enough vectors changed, by flush(), and on destruction): after a crash the
// vectors changed since its last save are found stale and computed again. The word
// index is a cache too (LexicalIndexFile), saved the same lazy way with the digest of
// the entries it was built from, and loaded at open only when that digest matches.
// MemoryIndexer brings both up to date with the manuscript; until it has run
// once, search() finds nothing.
//
// Thread-safety: all public methods may be called from any thread; searches run
// concurrently with each other and with an update in progress (they see the
// memory before or after each of the indexer's batches, never half a batch).
#pragma once

#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/Embedder.h"
#include "engine/memory/LexicalIndex.h"
#include "engine/memory/VectorIndex.h"
#include "support/Error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace recurrent::engine {

struct MemoryEntry {
  ParagraphHash hash = 0;     ///< of the paragraph text the summary summarises
  std::size_t paragraph = 0;  ///< position in the manuscript (0-based)
  std::string chapter;        ///< the chapter's title ("" before the first heading)
  std::uint32_t words = 0;
  std::string summary;
  std::string summarizer;     ///< Summarizer::id() that wrote it ("extractive-v1", ...)
  bool edited = false;        ///< the writer changed the summary by hand
  std::string opening;        ///< the paragraph's first words (orientation in the file; search snippets)
};

struct MemoryHit {
  std::size_t paragraph = 0;
  float score = 0;            ///< relevance in (0, 1): the fused score through a logistic (0.5: an average candidate)
  std::string chapter;
  std::string summary;
  std::string snippet;
  float fused = 0;            ///< weighted sum of the z-scores below
  float meaningZ = 0;         ///< z-score among the vector index's candidates for this query
  float wordsZ = 0;           ///< z-score among the word index's candidates for this query
};

class LongTermMemory {
public:
  struct Options {
    std::size_t defaultK = 3;
    std::size_t maxK = 50;
    int indexM = 16;
    int indexEfConstruction = 40;
    int indexEf = 256;        // measured: top-3 of quoted sentences 86% at 64, 92% at 256 (exact: 93%)
    // Fusion of the two rankings by per-query z-scores: each ranking's candidates are scored by
    // how far they stand above that ranking's mean for this query, and an entry's score is
    // meaningWeight·z(meaning) + wordWeight·z(words). The depth is how many candidates each
    // ranking offers (plus k and the exclusions).
    std::optional<float> meaningWeight; ///< default: the embedder's searchWeight()
    float wordWeight = 1.0f;
    std::size_t fusionDepth = 30;
  };

  /// Loads the memory of the manuscript at `paths` (an absent file is an empty
  /// memory). Fails only when a file exists but cannot be read (Io).
  static Result<std::unique_ptr<LongTermMemory>> open(const StatePaths &paths, std::shared_ptr<Embedder> embedder,
                                                      Options options);
  static Result<std::unique_ptr<LongTermMemory>> open(const StatePaths &paths, std::shared_ptr<Embedder> embedder) {
    return open(paths, std::move(embedder), Options{});
  }
  ~LongTermMemory();

  /// The entries in paragraph order (a copy).
  std::vector<MemoryEntry> entries() const;
  std::optional<MemoryEntry> entryAt(std::size_t paragraph) const;
  std::size_t size() const;
  /// What loading had to repair (set-aside files, skipped lines, a rebuilt index), for the user.
  std::vector<std::string> loadWarnings() const;

  /// The k paragraphs (default Options::defaultK, clamped to [1, maxK]) whose text and
  /// summary are closest to `query` by meaning and by words, best first, skipping
  /// paragraphs in `exclude` (e.g. the ones already in the prompt) and those up to
  /// `excludeAround` positions from them (their neighbours share their words: they would win
  /// on the prompt's own text). Fails only when the embedder fails.
  Result<std::vector<MemoryHit>> search(const std::string &query, std::size_t k = 0,
                                        const std::set<std::size_t> &exclude = {}, const CancelToken &cancel = {},
                                        std::size_t excludeAround = 0) const;
  /// The words of `query` that the paragraph at `paragraph` matched in the word index, and
  /// which paragraph (its own, or a neighbour at -2..+2) held each: why it was found.
  std::vector<LexicalIndex::Match> explainWords(const std::string &query, std::size_t paragraph) const;

  /// Records a summary for a paragraph text before it is indexed (the recurrence
  /// summarises the paragraph it just wrote): the next update uses it instead of
  /// calling the summarizer.
  void remember(ParagraphHash hash, std::string summary, std::string summarizerId);

  /// Replaces the summary of the paragraph at `paragraph` with the writer's text and saves.
  /// The vector is refreshed by the next update. InvalidArgument when there is no such entry.
  Status editSummary(std::size_t paragraph, std::string summary);
  /// Rewrites every summary and opening through `rewrite` (a bible rename) and saves the file compactly,
  /// so no earlier line keeps the old text; new summaries' vectors are refreshed by the next update.
  /// Returns how many entries changed. The openings follow so that a search shows no old name before the
  /// next update replaces them.
  Result<std::size_t> rewriteSummaries(const std::function<std::string(std::string_view)> &rewrite);

  /// Saves the vector index if it changed since its last save (the destructor does too), and
  /// the word index when it matches the entries (a failure there only costs a rebuild: not reported).
  /// Not concurrently with MemoryIndexer::update().
  Status flush();

  const StatePaths &paths() const { return paths_; }
  /// The word index (read-only: MemoryIndexer keeps it in line with the manuscript).
  const LexicalIndex &words() const { return lexical_; }
  Embedder &embedder() const { return *embedder_; }

private:
  friend class MemoryIndexer;
  struct Summary {
    std::string text;
    std::string summarizer;
    bool edited = false;
  };
  LongTermMemory(StatePaths paths, std::shared_ptr<Embedder> embedder, Options options);
  Status loadEntries();
  void loadIndex();
  void loadWords();
  VectorIndex::Options indexOptions(int dimension) const;
  /// Serialises entries_ (caller holds at least a shared lock).
  std::string serialise() const;
  /// Rewrites the whole file (caller holds the exclusive lock).
  Status saveLocked();
  /// Records that entries_ from index `from` on replaced `before` (both in paragraph
  /// order): appends a line per new or changed entry and a tombstone per position
  /// that lost its entry, or rewrites the file when it is due for compaction.
  Status appendChangesLocked(std::size_t from, const std::vector<MemoryEntry> &before);
  Status appendLines(const std::string &lines, std::size_t records);
  /// Saves the index when enough vectors changed since the last save (or always with `force`).
  Status saveIndexIfDue(bool force);
  /// Saves the word index when it matches the entries and enough changed since its last save
  /// (or anything, with `force`).
  Status saveWordsIfDue(bool force);
  void rebuildLookups();

  StatePaths paths_;
  std::shared_ptr<Embedder> embedder_;
  Options options_;
  mutable std::shared_mutex mutex_;
  std::vector<MemoryEntry> entries_;
  std::unordered_map<ParagraphHash, std::vector<std::size_t>> byHash_; ///< hash -> indices into entries_
  std::unordered_map<ParagraphHash, Summary> pending_;                ///< remember()ed, not yet placed
  std::vector<std::string> warnings_;
  std::size_t fileRecords_ = 0;   ///< entry and tombstone lines in the file
  bool rewriteFile_ = false;      ///< the next save rewrites the file (repair, hand edit, compaction)
  bool fileEndsInNewline_ = true;
  bool vectorsVerified_ = false;  ///< every entry's vector was checked since open (else the next update scans all)
  std::unordered_set<ParagraphHash> staleVectors_; ///< hashes whose summary changed since the last update
  std::size_t unsavedVectors_ = 0; ///< vector changes since the index was saved
  bool indexOnDisk_ = false;       ///< the current index was loaded or saved at least once
  bool wordsOnDisk_ = false;       ///< the word index file holds the index at wordsSavedRevision_
  std::uint64_t wordsSavedRevision_ = 0;
  bool wordsMatchEntries_ = false; ///< the word index reflects entries_ (set by an update, cleared by any change)
  std::uint64_t entriesDigest_ = 0;   ///< memoryEntriesDigest(entries_) as loaded
  /// The manuscript digest (manuscriptDigest()) that the caches loaded at open were verified against,
  /// read from memory.verified when it names exactly the files loaded; 0 when unknown.
  std::uint64_t verifiedFor_ = 0;
  /// The manuscript digest of the last update that succeeded; 0 after a failure or any change since.
  std::uint64_t consistentWith_ = 0;
  std::string stampWritten_;          ///< what memory.verified holds, as far as this memory knows
  /// The caches and the memory as they are on disk now, in a few bytes (empty when a file is missing).
  std::string diskIdentity(std::uint64_t entriesDigest) const;
  /// Writes memory.verified when the memory, both caches and their files agree with the last update.
  void stampIfVerified();
  /// Internally synchronised; the pointer itself is guarded by mutex_. Null until
  /// the embedder's dimension is known (a remote embedder learns it from its first answer).
  std::shared_ptr<VectorIndex> index_;
  std::shared_ptr<VectorIndex> currentIndex() const;
  /// Filled by MemoryIndexer from the manuscript (the memory file holds no paragraph text).
  LexicalIndex lexical_;
};

/// An id and its score in one ranking.
using ScoredId = std::pair<std::uint64_t, float>;
struct FusedCandidate {
  std::uint64_t id = 0;
  float fused = 0;
  float meaningZ = 0, wordsZ = 0;
};
/// Fuses two rankings by per-query z-scores: each candidate scores meaningWeight·z(meaning) +
/// wordWeight·z(words), where z is how many standard deviations it stands above that ranking's
/// candidates' mean (a candidate one ranking did not return gets that ranking's lowest z).
/// Best first, ties by id. Pure.
std::vector<FusedCandidate> fuseByZScores(const std::vector<ScoredId> &byMeaning, const std::vector<ScoredId> &byWords,
                                          float meaningWeight, float wordWeight);

/// Digest of what the memory's caches depend on in a manuscript: each paragraph's text hash, words and
/// chapter, the chapters' titles, and the language the words are indexed in. Pure.
std::uint64_t manuscriptDigest(const Manuscript &manuscript, std::string_view language);

/// Digest of the entries a word index is built from (hash, position, chapter, summary of each). Pure.
std::uint64_t memoryEntriesDigest(const std::vector<MemoryEntry> &entries);

/// The text whose vector represents an entry: the paragraph and its summary.
std::string memoryEmbeddingText(std::string_view paragraph, std::string_view summary);
/// Fingerprint of what memoryEmbeddingText() embeds, stored with the vector to detect staleness.
std::uint64_t memoryEmbeddingVersion(ParagraphHash paragraph, std::string_view summary);

/// A long-term-memory file, resolved: the live entries in paragraph order (lines for
/// the same position superseded, hand edits applied to every paragraph with that text).
struct MemoryFile {
  std::vector<MemoryEntry> entries;
  std::vector<std::string> bad;  ///< "line N: reason" for each unusable line (a torn last line included)
  std::size_t records = 0;       ///< entry and tombstone lines read
  bool tornTail = false;         ///< the last line is unusable and has no newline: an interrupted append
  bool handEdited = false;       ///< some line's summary differs from its signature
  bool endsInNewline = true;
};

/// How parseMemoryLog reads a line: Canonical reads the lines recurrent writes without a JSON DOM and
/// hands any other line to the general JSON reader; Json sends every line there (the tests compare the two).
enum class MemoryLineReader { Canonical, Json };
/// Parses a long-term-memory file leniently. Pure (the fuzz target calls it).
MemoryFile parseMemoryLog(std::string_view bytes, MemoryLineReader reader = MemoryLineReader::Canonical);
/// parseMemoryLog(bytes).entries, with `bad` receiving its unusable lines.
std::vector<MemoryEntry> parseMemoryFile(std::string_view bytes, std::vector<std::string> &bad);

} // namespace recurrent::engine
