// Brings a manuscript's long-term memory up to date: summarise what is new, forget what is gone, re-embed.
//
// update() diffs the manuscript's paragraphs (by text hash) with the memory:
// the entries up to the first paragraph that differs are kept untouched, and only
// the tail from there is rebuilt (a step that appends a paragraph costs one entry,
// one appended line in the memory file and one vector). In that tail, paragraphs
// already summarised are reused (no summary call, wherever they moved), missing
// ones are summarised in batches of Summarizer::preferredBatchSize() and the
// memory file is saved after a batch when a second has passed since the last
// save, and at the end (an interrupted or cancelled run resumes where it
// stopped), deleted ones leave the memory and the vector index. Then vectors that
// are missing or stale (new paragraph, edited summary, another embedder) are
// computed in batches: the first update after opening checks every vector, later
// ones only the rebuilt tail and the summaries edited since. When nothing
// changed, update() reads nothing from disk and writes nothing.
//
// Thread-safety: update() may be called from any thread (e.g. an LSP worker);
// concurrent calls on one indexer are serialised. LongTermMemory::search() may
// run on other threads meanwhile. The summarizer and embedder are called from
// the thread running update().
#pragma once

#include "engine/manuscript/Manuscript.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/Summarizer.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace recurrent::engine {

struct IndexReport {
  std::size_t paragraphs = 0;    ///< in the manuscript
  std::size_t summarisedNow = 0; ///< distinct paragraph texts sent to the summarizer
  std::size_t reused = 0;        ///< paragraphs whose summary was already known
  std::size_t removed = 0;       ///< distinct paragraph texts that left the memory
  std::size_t embedded = 0;      ///< vectors computed
  double seconds = 0;
};

struct IndexProgress {
  std::string_view stage;        ///< "summarising" or "embedding"
  std::size_t done = 0;
  std::size_t total = 0;
};

class MemoryIndexer {
public:
  struct Options {
    std::string language;        ///< the story's: for the summarizer and the word index's stemming ("" = the text's own)
    std::size_t embedBatch = 1024; ///< texts per embed() call (and per graph insertion)
  };
  using ProgressFn = std::function<void(const IndexProgress &)>;

  MemoryIndexer(LongTermMemory &memory, Summarizer &summarizer) : MemoryIndexer(memory, summarizer, Options{}) {}
  MemoryIndexer(LongTermMemory &memory, Summarizer &summarizer, Options options)
      : memory_(memory), summarizer_(summarizer), options_(std::move(options)) {}

  /// Brings the memory in line with `manuscript`. On cancellation (Cancelled) or a
  /// summarizer/embedder error, the work done so far is saved and the error returned.
  Result<IndexReport> update(const Manuscript &manuscript, const CancelToken &cancel = {},
                             const ProgressFn &progress = {});

private:
  /// Brings the word index in line with the manuscript: texts from position `from` on (and
  /// around the positions in `editedAt`) are recorded again when they changed, and the
  /// documents whose neighbourhood changed are placed again.
  void updateWords(const Manuscript &manuscript, std::size_t from, const std::vector<std::size_t> &editedAt);

  LongTermMemory &memory_;
  Summarizer &summarizer_;
  Options options_;
  std::mutex updating_;
};

} // namespace recurrent::engine
