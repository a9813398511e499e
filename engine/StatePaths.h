// Where a manuscript's story state lives on disk.
//
// Beside the manuscript DIR/NAME.md lives DIR/.recurrent/NAME.md/ (DESIGN.md section 3).
// Every component that reads or writes state asks this struct for its file, so the
// layout is decided in one place. Pure value type; thread-safe.
#pragma once

#include <filesystem>

namespace recurrent::engine {

struct StatePaths {
  std::filesystem::path manuscript;  ///< DIR/NAME.md
  std::filesystem::path dir;         ///< DIR/.recurrent/NAME.md/

  static StatePaths forManuscript(const std::filesystem::path &manuscript) {
    auto abs = std::filesystem::absolute(manuscript).lexically_normal();
    return {abs, abs.parent_path() / ".recurrent" / abs.filename()};
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
  /// Every LLM call: prompt and answer, never the key (JSON Lines, appended).
  std::filesystem::path callLog() const { return dir / "calls.jsonl"; }
  /// Snapshots for undo (one per step).
  std::filesystem::path history() const { return dir / "history"; }
};

} // namespace recurrent::engine
