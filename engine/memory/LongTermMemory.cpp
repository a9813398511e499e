#include "engine/memory/LongTermMemory.h"

#include "engine/memory/TextFeatures.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace recurrent::engine {
namespace fs = std::filesystem;

namespace {

constexpr const char *kHeader =
    "# recurrent long-term memory: one line per paragraph, in order. You may edit a \"summary\" (keep it in\n"
    "# double quotes; write \\\" for a quote inside it): the next step uses your text until the paragraph changes.\n"
    "# Lines starting with # are ignored. This file is rewritten by recurrent.\n";

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hex32(std::uint64_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(v & 0xffffffffULL));
  return buf;
}

std::optional<std::uint64_t> parseHex(std::string_view s) {
  if (s.empty() || s.size() > 16)
    return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0)
      return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

/// Signature of a summary as recurrent wrote it: a differing text means the writer edited it.
std::string summarySig(std::string_view summary) { return hex32(text::hash64(summary, 7)); }

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string trimmed(std::string s) {
  auto ws = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && ws(s.back()))
    s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && ws(s[b]))
    ++b;
  return s.substr(b);
}

} // namespace

std::string memoryEmbeddingText(std::string_view paragraph, std::string_view summary) {
  std::string t;
  t.reserve(paragraph.size() + summary.size() + 1);
  t.append(paragraph);
  t += '\n';
  t.append(summary);
  return t;
}

std::uint64_t memoryEmbeddingVersion(ParagraphHash paragraph, std::string_view summary) {
  return text::hashCombine(paragraph, text::hash64(summary, 11));
}

std::vector<MemoryEntry> parseMemoryFile(std::string_view bytes, std::vector<std::string> &bad) {
  std::vector<MemoryEntry> out;
  std::size_t lineNo = 0;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? bytes.size() : nl + 1;
    ++lineNo;
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#')
      continue;
    auto fail = [&](const std::string &why) { bad.push_back("line " + std::to_string(lineNo) + ": " + why); };
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail("not a JSON object");
      continue;
    }
    MemoryEntry e;
    auto hash = j.find("hash");
    auto summary = j.find("summary");
    if (hash == j.end() || !hash->is_string() || !parseHex(hash->get_ref<const std::string &>())) {
      fail("missing or bad \"hash\"");
      continue;
    }
    if (summary == j.end() || !summary->is_string()) {
      fail("missing \"summary\"");
      continue;
    }
    e.hash = *parseHex(hash->get_ref<const std::string &>());
    e.summary = trimmed(summary->get<std::string>());
    // Everything else is optional: a writer who adds a line by hand gives only hash and summary.
    if (auto it = j.find("paragraph"); it != j.end() && it->is_number_unsigned())
      e.paragraph = it->get<std::size_t>();
    if (auto it = j.find("chapter"); it != j.end() && it->is_string())
      e.chapter = it->get<std::string>();
    if (auto it = j.find("words"); it != j.end() && it->is_number_unsigned())
      e.words = static_cast<std::uint32_t>(std::min<std::uint64_t>(it->get<std::uint64_t>(), UINT32_MAX));
    if (auto it = j.find("summarizer"); it != j.end() && it->is_string())
      e.summarizer = it->get<std::string>();
    if (auto it = j.find("opening"); it != j.end() && it->is_string())
      e.opening = it->get<std::string>();
    bool markedEdited = false;
    if (auto it = j.find("edited"); it != j.end() && it->is_boolean())
      markedEdited = it->get<bool>();
    std::string sig;
    if (auto it = j.find("sig"); it != j.end() && it->is_string())
      sig = it->get<std::string>();
    e.edited = markedEdited || sig != summarySig(e.summary);
    out.push_back(std::move(e));
  }
  return out;
}

LongTermMemory::LongTermMemory(StatePaths paths, std::shared_ptr<Embedder> embedder, Options options)
    : paths_(std::move(paths)), embedder_(std::move(embedder)), options_(options) {}

LongTermMemory::~LongTermMemory() = default;

