#include "engine/continuity/ModelCheck.h"

#include "engine/bible/BookBible.h"
#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/book/Book.h"
#include "engine/continuity/CheckPrompt.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/story/TokenBudget.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace recurrent::engine::continuity {

namespace {

constexpr std::size_t kSaveEveryCalls = 16; ///< a long check saves its cache this often (and at its end)
constexpr std::size_t kQuerySnippet = 300;  ///< bytes of the mentioning paragraph added to a memory query
constexpr int kBatchEvidenceFloor = 300;    ///< evidence tokens a small batch still gets

struct Hash {
  std::uint64_t v = 1469598103934665603ull; // FNV-1a 64
  Hash &add(std::string_view s) {
    for (unsigned char c : s) {
      v ^= c;
      v *= 1099511628211ull;
    }
    v ^= 0xff; // a separator: ("ab","c") and ("a","bc") differ
    v *= 1099511628211ull;
    return *this;
  }
  Hash &add(std::uint64_t n) { return add(std::to_string(n)); }
};

/// One paragraph to check, with what its cache key needs.
struct Prepared {
  std::size_t index = 0;           ///< book paragraph
  ParagraphPlace place;
  std::string_view text;
  std::vector<std::pair<std::size_t, std::size_t>> entries; ///< (entry, mentions), first mentioned first
  std::size_t factsBefore = 0;     ///< facts of the book ending before it (a batch shares this)
  CheckKey key;
};

/// The parts of a book a check reads once: mentions, facts (the caller's BookBible, else computed), the bible's
/// version.
struct Scan {
  const CheckBook &book;
  std::shared_ptr<const Bible> biblePtr;
  const Bible &bible;
  std::optional<MentionIndex> ownMentions;
  std::optional<BookFacts> ownFacts;
  const MentionIndex *mentions;
  const BookFacts *facts;
  std::uint64_t bibleHash;

