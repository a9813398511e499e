// Where a story's state lives on disk.
//
// A one-file story DIR/NAME.md keeps DIR/.recurrent/NAME.md/ (DESIGN.md section 3); a
// folder book BOOK/ keeps BOOK/.recurrent/book/ (same files). Every component that reads
// or writes state asks this struct for its file, so the layout is decided in one place
// (engine/book/BookLayout decides which of the two a path belongs to). Pure value type;
// thread-safe.
#pragma once

#include <filesystem>

namespace recurrent::engine {

struct StatePaths {
  std::filesystem::path manuscript;  ///< DIR/NAME.md, or the book's folder BOOK
  std::filesystem::path dir;         ///< DIR/.recurrent/NAME.md/, or BOOK/.recurrent/book/

  static StatePaths forManuscript(const std::filesystem::path &manuscript) {
    auto abs = std::filesystem::absolute(manuscript).lexically_normal();
    return {abs, abs.parent_path() / ".recurrent" / abs.filename()};
  }
  /// The state of the folder book rooted at `root`.
  static StatePaths forBook(const std::filesystem::path &root) {
    auto abs = std::filesystem::absolute(root).lexically_normal();
    if (!abs.has_filename()) // "BOOK/" normalises to a trailing empty name
      abs = abs.parent_path();
    return {abs, abs / ".recurrent" / "book"};
  }

  /// Title, genre, language, outline, step, seed, plans' metadata (JSON).
  std::filesystem::path story() const { return dir / "story.json"; }
  /// The short-term memory and its rationale, as Markdown a writer may edit.
  std::filesystem::path shortTermMemory() const { return dir / "short-term-memory.md"; }
  /// The three plans for the next paragraph, as Markdown a writer may edit.
  std::filesystem::path plans() const { return dir / "plans.md"; }
  /// The long-term memory: one entry per paragraph (summary + paragraph hash), JSON Lines.
  std::filesystem::path longTermMemory() const { return dir / "memory.jsonl"; }
  /// The vector index over the long-term memory (a cache, rebuilt when missing or stale).
  std::filesystem::path vectorIndex() const { return dir / "vectors.hnsw"; }
  std::filesystem::path vectorIndexMeta() const { return dir / "vectors.json"; }
  /// The word index over the long-term memory (a cache, rebuilt when missing or stale).
  std::filesystem::path wordIndex() const { return dir / "words.index"; }
  /// What the word and vector caches were last verified against (the memory, the manuscript): while it
  /// matches, opening skips checking every entry again (a cache too: a mismatch only costs that check).
  std::filesystem::path memoryVerified() const { return dir / "memory.verified"; }
  /// Every LLM call: prompt and answer, never the key (JSON Lines, appended).
  std::filesystem::path callLog() const { return dir / "calls.jsonl"; }
  /// Snapshots for undo (one per step).
  std::filesystem::path history() const { return dir / "history"; }

  bool operator==(const StatePaths &) const = default;
};

} // namespace recurrent::engine