Result<std::unique_ptr<LongTermMemory>> LongTermMemory::open(const StatePaths &paths,
                                                             std::shared_ptr<Embedder> embedder, Options options) {
  if (!embedder)
    return Error{ErrorKind::InvalidArgument, "long-term memory needs an embedder"};
  auto memory = std::unique_ptr<LongTermMemory>(new LongTermMemory(paths, std::move(embedder), options));
  if (auto s = memory->loadEntries(); !s)
    return s.error();
  memory->loadIndex();
  return memory;
}

Status LongTermMemory::loadEntries() {
  const fs::path file = paths_.longTermMemory();
  std::error_code ec;
  if (!fs::exists(file, ec))
    return okStatus();
  auto bytes = readFile(file);
  if (!bytes)
    return bytes.error();
  std::vector<std::string> bad;
  auto parsed = parseMemoryFile(*bytes, bad);
  if (!bad.empty()) {
    // Keep the writer's bytes: whatever we cannot read is in the copy.
    fs::path aside = file;
    aside += ".corrupt-" + timestamp();
    std::string first = bad.front();
    if (parsed.empty()) {
      fs::rename(file, aside, ec);
      warnings_.push_back("long-term memory " + file.string() + " is unreadable (" + first + "); moved it to " +
                          aside.filename().string() + " and rebuilding it");
    } else {
      fs::copy_file(file, aside, fs::copy_options::overwrite_existing, ec);
      warnings_.push_back("long-term memory " + file.string() + ": " + std::to_string(bad.size()) +
                          " unreadable line(s) (" + first + "); kept a copy as " + aside.filename().string() +
                          "; those paragraphs will be summarised again");
    }
    if (ec)
      warnings_.push_back("could not set " + file.string() + " aside: " + ec.message());
  }
  // A hand edit wins over a stale duplicate of the same paragraph text.
  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const MemoryEntry &a, const MemoryEntry &b) { return a.paragraph < b.paragraph; });
  std::unordered_map<ParagraphHash, std::size_t> firstOf;
  for (auto &e : parsed) {
    auto [it, inserted] = firstOf.emplace(e.hash, entries_.size());
    if (!inserted && e.edited && !entries_[it->second].edited) {
      entries_[it->second].summary = e.summary;
      entries_[it->second].edited = true;
    }
    entries_.push_back(std::move(e));
  }
  for (auto &e : entries_) // duplicates share the (possibly edited) summary of their first occurrence
    if (auto &first = entries_[firstOf[e.hash]]; &first != &e) {
      e.summary = first.summary;
      e.edited = first.edited;
      e.summarizer = first.summarizer;
    }
  rebuildLookups();
  return okStatus();
}

void LongTermMemory::loadIndex() {
  std::error_code ec;
  if (fs::exists(paths_.vectorIndexMeta(), ec)) {
    auto loaded = VectorIndex::load(paths_.vectorIndex(), paths_.vectorIndexMeta());
    if (!loaded) {
      warnings_.push_back("vector index: " + loaded.error().message + "; rebuilding it");
    } else if ((*loaded)->options().embedderId == embedder_->id() &&
               (embedder_->dimension() == 0 || (*loaded)->options().dimension == embedder_->dimension())) {
      index_ = std::move(loaded.value());
      return;
    }
    // Otherwise it was made by another embedder: its vectors mean nothing to this
    // one, and the cache is rebuilt without a warning.
  }
  if (embedder_->dimension() > 0)
    index_ = std::make_shared<VectorIndex>(indexOptions(embedder_->dimension()));
}

VectorIndex::Options LongTermMemory::indexOptions(int dimension) const {
  return {dimension, embedder_->id(), options_.indexM, options_.indexEfConstruction, options_.indexEf};
}

std::shared_ptr<VectorIndex> LongTermMemory::currentIndex() const {
  std::shared_lock lock(mutex_);
  return index_;
}

void LongTermMemory::rebuildLookups() {
  byHash_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i)
    byHash_[entries_[i].hash].push_back(i);
}