  explicit Scan(const CheckBook &b)
      : book(b), biblePtr(b.names  ? b.names->biblePtr()
                          : b.bible ? b.bible
                                    : std::make_shared<const Bible>()),
        bible(*biblePtr) {
    if (b.names) {
      mentions = &b.names->mentions();
      facts = &b.names->facts();
    } else {
      ownMentions.emplace(bible);
      ownFacts.emplace(BookFacts::collect(bible, *b.snapshot));
      mentions = &*ownMentions;
      facts = &*ownFacts;
    }
    bibleHash = bibleVersion(bible);
  }
};

std::string renderEntry(const Bible &bible, const EntryState &state) {
  const BibleEntry &e = bible.entries.at(state.entry);
  std::string out = e.name + " (" + bibleEntryTypeName(e.type) + ")";
  if (!e.aliases.empty()) {
    out += ", also";
    for (std::size_t i = 0; i < e.aliases.size(); ++i)
      out += (i ? ", " : " ") + e.aliases[i];
  }
  if (!state.description.empty())
    out += ": " + state.description;
  for (const auto &d : state.details)
    out += "\n- " + d.key + ": " + d.value;
  for (const auto &f : state.facts)
    out += "\n- " + f.text;
  return out;
}

std::string paragraphLabel(const BookSnapshot &snapshot, const ParagraphPlace &place) {
  return snapshot.chapters().at(place.chapter).file.relative + ":" + std::to_string(place.firstLine + 1);
}

std::vector<Prepared> prepare(const Scan &scan, std::vector<std::size_t> paragraphs) {
  const BookSnapshot &snap = *scan.book.snapshot;
  std::sort(paragraphs.begin(), paragraphs.end());
  paragraphs.erase(std::unique(paragraphs.begin(), paragraphs.end()), paragraphs.end());
  std::vector<Prepared> out;
  for (std::size_t index : paragraphs) {
    auto place = snap.place(index);
    if (!place)
      continue;
    Prepared p;
    p.index = index;
    p.place = *place;
    p.text = snap.chapterText(place->chapter).substr(place->begin, place->end - place->begin);
    for (const auto &m : scan.mentions->scan(p.text, place->chapter)) {
      if (m.excluded || scan.bible.entries.at(m.entry).include == BibleInclude::Never)
        continue;
      auto it = std::find_if(p.entries.begin(), p.entries.end(), [&](const auto &e) { return e.first == m.entry; });
      if (it == p.entries.end())
        p.entries.push_back({m.entry, 1});
      else
        ++it->second;
    }
    for (std::size_t c = 0; c < place->chapter; ++c)
      p.factsBefore += scan.facts->chapter(c).size();
    for (const auto &f : scan.facts->chapter(place->chapter))
      if (f.end <= place->begin)
        ++p.factsBefore;
    // The evidence the paragraph brings: its entries as they stand at its place (facts included).
    Hash evidence;
    evidence.add(static_cast<std::uint64_t>(kCheckPromptVersion));
    auto sorted = p.entries;
    std::sort(sorted.begin(), sorted.end());
    for (const auto &[entry, count] : sorted)
      evidence.add(renderEntry(scan.bible, scan.facts->at(scan.bible, entry, place->chapter, place->begin)));
    p.key = {hashParagraphText(p.text), scan.bibleHash, evidence.v};
    out.push_back(std::move(p));
  }
  return out;
}

/// Paragraphs in book order on one side of every fact comment, up to the batch size.
std::vector<std::vector<const Prepared *>> batches(const std::vector<const Prepared *> &pending, int batchTokens) {
  std::vector<std::vector<const Prepared *>> out;
  int tokens = 0;
  for (const Prepared *p : pending) {
    int t = estimateTokens(p->text);
    bool fresh = out.empty() || out.back().back()->factsBefore != p->factsBefore || tokens + t > batchTokens;
    if (fresh) {
      out.emplace_back();
      tokens = 0;
    }
    out.back().push_back(p);
    tokens += t;
  }
  return out;
}

int passageTokens(const std::vector<const Prepared *> &batch) {
  int t = 0;
  for (const Prepared *p : batch)
    t += estimateTokens(p->text) + 3;
  return t;
}

int evidenceBudget(const ModelCheckOptions &o, const std::vector<const Prepared *> &batch) {
  int passage = passageTokens(batch);
  int want = static_cast<int>(o.evidenceRatio * passage);
  want = batch.size() == 1 ? std::max(want, o.paragraphEvidenceTokens) : std::max(want, kBatchEvidenceFloor);
  int room = o.contextTokens - o.answerTokens - passage - checkRequestOverheadTokens();
  return std::max(0, std::min(want, room));
}

/// What an evidence label points at.
struct EvidenceSource {
  FindingSource::Kind kind = FindingSource::Kind::Paragraph;
  std::filesystem::path file;
  std::uint32_t line = 0;
  std::optional<EntryState> state;  ///< for a bible entry
  bool bible = false;
};

struct Evidence {
  std::vector<CheckEvidenceItem> items;
  std::map<std::string, EvidenceSource, std::less<>> sources;
};

Evidence gatherEvidence(const Scan &scan, const ModelCheckOptions &o, const std::vector<const Prepared *> &batch,
                        const CancelToken &cancel) {
  const BookSnapshot &snap = *scan.book.snapshot;
  const Prepared &first = *batch.front();
  int budget = evidenceBudget(o, batch);
  Evidence ev;
  auto offer = [&](CheckEvidenceItem item, EvidenceSource source) {
    int cost = evidenceTokens(item);
    // A paragraph's full text shares its summary's label; any other repeated label is offered once.
    bool repeated = item.kind != CheckEvidenceItem::Kind::SourceParagraph && ev.sources.count(item.label) > 0;
    if (cost > budget || repeated)
      return false;
    budget -= cost;
    ev.sources.emplace(item.label, std::move(source));
    ev.items.push_back(std::move(item));
    return true;
  };

  // The bible entries mentioned, most mentioned first, as they stand at the batch (one side of every fact).
  std::vector<std::pair<std::size_t, std::size_t>> entries;
  std::map<std::size_t, const Prepared *> firstMention;
  for (const Prepared *p : batch)
    for (const auto &[entry, count] : p->entries) {
      const std::size_t wanted = entry; // clang 14 cannot capture a structured binding
      auto it = std::find_if(entries.begin(), entries.end(), [&](const auto &e) { return e.first == wanted; });
      if (it == entries.end()) {
        entries.push_back({entry, count});
        firstMention[entry] = p;
      } else {
        it->second += count;
      }
    }
  std::stable_sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
  for (const auto &[entry, count] : entries) {
    EntryState state = scan.facts->at(scan.bible, entry, first.place.chapter, first.place.begin);
    const BibleEntry &e = scan.bible.entries[entry];
    EvidenceSource src{FindingSource::Kind::BibleEntry, e.file, e.line, state, true};
    offer({CheckEvidenceItem::Kind::BibleEntry, e.name, renderEntry(scan.bible, state)}, std::move(src));
  }

  // The short-term memory describes the end of the story: only a passage there is read against it.
  std::size_t total = snap.manuscript().paragraphs().size();
  if (!scan.book.shortTermMemory.empty() && batch.back()->index + o.shortTermTail >= total)
    offer({CheckEvidenceItem::Kind::ShortTermMemory, "short-term memory", scan.book.shortTermMemory},
          {FindingSource::Kind::Paragraph, scan.book.shortTermMemoryFile, 0, std::nullopt, false});

  // Earlier paragraphs about the same entries: their summaries, one entry at a time, then their text.
  if (!scan.book.memory || entries.empty())
    return ev;
  std::set<std::size_t> inBatch;
  for (const Prepared *p : batch)
    inBatch.insert(p->index);
  std::vector<std::vector<MemoryHit>> perEntry;
  std::set<std::size_t> seen;
  for (std::size_t i = 0; i < entries.size() && i < o.entriesSearched; ++i) {
    if (cancel.cancelled())
      return ev;
    const Prepared *mentioning = firstMention[entries[i].first];
    std::string query = scan.bible.entries[entries[i].first].name + " " +
                        std::string(mentioning->text.substr(0, std::min(kQuerySnippet, mentioning->text.size())));
    auto hits = scan.book.memory->search(query, o.summariesPerEntry + 6, inBatch, cancel);
    std::vector<MemoryHit> kept;
    const auto &bookParagraphs = snap.manuscript().paragraphs();
    // A memory not refreshed since an edit may hold a summary of text that is no longer there: skipped.
    auto current = [&](const MemoryHit &h) {
      auto entry = scan.book.memory->entryAt(h.paragraph);
      return entry && h.paragraph < bookParagraphs.size() && entry->hash == bookParagraphs[h.paragraph].hash;
    };
    if (hits)
      for (auto &h : *hits)
        if (h.paragraph < first.index && kept.size() < o.summariesPerEntry && current(h) &&
            seen.insert(h.paragraph).second)
          kept.push_back(std::move(h));
    perEntry.push_back(std::move(kept));
  }
  std::vector<std::pair<std::size_t, std::string>> chosen; // paragraph, label
  for (std::size_t round = 0; round < o.summariesPerEntry; ++round)
    for (const auto &hits : perEntry) {
      if (round >= hits.size())
        continue;
      auto place = snap.place(hits[round].paragraph);
      if (!place || hits[round].summary.empty())
        continue;
      std::string label = paragraphLabel(snap, *place);
      EvidenceSource src{FindingSource::Kind::Paragraph, snap.chapters()[place->chapter].file.path, place->firstLine,
                         std::nullopt, false};
      if (offer({CheckEvidenceItem::Kind::MemorySummary, label, hits[round].summary}, std::move(src)))
        chosen.push_back({hits[round].paragraph, label});
    }
  for (const auto &[paragraph, label] : chosen) {
    auto place = snap.place(paragraph);
    std::string text(snap.chapterText(place->chapter).substr(place->begin, place->end - place->begin));
    offer({CheckEvidenceItem::Kind::SourceParagraph, label, std::move(text)}, ev.sources.at(label));
  }
  return ev;
}

std::string trimmed(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n[");
  auto e = s.find_last_not_of(" \t\r\n]");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool overlaps(std::string_view a, std::string_view b) {
  return !a.empty() && !b.empty() && (a.find(b) != std::string_view::npos || b.find(a) != std::string_view::npos);
}

/// Where a bible entry says what the source quote quotes: the fact comment, a detail's line, else its heading.
FindingSource bibleSource(const Scan &scan, const EvidenceSource &src, const std::string &quote) {
  const EntryState &state = *src.state;
  auto factSource = [&](const BookFact &f) {
    return FindingSource{FindingSource::Kind::Fact, scan.book.snapshot->chapters().at(f.chapter).file.path, f.line,
                         quote.empty() ? f.text : quote};
  };
  for (const auto &f : state.replaced)
    if (overlaps(f.text, quote))
      return factSource(f);
  for (const auto &f : state.facts)
    if (overlaps(f.text, quote))
      return factSource(f);
  for (const auto &d : state.details)
    if (overlaps(d.value, quote) || overlaps(d.key + ": " + d.value, quote))
      return {FindingSource::Kind::BibleEntry, src.file, d.line, quote};
  return {FindingSource::Kind::BibleEntry, src.file, src.line, quote.empty() ? state.description : quote};
}

/// The batch's answer as findings per paragraph (spans relative to each paragraph), dropping what cannot be kept.
std::vector<std::vector<CachedFinding>> keepIssues(const Scan &scan, const std::vector<const Prepared *> &batch,
                                                   const Evidence &ev, const std::vector<CheckIssue> &issues,
                                                   std::size_t &dropped) {
  const BookSnapshot &snap = *scan.book.snapshot;
  std::vector<std::vector<CachedFinding>> out(batch.size());
  auto labelOf = [](std::size_t i) { return "P" + std::to_string(i + 1); };
  for (const auto &issue : issues) {
    std::string code = subtypeCode(issue.subtype);
    std::string label = trimmed(issue.paragraph), sourceLabel = trimmed(issue.source);
    // The quote must be in the paragraph it names (or, that label unknown, in one paragraph of the passage).
    std::optional<std::size_t> at;
    std::size_t pos = std::string_view::npos;
    for (std::size_t i = 0; i < batch.size() && !issue.quote.empty(); ++i)
      if (labelOf(i) == label && (pos = batch[i]->text.find(issue.quote)) != std::string_view::npos)
        at = i;
    bool labelKnown = false;
    for (std::size_t i = 0; i < batch.size(); ++i)
      labelKnown = labelKnown || labelOf(i) == label;
    for (std::size_t i = 0; !at && !labelKnown && i < batch.size() && !issue.quote.empty(); ++i)
      if ((pos = batch[i]->text.find(issue.quote)) != std::string_view::npos)
        at = i;
    if (code.empty() || !at) {
      ++dropped;
      continue;
    }
    // The source must be an item of the evidence given, or an earlier paragraph of the passage.
    FindingSource source;
    std::string entry;
    bool fromBible = false;
    if (auto it = ev.sources.find(sourceLabel); it != ev.sources.end()) {
      if (it->second.bible) {
        source = bibleSource(scan, it->second, issue.sourceQuote);
        entry = sourceLabel;
        fromBible = true;
      } else {
        source = {it->second.kind, it->second.file, it->second.line, issue.sourceQuote};
      }
    } else {
      std::optional<std::size_t> earlier;
      for (std::size_t i = 0; i <= *at; ++i)
        if (labelOf(i) == sourceLabel)
          earlier = i;
      if (!earlier) {
        ++dropped;
        continue;
      }
      const auto &place = batch[*earlier]->place;
      source = {FindingSource::Kind::Paragraph, snap.chapters()[place.chapter].file.path, place.firstLine,
                issue.sourceQuote};
    }
    CachedFinding f;
    f.code = code;
    f.severity = code == "narrative-style" ? FindingSeverity::Hint
                 : fromBible              ? FindingSeverity::Warning
                                          : FindingSeverity::Information;
    f.chapter = batch[*at]->place.chapter;
    f.begin = pos;
    f.end = pos + issue.quote.size();
    f.message = issue.explanation.empty() ? "contradicts " + sourceLabel : issue.explanation;
    f.sources.push_back(std::move(source));
    if (!issue.replacement.empty() && issue.replacement != issue.quote)
      f.replacement = issue.replacement;
    f.entry = entry;
    f.fingerprint = code + ":" + entry + ":" + issue.quote;
    out[*at].push_back(std::move(f));
  }
  return out;
}

void addFindings(ModelCheckReport &report, const Prepared &p, const std::vector<CachedFinding> &cached) {
  for (auto f : cached) {
    f.chapter = p.place.chapter;
    f.begin += p.place.begin;
    f.end += p.place.begin;
    report.findings.push_back(std::move(f));
  }
}

void sortFindings(std::vector<Finding> &findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding &a, const Finding &b) {
    return std::tie(a.chapter, a.begin) < std::tie(b.chapter, b.begin);
  });
}

} // namespace

