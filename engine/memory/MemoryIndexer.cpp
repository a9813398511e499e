#include "engine/memory/MemoryIndexer.h"

#include "engine/memory/VectorIndex.h"
#include "engine/story/Language.h"

#include <algorithm>

#include <chrono>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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

const std::string &chapterTitle(const Manuscript &m, const Paragraph &p) {
  static const std::string kNone;
  if (p.chapter < 0 || static_cast<std::size_t>(p.chapter) >= m.chapters().size())
    return kNone;
  return m.chapters()[static_cast<std::size_t>(p.chapter)].title;
}

} // namespace

void MemoryIndexer::updateWords(const Manuscript &manuscript, std::size_t from,
                                const std::vector<std::size_t> &editedAt) {
  LexicalIndex &words = memory_.lexical_;
  const auto &paragraphs = manuscript.paragraphs();
  const std::size_t n = paragraphs.size();
  std::string language = options_.language;
  if (language.empty() && words.size() == 0) // the story's language is not known here: the text's own
    language = detectLanguage(manuscript.text().substr(0, 64 * 1024));
  if ((!language.empty() && words.setLanguage(language)) || words.size() == 0)
    from = 0;
  // A paragraph's document holds its ±2 neighbours' words: the documents to check are the
  // rebuilt tail and the two before it, and those around an edited summary.
  constexpr std::size_t kReach = 2;
  std::vector<std::size_t> check;
  for (std::size_t i = from >= kReach ? from - kReach : 0; i < n; ++i)
    check.push_back(i);
  for (std::size_t at : editedAt)
    for (std::size_t i = at >= kReach ? at - kReach : 0; i <= at + kReach && i < n; ++i)
      check.push_back(i);
  std::sort(check.begin(), check.end());
  check.erase(std::unique(check.begin(), check.end()), check.end());

  // The summary each paragraph's text is indexed with (none for a paragraph not summarised yet),
  // and whether it is the first paragraph with that text (duplicates share one document).
  auto summaryAt = [&](std::size_t i, bool &first) {
    std::shared_lock lock(memory_.mutex_);
    first = true;
    auto it = memory_.byHash_.find(paragraphs[i].hash);
    if (it == memory_.byHash_.end())
      return std::string();
    const MemoryEntry &e = memory_.entries_[it->second.front()];
    first = e.paragraph == i || e.paragraph > i;
    return e.summary;
  };
  std::size_t textsDone = 0; // positions below this had their text checked
  auto ensureText = [&](std::size_t i) {
    bool first = true;
    std::string summary = summaryAt(i, first);
    auto text = manuscript.paragraphText(paragraphs[i]);
    if (!words.hasText(paragraphs[i].hash, text, summary))
      words.setText(paragraphs[i].hash, text, summary);
    return first;
  };
  std::vector<bool> firstOf(n, false);
  for (std::size_t i : check) {
    for (std::size_t j = std::max(textsDone, i >= kReach ? i - kReach : 0); j <= i + kReach && j < n; ++j)
      firstOf[j] = ensureText(j);
    textsDone = std::max(textsDone, std::min(n, i + kReach + 1));
    if (!firstOf[i])
      continue;
    LexicalIndex::Neighbours around{};
    auto at = [&](std::ptrdiff_t offset) -> std::uint64_t {
      std::ptrdiff_t j = static_cast<std::ptrdiff_t>(i) + offset;
      if (j < 0 || j >= static_cast<std::ptrdiff_t>(n) || paragraphs[static_cast<std::size_t>(j)].chapter != paragraphs[i].chapter)
        return 0;
      return paragraphs[static_cast<std::size_t>(j)].hash;
    };
    around = {at(-1), at(1), at(-1) ? at(-2) : 0, at(1) ? at(2) : 0};
    if (!words.placedWith(paragraphs[i].hash, around))
      words.place(paragraphs[i].hash, around);
  }
}

