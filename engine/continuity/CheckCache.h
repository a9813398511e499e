// The model check's cache: what the model said about a paragraph, kept so unchanged text is never checked twice.
//
// A paragraph's result is keyed by (the paragraph text's hash, the bible's version, the hash of the evidence the
// paragraph brings: the bible entries it mentions as they stand at its place, facts included, and the prompt's
// version). The value is the issues kept for it (possibly none), in bytes relative to the paragraph's start, so a
// paragraph that moves keeps its result. Memory summaries are not part of the key: an edit anywhere rewrites some
// summary, and re-checking every later paragraph after each edit is the cost the cache exists to avoid.
//
// The file (`model-checks.json` in the story's state folder) is small JSON, written atomically (temp + rename) by
// save(); a missing, unreadable or corrupted file is an empty cache (rebuilt silently as checks run). The cache is
// also the record of findings: `recurrent write --check` and the server read stored results back without a call.
//
// Thread-safety: every method may be called from any thread (one internal mutex).
#pragma once

#include "engine/StatePaths.h"
#include "engine/continuity/Finding.h"
#include "support/Error.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine::continuity {

struct CheckKey {
  std::uint64_t paragraph = 0;     ///< hashParagraphText of the paragraph
  std::uint64_t bible = 0;         ///< bibleVersion() of the bible
  std::uint64_t evidence = 0;      ///< the paragraph's own evidence (see the file comment)
  std::string text() const;        ///< "p-b-e" in hex: the file's key
  bool operator==(const CheckKey &) const = default;
};

/// A finding as cached: its span relative to the paragraph's start; `chapter` unused.
using CachedFinding = Finding;

class CheckCache {
public:
  /// The cache file of a story's state.
  static std::filesystem::path fileFor(const StatePaths &paths) { return paths.dir / "model-checks.json"; }
  /// Reads `file`; anything unreadable is an empty cache (corrupted() says so).
  static std::shared_ptr<CheckCache> open(std::filesystem::path file);
  /// A cache that is never saved (tests, benches of the model alone).
  static std::shared_ptr<CheckCache> inMemory();

  std::optional<std::vector<CachedFinding>> find(const CheckKey &key) const;
  void put(const CheckKey &key, std::vector<CachedFinding> findings);
  std::size_t size() const;
  /// The file existed but could not be read as a cache (it will be replaced at the next save).
  bool corrupted() const;
  /// Writes the file atomically when something changed since the last save (no file for inMemory()).
  Status save();

private:
  explicit CheckCache(std::filesystem::path file) : file_(std::move(file)) {}
  mutable std::mutex mutex_;
  std::filesystem::path file_;
  std::map<std::string, std::vector<CachedFinding>> entries_;
  bool dirty_ = false;
  bool corrupted_ = false;
};

} // namespace recurrent::engine::continuity