std::uint64_t bibleVersion(const Bible &bible) {
  Hash h;
  for (const auto &e : bible.entries) {
    h.add(e.name).add(bibleEntryTypeName(e.type)).add(bibleIncludeName(e.include)).add(e.description);
    for (const auto &a : e.aliases)
      h.add(a);
    for (const auto &d : e.details)
      h.add(d.key).add(d.value).add(static_cast<std::uint64_t>(d.line));
    h.add(e.file.generic_string()).add(static_cast<std::uint64_t>(e.line));
  }
  return h.v;
}

CheckBook checkBookOf(Book &book, std::shared_ptr<const BookSnapshot> snapshot) {
  CheckBook in;
  in.snapshot = std::move(snapshot);
  in.bible = book.bible();
  in.memory = &book.memory();
  auto state = book.session().state();
  in.shortTermMemory = state.shortTermMemory;
  in.shortTermMemoryFile = book.session().paths().shortTermMemory();
  in.language = state.language;
  return in;
}

std::vector<std::size_t> allParagraphs(const BookSnapshot &snapshot) {
  std::vector<std::size_t> out(snapshot.manuscript().paragraphs().size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = i;
  return out;
}

std::vector<std::size_t> chapterParagraphs(const BookSnapshot &snapshot, std::size_t chapter) {
  std::vector<std::size_t> out;
  if (chapter >= snapshot.chapters().size())
    return out;
  const auto &c = snapshot.chapters()[chapter];
  for (std::size_t i = 0; i < c.paragraphCount; ++i)
    out.push_back(c.firstParagraph + i);
  return out;
}

std::vector<std::size_t> paragraphsIn(const BookSnapshot &snapshot, std::size_t chapter, std::size_t begin,
                                      std::size_t end) {
  std::vector<std::size_t> out;
  for (std::size_t index : chapterParagraphs(snapshot, chapter)) {
    auto place = snapshot.place(index);
    bool hit = begin == end ? place->begin <= begin && begin <= place->end : place->begin < end && begin < place->end;
    if (hit)
      out.push_back(index);
  }
  return out;
}

ModelChecker::ModelChecker(std::shared_ptr<ChatModel> model, std::shared_ptr<CheckCache> cache,
                           ModelCheckOptions options)
    : model_(std::move(model)), cache_(cache ? std::move(cache) : CheckCache::inMemory()), options_(options) {}

Result<ModelCheckReport> ModelChecker::check(const CheckBook &book, std::vector<std::size_t> paragraphs,
                                             const CancelToken &cancel, const ProgressFn &progress) {
  if (!usable(model_.get()))
    return Error{ErrorKind::Config, "the model check needs a model: the offline stand-in runs the deterministic "
                                    "checks only"};
  Scan scan(book);
  auto prepared = prepare(scan, std::move(paragraphs));
  ModelCheckReport report;
  report.paragraphs = prepared.size();
  std::vector<const Prepared *> pending;
  for (const auto &p : prepared) {
    if (auto cached = cache_->find(p.key)) {
      addFindings(report, p, *cached);
      ++report.fromCache;
    } else {
      pending.push_back(&p);
    }
  }
  if (progress)
    progress(report.fromCache, report.paragraphs);

  auto finish = [&](std::optional<Error> error) -> Result<ModelCheckReport> {
    auto saved = cache_->save();
    if (error)
      return *error;
    if (!saved)
      return saved.error();
    sortFindings(report.findings);
    return report;
  };
  for (const auto &batch : batches(pending, options_.batchTokens)) {
    if (cancel.cancelled()) {
      report.cancelled = true;
      break;
    }
    Evidence ev = gatherEvidence(scan, options_, batch, cancel);
    CheckRequestInput in;
    in.language = book.language;
    for (std::size_t i = 0; i < batch.size(); ++i)
      in.passage.push_back({"P" + std::to_string(i + 1), std::string(batch[i]->text)});
    in.evidence = ev.items;
    in.contextTokens = options_.contextTokens;
    in.answerTokens = options_.answerTokens;
    auto request = makeCheckRequest(in);
    if (!request)
      return finish(request.error());
    auto answer = model_->chat(*request, cancel);
    if (!answer) {
      if (answer.error().kind == ErrorKind::Cancelled) {
        report.cancelled = true;
        break;
      }
      return finish(answer.error());
    }
    ++report.calls;
    report.promptTokens += answer->usage.promptTokens;
    report.completionTokens += answer->usage.completionTokens;
    auto issues = parseCheckAnswer(answer->text);
    if (!issues)
      return finish(issues.error());
    auto kept = keepIssues(scan, batch, ev, *issues, report.dropped);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      addFindings(report, *batch[i], kept[i]);
      cache_->put(batch[i]->key, std::move(kept[i]));
    }
    report.checked += batch.size();
    if (report.calls % kSaveEveryCalls == 0)
      (void)cache_->save(); // a failure here is reported by the final save
    if (progress)
      progress(report.fromCache + report.checked, report.paragraphs);
  }
  return finish(std::nullopt);
}

ModelCheckReport ModelChecker::stored(const CheckBook &book, std::vector<std::size_t> paragraphs) const {
  Scan scan(book);
  ModelCheckReport report;
  for (const auto &p : prepare(scan, std::move(paragraphs))) {
    ++report.paragraphs;
    if (auto cached = cache_->find(p.key)) {
      addFindings(report, p, *cached);
      ++report.fromCache;
    }
  }
  sortFindings(report.findings);
  return report;
}

ModelCheckEstimate ModelChecker::estimate(const CheckBook &book, std::vector<std::size_t> paragraphs) const {
  Scan scan(book);
  auto prepared = prepare(scan, std::move(paragraphs));
  std::vector<const Prepared *> pending;
  for (const auto &p : prepared)
    if (!cache_->find(p.key))
      pending.push_back(&p);
  ModelCheckEstimate out;
  out.paragraphs = pending.size();
  for (const auto &batch : batches(pending, options_.batchTokens)) {
    ++out.calls;
    out.tokens += passageTokens(batch) + evidenceBudget(options_, batch) + checkRequestOverheadTokens();
  }
  return out;
}

} // namespace recurrent::engine::continuity
