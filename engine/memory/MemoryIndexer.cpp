#include "engine/memory/MemoryIndexer.h"

#include "engine/memory/VectorIndex.h"

#include <chrono>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

namespace recurrent::engine {
namespace {

/// The paragraph's first words on one line: orientation in the memory file and a search snippet.
std::string openingOf(std::string_view text) {
  constexpr std::size_t kMaxBytes = 120;
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (out.size() >= kMaxBytes && (space || (static_cast<unsigned char>(c) & 0xC0) != 0x80)) {
      // Cut at the last space when there is one (Latin scripts), else at a character boundary (CJK).
      if (!space)
        if (auto sp = out.rfind(' '); sp != std::string::npos && sp > kMaxBytes / 2)
          out.resize(sp);
      return out + "…";
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string chapterTitle(const Manuscript &m, const Paragraph &p) {
  if (p.chapter < 0 || static_cast<std::size_t>(p.chapter) >= m.chapters().size())
    return {};
  return m.chapters()[static_cast<std::size_t>(p.chapter)].title;
}

} // namespace

Result<IndexReport> MemoryIndexer::update(const Manuscript &manuscript, const CancelToken &cancel,
                                          const ProgressFn &progress) {
  std::lock_guard serial(updating_);
  const auto started = std::chrono::steady_clock::now();
  using Summary = LongTermMemory::Summary;
  const auto &paragraphs = manuscript.paragraphs();
  IndexReport report;
  report.paragraphs = paragraphs.size();

  // What is known: the memory's entries, then summaries remember()ed since.
  std::unordered_map<ParagraphHash, Summary> known;
  std::unordered_set<ParagraphHash> oldHashes;
  bool placementChanged = false;
  {
    std::shared_lock lock(memory_.mutex_);
    const auto &old = memory_.entries_;
    placementChanged = old.size() != paragraphs.size() || !memory_.pending_.empty();
    for (std::size_t i = 0; i < old.size(); ++i) {
      known.emplace(old[i].hash, Summary{old[i].summary, old[i].summarizer, old[i].edited});
      oldHashes.insert(old[i].hash);
      if (!placementChanged) {
        const Paragraph &p = paragraphs[i];
        placementChanged = old[i].hash != p.hash || old[i].paragraph != i || old[i].words != p.words ||
                           old[i].chapter != chapterTitle(manuscript, p);
      }
    }
    for (const auto &[hash, s] : memory_.pending_)
      known.emplace(hash, s); // a writer's edit of the same text wins over the recurrence's summary
  }

  // Distinct texts with no summary, in manuscript order.
  std::vector<std::size_t> missing; // indices into paragraphs
  std::unordered_set<ParagraphHash> current;
  for (std::size_t i = 0; i < paragraphs.size(); ++i) {
    bool fresh = current.insert(paragraphs[i].hash).second;
    if (known.count(paragraphs[i].hash))
      ++report.reused;
    else if (fresh)
      missing.push_back(i);
  }
  for (auto h : oldHashes)
    report.removed += current.count(h) == 0;

  std::vector<std::string> openings; // computed once, only when entries are rebuilt
  auto commit = [&](bool save) -> Status {
    if (openings.empty() && !paragraphs.empty()) {
      openings.reserve(paragraphs.size());
      for (const auto &p : paragraphs)
        openings.push_back(openingOf(manuscript.paragraphText(p)));
    }
    std::vector<MemoryEntry> entries;
    entries.reserve(paragraphs.size());
    for (std::size_t i = 0; i < paragraphs.size(); ++i) {
      const Paragraph &p = paragraphs[i];
      auto it = known.find(p.hash);
      if (it == known.end())
        continue;
      entries.push_back({p.hash, i, chapterTitle(manuscript, p), p.words, it->second.text, it->second.summarizer,
                         it->second.edited, openings[i]});
    }
    std::unique_lock lock(memory_.mutex_);
    memory_.entries_ = std::move(entries);
    memory_.rebuildLookups();
    for (auto it = memory_.pending_.begin(); it != memory_.pending_.end();)
      it = memory_.byHash_.count(it->first) ? memory_.pending_.erase(it) : std::next(it);
    return save ? memory_.saveLocked() : okStatus();
  };
  // Saving rewrites the whole file: after every batch of a fast summarizer that is
  // quadratic in the book. Save at most once a second (and at the end), so a crash
  // loses at most a second of summaries and a cancelled run loses none.
  auto lastSave = std::chrono::steady_clock::now();
  bool unsaved = false;

  // Summarise in batches; save after each so an interrupted run loses at most one batch.
  const std::size_t batchSize = static_cast<std::size_t>(std::max(1, summarizer_.preferredBatchSize()));
  std::optional<Error> failure;
  for (std::size_t b = 0; b < missing.size() && !failure; b += batchSize) {
    if (cancel.cancelled()) {
      failure = Error::cancelled();
      break;
    }
    std::size_t end = std::min(missing.size(), b + batchSize);
    std::vector<SummaryRequest> batch;
    batch.reserve(end - b);
    for (std::size_t i = b; i < end; ++i) {
      const Paragraph &p = paragraphs[missing[i]];
      batch.push_back({std::string(manuscript.paragraphText(p)), chapterTitle(manuscript, p)});
    }
    auto summaries = summarizer_.summarize(batch, options_.language, cancel);
    if (!summaries) {
      failure = summaries.error();
      break;
    }
    if (summaries->size() != batch.size()) {
      failure = Error{ErrorKind::BadAnswer, "the summarizer returned " + std::to_string(summaries->size()) +
                                                " summaries for " + std::to_string(batch.size()) + " paragraphs"};
      break;
    }
    for (std::size_t i = b; i < end; ++i)
      known[paragraphs[missing[i]].hash] = Summary{std::move((*summaries)[i - b]), summarizer_.id(), false};
    report.summarisedNow += end - b;
    bool save = std::chrono::steady_clock::now() - lastSave >= std::chrono::seconds(1);
    if (auto s = commit(save); !s)
      return s.error();
    if (save)
      lastSave = std::chrono::steady_clock::now();
    unsaved = !save;
    placementChanged = false;
    if (progress)
      progress({"summarising", end, missing.size()});
  }
  if (placementChanged || unsaved)
    if (auto s = commit(true); !s)
      return s.error();
  if (failure)
    return *failure;

  // Vectors: drop the ones whose text left, (re)compute the missing and stale ones.
  std::shared_ptr<VectorIndex> index = memory_.currentIndex();
  bool indexChanged = false;
  if (index)
    for (auto id : index->ids())
      if (!current.count(id))
        indexChanged |= index->remove(id);
  struct Stale {
    ParagraphHash hash;
    std::size_t paragraph;
    std::uint64_t version;
  };
  std::vector<Stale> stale;
  {
    std::unordered_set<ParagraphHash> seen;
    std::shared_lock lock(memory_.mutex_);
    for (const auto &e : memory_.entries_) {
      if (!seen.insert(e.hash).second)
        continue;
      auto version = memoryEmbeddingVersion(e.hash, e.summary);
      if (!index || index->version(e.hash) != version)
        stale.push_back({e.hash, e.paragraph, version});
    }
  }
  Embedder &embedder = memory_.embedder();
  for (std::size_t b = 0; b < stale.size() && !failure; b += options_.embedBatch) {
    if (cancel.cancelled()) {
      failure = Error::cancelled();
      break;
    }
    std::size_t end = std::min(stale.size(), b + std::max<std::size_t>(1, options_.embedBatch));
    std::vector<std::string> texts;
    std::vector<std::uint64_t> ids, versions;
    {
      std::shared_lock lock(memory_.mutex_);
      for (std::size_t i = b; i < end; ++i) {
        auto it = memory_.byHash_.find(stale[i].hash);
        const std::string &summary = it == memory_.byHash_.end() ? std::string() : memory_.entries_[it->second.front()].summary;
        texts.push_back(memoryEmbeddingText(manuscript.paragraphText(paragraphs[stale[i].paragraph]), summary));
        ids.push_back(stale[i].hash);
        versions.push_back(memoryEmbeddingVersion(stale[i].hash, summary));
      }
    }
    auto vectors = embedder.embed(texts, cancel);
    if (!vectors) {
      failure = vectors.error();
      break;
    }
    if (vectors->empty() || vectors->size() != ids.size()) {
      failure = Error{ErrorKind::BadAnswer, "the embedder returned " + std::to_string(vectors->size()) +
                                                " vectors for " + std::to_string(ids.size()) + " texts"};
      break;
    }
    // First vectors of a remote embedder, or a dimension that changed under the same
    // model name: start a fresh index. Entries embedded before this batch are then
    // missing from it; the next update() finds them stale and embeds them.
    int dimension = static_cast<int>(vectors->front().size());
    if (!index || index->options().dimension != dimension) {
      index = std::make_shared<VectorIndex>(memory_.indexOptions(dimension));
      std::unique_lock lock(memory_.mutex_);
      memory_.index_ = index;
    }
    if (auto s = index->add(ids, *vectors, versions); !s) {
      failure = s.error();
      break;
    }
    indexChanged = true;
    report.embedded += end - b;
    if (progress)
      progress({"embedding", end, stale.size()});
  }
  if (indexChanged && index)
    if (auto s = index->save(memory_.paths_.vectorIndex(), memory_.paths_.vectorIndexMeta()); !s)
      return s.error();
  if (failure)
    return *failure;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

} // namespace recurrent::engine
