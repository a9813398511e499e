// A cosine nearest-neighbour index over 64-bit ids: an exact scan, or hnswlib behind a pimpl when large.
//
// The one place that includes hnswlib (0.6.2 defines non-inline functions in its
// header, so a second translation unit including it breaks the link). Vectors are
// normalised on the way in, so inner product is cosine. Up to Options::exactLimit
// vectors the index is a flat array scanned exactly on every search (faster to
// build by orders of magnitude and more accurate than the graph at book sizes);
// past it, the hnsw graph is built once from the flat vectors and used from then on. Each id carries a
// caller-chosen `version` (a fingerprint of the text that was embedded) so the
// caller can tell which vectors are stale. Ids map to compact hnswlib labels; a
// removed id's label is marked deleted and reused by the next new id.
//
// On disk: at `indexPath` the hnswlib graph, or the flat vectors (label-major native
// floats), and a JSON sidecar at `metaPath` with {format, storage ("flat" or "hnsw"),
// dim, metric, M, ef_construction, ef, embedder, bytes, entries: [[id, label, version]...]}.
// Both are written to temporary files and renamed, sidecar last, so a crash leaves
// either the old pair or a pair the loader rejects (and the caller rebuilds).
//
// Thread-safety: every method may be called from any thread. search(), size() and
// the other readers take a shared lock; add, remove, save take an exclusive lock.
#pragma once

#include "engine/memory/Embedder.h"
#include "support/Error.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine {

class VectorIndex {
public:
  /// bench_index, 512 dimensions, War and Peace (11k vectors): search p50 ~3 ms exact (loaded 2-core machine),
  /// so ~20k stays within a few ms; the crossover with the graph is not measured yet.
  static constexpr std::size_t kDefaultExactLimit = 20000;
  struct Options {
    int dimension = 0;
    std::string embedderId;   ///< recorded so a change of embedder is detected
    int m = 16;               ///< graph degree
    int efConstruction = 100; ///< build-time beam width
    int ef = 64;              ///< search-time beam width (raised to k when k is larger)
    /// Up to this many slots, search scans every vector exactly; past it, an hnsw graph is built.
    std::size_t exactLimit = kDefaultExactLimit;
  };
  struct Hit {
    std::uint64_t id = 0;
    float score = 0;          ///< cosine similarity, higher is closer
  };

  explicit VectorIndex(Options options);
  ~VectorIndex();
  VectorIndex(const VectorIndex &) = delete;
  VectorIndex &operator=(const VectorIndex &) = delete;

  /// Loads a pair written by save(). Io when a file is missing, Corrupt when they
  /// are unreadable or disagree with each other.
  static Result<std::unique_ptr<VectorIndex>> load(const std::filesystem::path &indexPath,
                                                   const std::filesystem::path &metaPath);

  /// Adds or replaces vectors (normalised here). Grows the index first.
  /// InvalidArgument on a dimension mismatch (nothing is added then).
  Status add(const std::vector<std::uint64_t> &ids, const std::vector<Vector> &vectors,
             const std::vector<std::uint64_t> &versions);
  /// Removes an id; false when it was not present.
  bool remove(std::uint64_t id);

  /// Up to k hits, closest first. Any k works (0, larger than size(), empty index).
  std::vector<Hit> search(const Vector &query, std::size_t k) const;

  std::size_t size() const;
  bool contains(std::uint64_t id) const;
  /// The version stored with `id`, if present.
  std::optional<std::uint64_t> version(std::uint64_t id) const;
  std::vector<std::uint64_t> ids() const;
  /// True once the vectors are in an hnsw graph (more than exactLimit of them).
  bool usesGraph() const;
  const Options &options() const { return options_; }

  Status save(const std::filesystem::path &indexPath, const std::filesystem::path &metaPath) const;

private:
  struct Impl;
  Options options_;
  std::unique_ptr<Impl> impl_;
};

} // namespace recurrent::engine