Result<IndexReport> MemoryIndexer::update(const Manuscript &manuscript, const CancelToken &cancel,
                                          const ProgressFn &progress) {
  std::lock_guard serial(updating_);
  const auto started = std::chrono::steady_clock::now();
  using Summary = LongTermMemory::Summary;
  const auto &paragraphs = manuscript.paragraphs();
  IndexReport report;
  report.paragraphs = paragraphs.size();

  // The entries before `lo` still describe paragraphs 0..lo-1 exactly; only the tail
  // from `lo` on is rebuilt (a step that appends a paragraph touches one entry).
  std::size_t lo = 0;
  std::vector<MemoryEntry> oldTail;                    // entries_[lo..] as the file holds them
  std::unordered_map<ParagraphHash, Summary> known;   // summaries for the tail's texts
  std::unordered_set<ParagraphHash> tailHashes;       // distinct texts of the new tail
  std::vector<ParagraphHash> removedHashes;           // texts that leave the memory
  std::vector<std::size_t> missing;                   // indices into paragraphs: texts with no summary
  bool verifyAll = false;
  const std::uint64_t digest = manuscriptDigest(manuscript, options_.language);
  std::uint64_t verifiedFor = 0;
  {
    std::unique_lock lock(memory_.mutex_);
    memory_.consistentWith_ = 0; // until this update succeeds
    // memory.verified describes the files as opened: it may spare the first update only.
    verifiedFor = std::exchange(memory_.verifiedFor_, 0);
  }
  {
    std::shared_lock lock(memory_.mutex_);
    const auto &old = memory_.entries_;
    while (lo < paragraphs.size() && lo < old.size() && old[lo].paragraph == lo && old[lo].hash == paragraphs[lo].hash &&
           old[lo].words == paragraphs[lo].words && old[lo].chapter == chapterTitle(manuscript, paragraphs[lo]))
      ++lo;
    oldTail.assign(old.begin() + static_cast<std::ptrdiff_t>(lo), old.end());
    auto summaryOf = [&](ParagraphHash h) -> std::optional<Summary> {
      if (auto it = memory_.byHash_.find(h); it != memory_.byHash_.end()) {
        const MemoryEntry &e = old[it->second.front()];
        return Summary{e.summary, e.summarizer, e.edited};
      }
      if (auto it = memory_.pending_.find(h); it != memory_.pending_.end())
        return it->second;
      return std::nullopt;
    };
    report.reused = lo;
    for (std::size_t i = lo; i < paragraphs.size(); ++i) {
      ParagraphHash h = paragraphs[i].hash;
      bool fresh = tailHashes.insert(h).second;
      if (fresh)
        if (auto s = summaryOf(h))
          known.emplace(h, std::move(*s));
      if (known.count(h))
        ++report.reused;
      else if (fresh)
        missing.push_back(i);
    }
    // A text of the old tail leaves when neither the kept prefix nor the new tail holds it.
    std::unordered_set<ParagraphHash> seen;
    for (const auto &e : oldTail) {
      if (!seen.insert(e.hash).second || tailHashes.count(e.hash))
        continue;
      const auto &indices = memory_.byHash_.at(e.hash);
      if (indices.front() >= lo)
        removedHashes.push_back(e.hash);
    }
    report.removed = removedHashes.size();
    // The first update after opening checks every entry's vector and word document, unless
    // memory.verified says the files just loaded were checked against this very manuscript and
    // memory (and nothing differs from them: no tail to rebuild, no summary pending or edited).
    const bool knownClean = verifiedFor == digest && lo == paragraphs.size() && lo == old.size() &&
                            missing.empty() && memory_.staleVectors_.empty() && memory_.wordsMatchEntries_;
    verifyAll = !memory_.vectorsVerified_ && !knownClean;
  }
  bool tailChanged = !oldTail.empty() || lo < paragraphs.size();

  std::vector<std::string> openings; // of the tail, computed once
  std::vector<MemoryEntry> onDisk = oldTail;
  auto entryAt = [&](std::size_t i, const Summary &summary) {
    const Paragraph &p = paragraphs[i];
    return MemoryEntry{p.hash, i, chapterTitle(manuscript, p), p.words, summary.text, summary.summarizer,
                       summary.edited, openings[i - lo]};
  };
  // The first commit rebuilds the tail from `known`; after it, entries_[lo..] holds what the
  // last commit put there, and a commit only inserts the entries at `added` (ascending
  // positions whose summary is new): rebuilding the whole tail after every batch made a
  // novel's first index quadratic in its length.
  bool tailInPlace = false;
  std::size_t committedSize = 0; // entries_.size() after the last commit: another size means another writer
  auto commit = [&](bool save, const std::vector<std::size_t> &added) -> Status {
    if (openings.empty())
      for (std::size_t i = lo; i < paragraphs.size(); ++i)
        openings.push_back(openingOf(manuscript.paragraphText(paragraphs[i])));
    if (tailInPlace) {
      std::shared_lock lock(memory_.mutex_);
      tailInPlace = memory_.entries_.size() == committedSize;
    }
    std::vector<MemoryEntry> tail;
    if (!tailInPlace) {
      tail.reserve(paragraphs.size() - lo);
      for (std::size_t i = lo; i < paragraphs.size(); ++i)
        if (auto it = known.find(paragraphs[i].hash); it != known.end())
          tail.push_back(entryAt(i, it->second));
    } else {
      tail.reserve(added.size());
      for (std::size_t i : added)
        tail.push_back(entryAt(i, known.at(paragraphs[i].hash)));
    }
    std::unique_lock lock(memory_.mutex_);
    auto &entries = memory_.entries_;
    auto &byHash = memory_.byHash_;
    memory_.wordsMatchEntries_ = false; // until updateWords() below
    // Entries from `from` on change place (or are new): their positions in byHash go, and come back below.
    std::size_t from = lo;
    if (tailInPlace)
      from = tail.empty() ? entries.size()
                          : static_cast<std::size_t>(
                                std::lower_bound(entries.begin() + static_cast<std::ptrdiff_t>(lo), entries.end(),
                                                 tail.front().paragraph,
                                                 [](const MemoryEntry &e, std::size_t p) { return e.paragraph < p; }) -
                                entries.begin());
    for (std::size_t i = from; i < entries.size(); ++i) {
      auto it = byHash.find(entries[i].hash);
      if (it == byHash.end()) // a duplicate text, already cleared
        continue;
      auto &indices = it->second;
      while (!indices.empty() && indices.back() >= from)
        indices.pop_back();
      if (indices.empty())
        byHash.erase(it);
    }
    if (tailInPlace) { // merge the new entries into the moved ones, by position
      std::vector<MemoryEntry> merged;
      merged.reserve(entries.size() - from + tail.size());
      auto old = entries.begin() + static_cast<std::ptrdiff_t>(from);
      for (auto &e : tail) {
        for (; old != entries.end() && old->paragraph < e.paragraph; ++old)
          merged.push_back(std::move(*old));
        merged.push_back(std::move(e));
      }
      merged.insert(merged.end(), std::make_move_iterator(old), std::make_move_iterator(entries.end()));
      tail = std::move(merged);
    }
    entries.resize(from);
    for (auto &e : tail) {
      byHash[e.hash].push_back(entries.size());
      entries.push_back(std::move(e));
    }
    tailInPlace = true;
    committedSize = entries.size();
    for (auto it = memory_.pending_.begin(); it != memory_.pending_.end();)
      it = byHash.count(it->first) ? memory_.pending_.erase(it) : std::next(it);
    if (!save)
      return okStatus();
    if (auto s = memory_.appendChangesLocked(lo, onDisk); !s)
      return s;
    onDisk.assign(entries.begin() + static_cast<std::ptrdiff_t>(lo), entries.end());
    return okStatus();
  };
  // A fast summarizer finishes many batches a second: save at most once a second
  // (and at the end), so a crash loses at most a second of summaries and a cancelled run loses none.
  auto lastSave = std::chrono::steady_clock::now();
  bool unsaved = false;

  const std::size_t batchSize = static_cast<std::size_t>(std::max(1, summarizer_.preferredBatchSize()));
  // Where each missing text occurs in the tail (a repeated text too), ordered by the text's place
  // in `missing`: the positions a batch's summaries add are a contiguous run of it.
  std::vector<std::pair<std::size_t, std::size_t>> occurrences; // (index into missing, position)
  if (!missing.empty()) {
    std::unordered_map<ParagraphHash, std::size_t> rank;
    rank.reserve(missing.size());
    for (std::size_t k = 0; k < missing.size(); ++k)
      rank.emplace(paragraphs[missing[k]].hash, k);
    for (std::size_t i = lo; i < paragraphs.size(); ++i)
      if (auto it = rank.find(paragraphs[i].hash); it != rank.end())
        occurrences.emplace_back(it->second, i);
    std::sort(occurrences.begin(), occurrences.end());
  }
  auto nextOccurrence = occurrences.begin();
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
    std::vector<std::size_t> added;
    for (; nextOccurrence != occurrences.end() && nextOccurrence->first < end; ++nextOccurrence)
      added.push_back(nextOccurrence->second);
    std::sort(added.begin(), added.end());
    bool save = std::chrono::steady_clock::now() - lastSave >= std::chrono::seconds(1);
    if (auto s = commit(save, added); !s)
      return s.error();
    if (save)
      lastSave = std::chrono::steady_clock::now();
    unsaved = !save;
    tailChanged = false;
    if (progress)
      progress({"summarising", end, missing.size()});
  }
  if (tailChanged || unsaved) {
    if (auto s = commit(true, {}); !s)
      return s.error();
  } else {
    std::unique_lock lock(memory_.mutex_);
    for (auto it = memory_.pending_.begin(); it != memory_.pending_.end();)
      it = memory_.byHash_.count(it->first) ? memory_.pending_.erase(it) : std::next(it);
  }
  if (failure)
    return *failure;

  // Vectors: drop the ones whose text left, (re)compute the missing and stale ones.
  // After opening (or a failure) every vector is checked once; from then on only
  // the rebuilt tail and the summaries edited since.
  std::shared_ptr<VectorIndex> index = memory_.currentIndex();
  std::size_t changes = 0;
  LexicalIndex &words = memory_.lexical_;
  if (verifyAll) {
    std::unordered_set<ParagraphHash> current;
    current.reserve(paragraphs.size());
    for (const auto &p : paragraphs)
      current.insert(p.hash);
    if (index)
      for (auto id : index->ids())
        if (!current.count(id))
          changes += index->remove(id);
    for (auto id : words.ids())
      if (!current.count(id))
        words.remove(id);
  } else {
    for (auto h : removedHashes) {
      if (index)
        changes += index->remove(h);
      words.remove(h);
    }
  }
  struct Stale {
    ParagraphHash hash;
    std::size_t paragraph;
  };
  std::vector<Stale> stale;
  std::vector<std::size_t> editedAt; // positions of summaries edited since the last update
  {
    std::unique_lock lock(memory_.mutex_);
    auto check = [&](const MemoryEntry &e) {
      if (!index || index->version(e.hash) != memoryEmbeddingVersion(e.hash, e.summary))
        stale.push_back({e.hash, e.paragraph});
    };
    for (auto h : memory_.staleVectors_)
      if (auto it = memory_.byHash_.find(h); it != memory_.byHash_.end())
        for (std::size_t idx : it->second)
          editedAt.push_back(memory_.entries_[idx].paragraph);
    std::unordered_set<ParagraphHash> seen;
    if (verifyAll) {
      for (const auto &e : memory_.entries_)
        if (seen.insert(e.hash).second)
          check(e);
    } else {
      for (std::size_t i = lo; i < memory_.entries_.size(); ++i)
        if (seen.insert(memory_.entries_[i].hash).second)
          check(memory_.entries_[i]);
      for (auto h : memory_.staleVectors_)
        if (auto it = memory_.byHash_.find(h); it != memory_.byHash_.end() && seen.insert(h).second)
          check(memory_.entries_[it->second.front()]);
    }
    memory_.staleVectors_.clear();
    memory_.vectorsVerified_ = true;
  }
  // The word index needs no model: it is brought up to date first, whatever the embedder does.
  updateWords(manuscript, verifyAll ? 0 : lo, editedAt);
  {
    std::unique_lock lock(memory_.mutex_);
    memory_.wordsMatchEntries_ = true;
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
    // model name: start a fresh index. Entries whose vectors were in the old one are
    // then missing from it; the next update() checks every vector and embeds them.
    int dimension = static_cast<int>(vectors->front().size());
    if (!index || index->options().dimension != dimension) {
      index = std::make_shared<VectorIndex>(memory_.indexOptions(dimension));
      std::unique_lock lock(memory_.mutex_);
      memory_.index_ = index;
      memory_.indexOnDisk_ = false;
      memory_.vectorsVerified_ = false;
    }
    if (auto s = index->add(ids, *vectors, versions); !s) {
      failure = s.error();
      break;
    }
    changes += end - b;
    report.embedded += end - b;
    if (progress)
      progress({"embedding", end, stale.size()});
  }
  {
    std::unique_lock lock(memory_.mutex_);
    memory_.unsavedVectors_ += changes;
    if (failure) // what was not embedded is found by the next full check
      memory_.vectorsVerified_ = false;
  }
  (void)memory_.saveWordsIfDue(false); // a cache: a failed write costs a rebuild at the next open, nothing else
  if (auto s = memory_.saveIndexIfDue(failure.has_value()); !s)
    return s.error();
  if (failure)
    return *failure;
  {
    std::unique_lock lock(memory_.mutex_);
    memory_.consistentWith_ = digest;
  }
  memory_.stampIfVerified(); // when both caches were saved just now (as after a first index); else flush() does
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

} // namespace recurrent::engine