std::vector<MemoryEntry> LongTermMemory::entries() const {
  std::shared_lock lock(mutex_);
  return entries_;
}

std::optional<MemoryEntry> LongTermMemory::entryAt(std::size_t paragraph) const {
  std::shared_lock lock(mutex_);
  // entries_ is in paragraph order but may have gaps (paragraphs not yet summarised).
  auto it = std::lower_bound(entries_.begin(), entries_.end(), paragraph,
                             [](const MemoryEntry &e, std::size_t p) { return e.paragraph < p; });
  if (it == entries_.end() || it->paragraph != paragraph)
    return std::nullopt;
  return *it;
}

std::size_t LongTermMemory::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

std::vector<std::string> LongTermMemory::loadWarnings() const {
  std::shared_lock lock(mutex_);
  return warnings_;
}

Result<std::vector<MemoryHit>> LongTermMemory::search(const std::string &query, std::size_t k,
                                                      const std::set<std::size_t> &exclude,
                                                      const CancelToken &cancel) const {
  if (k == 0)
    k = options_.defaultK;
  k = std::clamp<std::size_t>(k, 1, std::max<std::size_t>(1, options_.maxK));
  auto embedded = embedder_->embed({query}, cancel);
  if (!embedded)
    return embedded.error();
  if (embedded->size() != 1)
    return Error{ErrorKind::BadAnswer, "the embedder returned no vector for the query"};
  const Vector &q = embedded->front();

  std::vector<MemoryHit> hits;
  // Ask for more than k: excluded paragraphs and ids whose entry is gone are skipped.
  auto index = currentIndex();
  if (!index)
    return hits;
  std::size_t want = k + exclude.size() + 4;
  for (;;) {
    auto found = index->search(q, want);
    hits.clear();
    std::set<std::size_t> taken;
    std::shared_lock lock(mutex_);
    for (const auto &hit : found) {
      auto it = byHash_.find(hit.id);
      if (it == byHash_.end())
        continue;
      for (std::size_t idx : it->second) {
        const MemoryEntry &e = entries_[idx];
        if (exclude.count(e.paragraph) || !taken.insert(e.paragraph).second)
          continue;
        hits.push_back({e.paragraph, hit.score, e.chapter, e.summary, e.opening});
        if (hits.size() == k)
          return hits;
      }
    }
    if (found.size() < want || want >= index->size())
      return hits;
    want *= 2;
  }
}

void LongTermMemory::remember(ParagraphHash hash, std::string summary, std::string summarizerId) {
  std::unique_lock lock(mutex_);
  pending_[hash] = Summary{trimmed(std::move(summary)), std::move(summarizerId), false};
}

Status LongTermMemory::editSummary(std::size_t paragraph, std::string summary) {
  std::unique_lock lock(mutex_);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), paragraph,
                             [](const MemoryEntry &e, std::size_t p) { return e.paragraph < p; });
  if (it == entries_.end() || it->paragraph != paragraph)
    return Error{ErrorKind::InvalidArgument, "paragraph " + std::to_string(paragraph + 1) + " has no summary yet"};
  summary = trimmed(std::move(summary));
  for (std::size_t idx : byHash_[it->hash]) {
    entries_[idx].summary = summary;
    entries_[idx].edited = true;
  }
  return saveLocked();
}

std::string LongTermMemory::serialise() const {
  std::string out = kHeader;
  out.reserve(entries_.size() * 320);
  for (const auto &e : entries_) {
    nlohmann::ordered_json j;
    j["paragraph"] = e.paragraph;
    j["chapter"] = e.chapter;
    j["summary"] = e.summary;
    j["edited"] = e.edited;
    j["summarizer"] = e.summarizer;
    j["words"] = e.words;
    j["hash"] = hex64(e.hash);
    j["sig"] = summarySig(e.summary);
    j["opening"] = e.opening;
    // Replace invalid UTF-8 rather than throw: a manuscript may hold stray bytes.
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

Status LongTermMemory::saveLocked() const { return writeFileAtomically(paths_.longTermMemory(), serialise()); }

} // namespace recurrent::engine
