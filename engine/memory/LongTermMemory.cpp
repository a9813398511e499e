#include "engine/memory/LongTermMemory.h"

#include "engine/memory/LexicalIndexFile.h"
#include "engine/memory/TextFeatures.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <unistd.h>

namespace recurrent::engine {
namespace fs = std::filesystem;

namespace {

constexpr const char *kHeader =
    "# recurrent long-term memory: one line per paragraph, in order. You may edit a \"summary\" (keep it in\n"
    "# double quotes; write \\\" for a quote inside it): the next step uses your text until the paragraph changes.\n"
    "# Lines starting with # are ignored. recurrent appends a line when a paragraph changes (the last line\n"
    "# for a \"paragraph\" number wins) and rewrites the file compactly from time to time.\n";

/// Superseded lines tolerated beyond the live ones before the file is rewritten.
constexpr std::size_t kCompactSlack = 64;
/// The vector index is saved once this many vectors changed, or a tenth of the index if more.
constexpr std::size_t kVectorSaveEvery = 256;
/// The word index likewise, counting its changes (a step makes about four).
constexpr std::size_t kWordSaveEvery = 256;

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

std::uint64_t memoryEntriesDigest(const std::vector<MemoryEntry> &entries) {
  XXH3_state_t *state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const MemoryEntry &e : entries) {
    const std::uint64_t fixed[4] = {e.hash, e.paragraph, e.chapter.size(), e.summary.size()};
    XXH3_64bits_update(state, fixed, sizeof fixed);
    XXH3_64bits_update(state, e.chapter.data(), e.chapter.size());
    XXH3_64bits_update(state, e.summary.data(), e.summary.size());
  }
  const std::uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return digest;
}

std::uint64_t manuscriptDigest(const Manuscript &manuscript, std::string_view language) {
  XXH3_state_t *state = XXH3_createState();
  XXH3_64bits_reset(state);
  const std::uint64_t head[2] = {manuscript.paragraphs().size(), language.size()};
  XXH3_64bits_update(state, head, sizeof head);
  XXH3_64bits_update(state, language.data(), language.size());
  for (const Paragraph &p : manuscript.paragraphs()) {
    const std::uint64_t fixed[3] = {p.hash, p.words, static_cast<std::uint64_t>(static_cast<std::int64_t>(p.chapter))};
    XXH3_64bits_update(state, fixed, sizeof fixed);
  }
  for (const auto &c : manuscript.chapters()) {
    const std::uint64_t size = c.title.size();
    XXH3_64bits_update(state, &size, sizeof size);
    XXH3_64bits_update(state, c.title.data(), c.title.size());
  }
  const std::uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return digest | 1; // never 0, which means "unknown"
}

std::uint64_t memoryEmbeddingVersion(ParagraphHash paragraph, std::string_view summary) {
  return text::hashCombine(paragraph, text::hash64(summary, 11));
}

namespace {

/// One line of the memory file, its fields read (by either reader below).
struct LineRecord {
  std::optional<std::size_t> position;
  bool removed = false;
  bool hasHash = false, hasSummary = false;
  std::string hash, summary, chapter, summarizer, opening, sig;
  std::uint32_t words = 0;
  bool edited = false;
};

/// The general reader: any JSON object, fields in any order, the writer's hand edits. False: not an object.
bool readLineAsJson(std::string_view line, LineRecord &r) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return false;
  if (auto it = j.find("paragraph"); it != j.end() && it->is_number_unsigned())
    r.position = it->get<std::size_t>();
  if (auto it = j.find("removed"); it != j.end() && it->is_boolean() && it->get<bool>())
    r.removed = true;
  if (auto it = j.find("hash"); it != j.end() && it->is_string()) {
    r.hasHash = true;
    r.hash = it->get<std::string>();
  }
  if (auto it = j.find("summary"); it != j.end() && it->is_string()) {
    r.hasSummary = true;
    r.summary = it->get<std::string>();
  }
  if (auto it = j.find("chapter"); it != j.end() && it->is_string())
    r.chapter = it->get<std::string>();
  if (auto it = j.find("words"); it != j.end() && it->is_number_unsigned())
    r.words = static_cast<std::uint32_t>(std::min<std::uint64_t>(it->get<std::uint64_t>(), UINT32_MAX));
  if (auto it = j.find("summarizer"); it != j.end() && it->is_string())
    r.summarizer = it->get<std::string>();
  if (auto it = j.find("opening"); it != j.end() && it->is_string())
    r.opening = it->get<std::string>();
  if (auto it = j.find("edited"); it != j.end() && it->is_boolean())
    r.edited = it->get<bool>();
  if (auto it = j.find("sig"); it != j.end() && it->is_string())
    r.sig = it->get<std::string>();
  return true;
}

/// The reader for the lines recurrent writes itself (appendLine's keys in its order, no spaces, or a
/// removal): no DOM, no allocation beyond the strings. It accepts a line only when the general reader
/// would read exactly the same fields from it; anything else (a \u escape, a hand-written line, bytes
/// that are not UTF-8) returns false and the line goes to readLineAsJson.
class CanonicalLine {
public:
  explicit CanonicalLine(std::string_view line) : s_(line) {}

  bool read(LineRecord &r) {
    std::uint64_t position = 0;
    if (!lit("{\"paragraph\":") || !number(position))
      return false;
    r.position = static_cast<std::size_t>(position);
    if (lit(",\"removed\":true}"))
      return at_ == s_.size() && (r.removed = true);
    std::uint64_t words = 0;
    if (!lit(",\"chapter\":") || !string(r.chapter) || !lit(",\"summary\":") || !string(r.summary) ||
        !lit(",\"edited\":") || !boolean(r.edited) || !lit(",\"summarizer\":") || !string(r.summarizer) ||
        !lit(",\"words\":") || !number(words) || !lit(",\"hash\":") || !string(r.hash) || !lit(",\"sig\":") ||
        !string(r.sig) || !lit(",\"opening\":") || !string(r.opening) || !lit("}") || at_ != s_.size())
      return false;
    r.words = static_cast<std::uint32_t>(std::min<std::uint64_t>(words, UINT32_MAX));
    r.hasHash = r.hasSummary = true;
    return true;
  }

private:
  bool lit(std::string_view want) {
    if (s_.substr(at_, want.size()) != want)
      return false;
    at_ += want.size();
    return true;
  }
  bool boolean(bool &out) {
    if (lit("true"))
      return out = true;
    out = false;
    return lit("false");
  }
  /// A JSON unsigned integer of at most 18 digits (no leading zero, as JSON requires).
  bool number(std::uint64_t &out) {
    std::size_t begin = at_;
    out = 0;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9')
      out = out * 10 + static_cast<std::uint64_t>(s_[at_++] - '0');
    const std::size_t digits = at_ - begin;
    return digits > 0 && digits <= 18 && !(digits > 1 && s_[begin] == '0');
  }
  /// Length of the well-formed UTF-8 sequence at `i` (RFC 3629, the table JSON readers check), or 0.
  std::size_t utf8At(std::size_t i) const {
    auto b = [&](std::size_t k) { return i + k < s_.size() ? static_cast<unsigned char>(s_[i + k]) : 0u; };
    const unsigned c = b(0);
    auto cont = [&](std::size_t k, unsigned lo, unsigned hi) { return b(k) >= lo && b(k) <= hi; };
    if (c >= 0xC2 && c <= 0xDF)
      return cont(1, 0x80, 0xBF) ? 2 : 0;
    if (c == 0xE0)
      return cont(1, 0xA0, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
      return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xED)
      return cont(1, 0x80, 0x9F) && cont(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xF0)
      return cont(1, 0x90, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3)
      return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
    if (c == 0xF4)
      return cont(1, 0x80, 0x8F) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
    return 0;
  }
  bool string(std::string &out) {
    if (!lit("\""))
      return false;
    out.clear();
    std::size_t run = at_; // the start of the bytes not yet copied
    while (at_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[at_]);
      if (c == '"') {
        out.append(s_.substr(run, at_ - run));
        ++at_;
        return true;
      }
      if (c < 0x20)
        return false;
      if (c < 0x80 && c != '\\') {
        ++at_;
        continue;
      }
      if (c >= 0x80) {
        std::size_t n = utf8At(at_);
        if (n == 0)
          return false;
        at_ += n;
        continue;
      }
      // An escape: the two-character ones; \u is left to the general reader.
      out.append(s_.substr(run, at_ - run));
      if (at_ + 1 >= s_.size())
        return false;
      char e = s_[at_ + 1], to = 0;
      switch (e) {
      case '"': to = '"'; break;
      case '\\': to = '\\'; break;
      case '/': to = '/'; break;
      case 'b': to = '\b'; break;
      case 'f': to = '\f'; break;
      case 'n': to = '\n'; break;
      case 'r': to = '\r'; break;
      case 't': to = '\t'; break;
      default: return false;
      }
      out += to;
      at_ += 2;
      run = at_;
    }
    return false;
  }

  std::string_view s_;
  std::size_t at_ = 0;
};

} // namespace

MemoryFile parseMemoryLog(std::string_view bytes, MemoryLineReader reader) {
  MemoryFile out;
  out.endsInNewline = bytes.empty() || bytes.back() == '\n';
  std::map<std::size_t, MemoryEntry> byPosition;      // the last line for a position wins
  std::vector<MemoryEntry> floating;                  // hand-written lines without a position
  std::unordered_map<ParagraphHash, std::string> lastEdit; // the latest edited summary of each text
  std::size_t lineNo = 0;
  std::size_t pos = 0;
  LineRecord r;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? bytes.size() : nl + 1;
    ++lineNo;
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#')
      continue;
    auto fail = [&](const std::string &why) {
      if (nl == std::string_view::npos) { // the last line, never finished: an append was interrupted
        out.tornTail = true;
        out.bad.push_back("line " + std::to_string(lineNo) + ": " + why + " (cut short)");
      } else {
        out.bad.push_back("line " + std::to_string(lineNo) + ": " + why);
      }
    };
    r = LineRecord{};
    bool read = reader == MemoryLineReader::Canonical && CanonicalLine(line).read(r);
    if (!read) {
      r = LineRecord{};
      read = readLineAsJson(line, r);
    }
    if (!read) {
      fail("not a JSON object");
      continue;
    }
    const std::optional<std::size_t> position = r.position;
    if (r.removed) {
      if (!position) {
        fail("a removal without \"paragraph\"");
        continue;
      }
      byPosition.erase(*position);
      ++out.records;
      continue;
    }
    MemoryEntry e;
    const auto hash = r.hasHash ? parseHex(r.hash) : std::nullopt;
    if (!hash) {
      fail("missing or bad \"hash\"");
      continue;
    }
    if (!r.hasSummary) {
      fail("missing \"summary\"");
      continue;
    }
    e.hash = *hash;
    e.summary = trimmed(std::move(r.summary));
    // Everything else is optional: a writer who adds a line by hand gives only hash and summary.
    e.paragraph = position.value_or(0);
    e.chapter = std::move(r.chapter);
    e.words = r.words;
    e.summarizer = std::move(r.summarizer);
    e.opening = std::move(r.opening);
    const bool markedEdited = r.edited;
    const std::string &sig = r.sig;
    bool handEdit = sig != summarySig(e.summary);
    out.handEdited |= handEdit;
    e.edited = markedEdited || handEdit;
    // An edit applies to the paragraph text wherever it is, even when the writer
    // changed a line that a later one (written before recurrent saw the edit) supersedes.
    if (e.edited)
      lastEdit[e.hash] = e.summary;
    ++out.records;
    if (position)
      byPosition[*position] = std::move(e);
    else
      floating.push_back(std::move(e));
  }
  out.entries = std::move(floating);
  out.entries.reserve(out.entries.size() + byPosition.size());
  for (auto &[position, e] : byPosition)
    out.entries.push_back(std::move(e));
  std::unordered_map<ParagraphHash, std::size_t> firstOf;
  for (std::size_t i = 0; i < out.entries.size(); ++i) {
    MemoryEntry &e = out.entries[i];
    if (auto it = lastEdit.find(e.hash); it != lastEdit.end()) {
      e.summary = it->second;
      e.edited = true;
    }
    // Duplicates share the summary of their first occurrence.
    auto [it, inserted] = firstOf.emplace(e.hash, i);
    if (!inserted) {
      const MemoryEntry &f = out.entries[it->second];
      e.summary = f.summary;
      e.edited = f.edited;
      e.summarizer = f.summarizer;
    }
  }
  return out;
}

std::vector<MemoryEntry> parseMemoryFile(std::string_view bytes, std::vector<std::string> &bad) {
  auto parsed = parseMemoryLog(bytes);
  bad.insert(bad.end(), parsed.bad.begin(), parsed.bad.end());
  return std::move(parsed.entries);
}

LongTermMemory::LongTermMemory(StatePaths paths, std::shared_ptr<Embedder> embedder, Options options)
    : paths_(std::move(paths)), embedder_(std::move(embedder)), options_(options) {}

LongTermMemory::~LongTermMemory() {
  (void)flush(); // a failure only costs recomputing the vectors on the next open
}

Result<std::unique_ptr<LongTermMemory>> LongTermMemory::open(const StatePaths &paths,
                                                             std::shared_ptr<Embedder> embedder, Options options) {
  if (!embedder)
    return Error{ErrorKind::InvalidArgument, "long-term memory needs an embedder"};
  auto memory = std::unique_ptr<LongTermMemory>(new LongTermMemory(paths, std::move(embedder), options));
  if (auto s = memory->loadEntries(); !s)
    return s.error();
  memory->loadIndex();
  memory->loadWords();
  if (memory->indexOnDisk_ && memory->wordsOnDisk_) {
    // memory.verified: "recurrent-verified-1 <manuscript digest> <disk identity>". It counts only when it
    // names exactly the memory and the cache files just loaded; anything else means the full check.
    auto stamp = readFile(paths.memoryVerified());
    const std::string identity = memory->diskIdentity(memory->entriesDigest_);
    constexpr std::string_view kStamp = "recurrent-verified-1 ";
    if (stamp && !identity.empty() && stamp->size() == kStamp.size() + 17 + identity.size() + 1 &&
        stamp->starts_with(kStamp) && (*stamp)[kStamp.size() + 16] == ' ' && stamp->back() == '\n' &&
        stamp->compare(kStamp.size() + 17, identity.size(), identity) == 0)
      if (auto digest = parseHex(std::string_view(*stamp).substr(kStamp.size(), 16)); digest && *digest != 0) {
        memory->verifiedFor_ = *digest;
        memory->stampWritten_ = *stamp;
      }
  }
  return memory;
}

std::string LongTermMemory::diskIdentity(std::uint64_t entries) const {
  // The sidecar holds the vector file's digest (checked at load) and every id and version; words.index's
  // header the digest of the entries it was built from and its own checksum (checked at load).
  auto meta = readFile(paths_.vectorIndexMeta());
  if (!meta)
    return {};
  std::string words(64, '\0');
  int fd = ::open(paths_.wordIndex().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return {};
  ssize_t n = ::read(fd, words.data(), words.size());
  ::close(fd);
  if (n <= 0)
    return {};
  words.resize(static_cast<std::size_t>(n));
  return hex64(entries) + " " + hex64(XXH3_64bits(meta->data(), meta->size())) + " " +
         hex64(XXH3_64bits(words.data(), words.size())) + " " + hex64(text::hash64(embedder_->id(), 3));
}

void LongTermMemory::stampIfVerified() {
  std::uint64_t manuscript = 0, entries = 0;
  {
    std::shared_lock lock(mutex_);
    if (consistentWith_ == 0 || !vectorsVerified_ || !staleVectors_.empty() || !wordsMatchEntries_ || !wordsOnDisk_ ||
        lexical_.revision() != wordsSavedRevision_ || !index_ || !indexOnDisk_ || unsavedVectors_ != 0 || rewriteFile_)
      return;
    manuscript = consistentWith_;
    entries = memoryEntriesDigest(entries_);
  }
  const std::string identity = diskIdentity(entries);
  if (identity.empty())
    return;
  std::string stamp = "recurrent-verified-1 " + hex64(manuscript) + " " + identity + "\n";
  if (stamp == stampWritten_)
    return;
  if (writeFileAtomically(paths_.memoryVerified(), stamp))
    stampWritten_ = std::move(stamp);
}

Status LongTermMemory::loadEntries() {
  const fs::path file = paths_.longTermMemory();
  std::error_code ec;
  if (!fs::exists(file, ec))
    return okStatus();
  auto bytes = readFile(file);
  if (!bytes)
    return bytes.error();
  auto parsed = parseMemoryLog(*bytes);
  // A torn last line after good ones is an interrupted append: nothing else was lost, no copy is needed.
  const bool interrupted = parsed.bad.size() == 1 && parsed.tornTail && parsed.records > 0;
  const std::size_t unreadable = interrupted ? 0 : parsed.bad.size();
  if (interrupted)
    warnings_.push_back("long-term memory " + file.string() + ": the last line was cut short (" + parsed.bad.back() +
                        "), probably by an interrupted write; skipped it");
  if (unreadable > 0) {
    // Keep the writer's bytes: whatever we cannot read is in the copy.
    fs::path aside = file;
    aside += ".corrupt-" + timestamp();
    std::string first = parsed.bad.front();
    if (parsed.entries.empty()) {
      fs::rename(file, aside, ec);
      warnings_.push_back("long-term memory " + file.string() + " is unreadable (" + first + "); moved it to " +
                          aside.filename().string() + " and rebuilding it");
    } else {
      fs::copy_file(file, aside, fs::copy_options::overwrite_existing, ec);
      warnings_.push_back("long-term memory " + file.string() + ": " + std::to_string(unreadable) +
                          " unreadable line(s) (" + first + "); kept a copy as " + aside.filename().string() +
                          "; those paragraphs will be summarised again");
    }
    if (ec)
      warnings_.push_back("could not set " + file.string() + " aside: " + ec.message());
  }
  entries_ = std::move(parsed.entries);
  fileRecords_ = parsed.records;
  fileEndsInNewline_ = parsed.endsInNewline;
  // Rewrite at the next save what should not stay as it is: unreadable lines, a hand
  // edit (so its line gets a signature), or a log with more superseded lines than live ones.
  rewriteFile_ = !parsed.bad.empty() || parsed.handEdited || fileRecords_ > 2 * entries_.size() + kCompactSlack;
  rebuildLookups();
  return okStatus();
}

void LongTermMemory::loadIndex() {
  std::error_code ec;
  if (fs::exists(paths_.vectorIndexMeta(), ec)) {
    auto loaded = VectorIndex::load(paths_.vectorIndex(), paths_.vectorIndexMeta());
    if (!loaded) {
      warnings_.push_back(loaded.error().message + "; rebuilding it");
    } else if ((*loaded)->options().embedderId == embedder_->id() &&
               (embedder_->dimension() == 0 || (*loaded)->options().dimension == embedder_->dimension())) {
      index_ = std::move(loaded.value());
      indexOnDisk_ = true;
      return;
    }
    // Otherwise it was made by another embedder: its vectors mean nothing to this
    // one, and the cache is rebuilt without a warning.
  }
  if (embedder_->dimension() > 0)
    index_ = std::make_shared<VectorIndex>(indexOptions(embedder_->dimension()));
}

void LongTermMemory::loadWords() {
  // Silently: a word index that does not load is rebuilt by the next update, as if it had never been saved.
  entriesDigest_ = memoryEntriesDigest(entries_);
  if (!loadLexicalIndex(paths_.wordIndex(), entriesDigest_, lexical_))
    return;
  wordsOnDisk_ = true;
  wordsSavedRevision_ = lexical_.revision();
  wordsMatchEntries_ = true;
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

namespace {

/// Per-query z-scores of a ranking: how many standard deviations each candidate stands above
/// the candidates' mean. A candidate the ranking did not return gets its floor (the lowest
/// returned), so being absent from one ranking costs, but less than a bad score would.
struct ZScores {
  std::unordered_map<std::uint64_t, float> of;
  float floor = 0;
  float at(std::uint64_t id) const {
    auto it = of.find(id);
    return it == of.end() ? floor : it->second;
  }
};

ZScores zScores(const std::vector<ScoredId> &hits) {
  ZScores z;
  if (hits.empty())
    return z;
  double sum = 0, squares = 0;
  for (const auto &[id, score] : hits) {
    sum += score;
    squares += static_cast<double>(score) * score;
  }
  const double n = static_cast<double>(hits.size());
  const double mean = sum / n;
  const double sd = std::sqrt(std::max(0.0, squares / n - mean * mean));
  float lowest = 0;
  for (const auto &[id, score] : hits) {
    float v = sd > 1e-9 ? static_cast<float>((score - mean) / sd) : 0.0f;
    z.of[id] = v;
    lowest = std::min(lowest, v);
  }
  z.floor = lowest;
  return z;
}

template <typename Hit> std::vector<ScoredId> scored(const std::vector<Hit> &hits) {
  std::vector<ScoredId> out;
  out.reserve(hits.size());
  for (const auto &h : hits)
    out.emplace_back(h.id, h.score);
  return out;
}

} // namespace

std::vector<FusedCandidate> fuseByZScores(const std::vector<ScoredId> &byMeaning, const std::vector<ScoredId> &byWords,
                                          float meaningWeight, float wordWeight) {
  const ZScores meaningZ = zScores(byMeaning), wordsZ = zScores(byWords);
  std::vector<FusedCandidate> ranked;
  std::unordered_set<std::uint64_t> seen;
  auto consider = [&](std::uint64_t id) {
    if (!seen.insert(id).second)
      return;
    float m = meaningZ.at(id), w = wordsZ.at(id);
    ranked.push_back({id, meaningWeight * m + wordWeight * w, m, w});
  };
  for (const auto &h : byMeaning)
    consider(h.first);
  for (const auto &h : byWords)
    consider(h.first);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto &a, const auto &b) { return a.fused != b.fused ? a.fused > b.fused : a.id < b.id; });
  return ranked;
}

Result<std::vector<MemoryHit>> LongTermMemory::search(const std::string &query, std::size_t k,
                                                      const std::set<std::size_t> &exclude,
                                                      const CancelToken &cancel, std::size_t excludeAround) const {
  if (k == 0)
    k = options_.defaultK;
  k = std::clamp<std::size_t>(k, 1, std::max<std::size_t>(1, options_.maxK));
  const float meaningWeight = options_.meaningWeight.value_or(embedder_->searchWeight());
  auto index = currentIndex();
  std::optional<Vector> q;
  if (index && meaningWeight > 0) {
    auto embedded = embedder_->embed({query}, cancel);
    if (!embedded)
      return embedded.error();
    if (embedded->size() != 1)
      return Error{ErrorKind::BadAnswer, "the embedder returned no vector for the query"};
    q = std::move(embedded->front());
  }
  std::set<std::size_t> excluded;
  for (std::size_t p : exclude)
    for (std::size_t i = p >= excludeAround ? p - excludeAround : 0; i <= p + excludeAround; ++i)
      excluded.insert(i);

  std::vector<MemoryHit> hits;
  // Ask each ranking for more than k: excluded paragraphs and ids whose entry is gone are skipped.
  std::size_t depth = options_.fusionDepth + k + excluded.size();
  for (;;) {
    std::vector<VectorIndex::Hit> byMeaning;
    if (q)
      byMeaning = index->search(*q, depth);
    std::vector<LexicalIndex::Hit> byWords;
    if (options_.wordWeight > 0)
      byWords = lexical_.search(query, depth);
    const auto ranked = fuseByZScores(scored(byMeaning), scored(byWords), meaningWeight, options_.wordWeight);

    hits.clear();
    std::set<std::size_t> taken;
    std::shared_lock lock(mutex_);
    for (const auto &c : ranked) {
      auto it = byHash_.find(c.id);
      if (it == byHash_.end())
        continue;
      for (std::size_t idx : it->second) {
        const MemoryEntry &e = entries_[idx];
        if (excluded.count(e.paragraph) || !taken.insert(e.paragraph).second)
          continue;
        MemoryHit hit{e.paragraph, 1.0f / (1.0f + std::exp(-c.fused)), e.chapter, e.summary, e.opening};
        hit.fused = c.fused;
        hit.meaningZ = c.meaningZ;
        hit.wordsZ = c.wordsZ;
        hits.push_back(std::move(hit));
        if (hits.size() == k)
          return hits;
      }
    }
    bool exhausted = byMeaning.size() < depth && byWords.size() < depth;
    if (exhausted || depth >= std::max(index ? index->size() : 0, lexical_.size()))
      return hits; // both rankings gave all they had
    depth *= 2;
  }
}

std::vector<LexicalIndex::Match> LongTermMemory::explainWords(const std::string &query, std::size_t paragraph) const {
  auto entry = entryAt(paragraph);
  if (!entry)
    return {};
  return lexical_.explain(query, entry->hash);
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
  const auto &indices = byHash_[it->hash];
  const std::size_t from = indices.front(); // indices are ascending
  std::vector<MemoryEntry> before(entries_.begin() + static_cast<std::ptrdiff_t>(from), entries_.end());
  for (std::size_t idx : indices) {
    entries_[idx].summary = summary;
    entries_[idx].edited = true;
  }
  staleVectors_.insert(it->hash);
  wordsMatchEntries_ = false; // until the next update indexes the new summary
  return appendChangesLocked(from, before);
}

Result<std::size_t> LongTermMemory::rewriteSummaries(const std::function<std::string(std::string_view)> &rewrite) {
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> from;
  std::size_t changed = 0;
  std::vector<MemoryEntry> before = entries_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    auto &e = entries_[i];
    std::string summary = rewrite(e.summary), opening = rewrite(e.opening);
    if (summary == e.summary && opening == e.opening)
      continue;
    if (summary != e.summary)
      staleVectors_.insert(e.hash);
    e.summary = std::move(summary);
    e.opening = std::move(opening);
    from = from.value_or(i);
    ++changed;
  }
  if (!from)
    return std::size_t{0};
  wordsMatchEntries_ = false;
  // Compactly: the old lines would keep the old name in the file (a name changed for a reason must go).
  rewriteFile_ = true;
  before.erase(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(*from));
  if (auto s = appendChangesLocked(*from, before); !s)
    return s.error();
  return changed;
}

namespace {

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool validUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size())
      return false;
    auto b = static_cast<unsigned char>(s[i + 1]);
    // The second byte's range depends on the first (Unicode's table 3-7); the others are 80..BF.
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (b < lo || b > hi)
      return false;
    for (std::size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    i += n;
  }
  return true;
}

/// Appends `s` as a JSON string, byte for byte as nlohmann's dump() (no ASCII escaping,
/// invalid UTF-8 replaced) writes it: building a json object per line was most of the
/// cost of saving a novel's memory.
void appendJsonString(std::string &out, std::string_view s) {
  if (!validUtf8(s)) { // rare: let nlohmann replace the invalid bytes its own way
    out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  std::size_t plain = 0; // start of the bytes not copied yet: they need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\t': out += "\\t"; break;
    case '\n': out += "\\n"; break;
    case '\f': out += "\\f"; break;
    case '\r': out += "\\r"; break;
    default: {
      char buf[7];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    }
    }
  }
  out.append(s.substr(plain));
  out += '"';
}

/// One line of the memory file: the keys in this order, as nlohmann::ordered_json wrote them.
void appendLine(std::string &out, const MemoryEntry &e) {
  out += "{\"paragraph\":";
  out += std::to_string(e.paragraph);
  out += ",\"chapter\":";
  appendJsonString(out, e.chapter);
  out += ",\"summary\":";
  appendJsonString(out, e.summary);
  out += e.edited ? ",\"edited\":true" : ",\"edited\":false";
  out += ",\"summarizer\":";
  appendJsonString(out, e.summarizer);
  out += ",\"words\":";
  out += std::to_string(e.words);
  out += ",\"hash\":\"";
  out += hex64(e.hash);
  out += "\",\"sig\":\"";
  out += summarySig(e.summary);
  out += "\",\"opening\":";
  appendJsonString(out, e.opening);
  out += "}\n";
}

bool sameEntry(const MemoryEntry &a, const MemoryEntry &b) {
  return a.hash == b.hash && a.paragraph == b.paragraph && a.words == b.words && a.edited == b.edited &&
         a.summary == b.summary && a.chapter == b.chapter && a.summarizer == b.summarizer && a.opening == b.opening;
}

} // namespace

std::string LongTermMemory::serialise() const {
  std::string out = kHeader;
  out.reserve(entries_.size() * 320);
  for (const auto &e : entries_)
    appendLine(out, e);
  return out;
}

Status LongTermMemory::saveLocked() {
  rewriteFile_ = true; // until the rewrite succeeds
  if (auto s = writeFileAtomically(paths_.longTermMemory(), serialise()); !s)
    return s;
  fileRecords_ = entries_.size();
  fileEndsInNewline_ = true;
  rewriteFile_ = false;
  return okStatus();
}

Status LongTermMemory::appendChangesLocked(std::size_t from, const std::vector<MemoryEntry> &before) {
  std::string lines;
  std::size_t records = 0;
  // Both runs are in paragraph order: merge them by position.
  std::size_t b = 0;
  for (std::size_t i = from; i < entries_.size(); ++i) {
    const MemoryEntry &e = entries_[i];
    for (; b < before.size() && before[b].paragraph < e.paragraph; ++b, ++records)
      lines += "{\"paragraph\":" + std::to_string(before[b].paragraph) + ",\"removed\":true}\n";
    bool same = b < before.size() && before[b].paragraph == e.paragraph && sameEntry(before[b], e);
    if (b < before.size() && before[b].paragraph == e.paragraph)
      ++b;
    if (!same) {
      appendLine(lines, e);
      ++records;
    }
  }
  for (; b < before.size(); ++b, ++records)
    lines += "{\"paragraph\":" + std::to_string(before[b].paragraph) + ",\"removed\":true}\n";
  if (records == 0 && !rewriteFile_)
    return okStatus();
  std::error_code ec;
  if (rewriteFile_ || fileRecords_ + records > 2 * entries_.size() + kCompactSlack ||
      !fs::exists(paths_.longTermMemory(), ec))
    return saveLocked();
  return appendLines(lines, records);
}

Status LongTermMemory::appendLines(const std::string &lines, std::size_t records) {
  const fs::path file = paths_.longTermMemory();
  // A read-only state folder means "leave the memory as it is", even if the file itself is writable:
  // the same answer the atomic rewrites give.
  if (::access(file.parent_path().c_str(), W_OK) != 0)
    return Error{ErrorKind::Io, "cannot write the state folder " + file.parent_path().string() + ": " +
                                    std::strerror(errno)};
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    return Error{ErrorKind::Io, "cannot open " + file.string() + " to append: " + std::strerror(errno)};
  const off_t sizeBefore = ::lseek(fd, 0, SEEK_END);
  std::string bytes = fileEndsInNewline_ ? lines : "\n" + lines;
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = errno;
      // Nothing half-written (a full disk): cut the partial line off, or rewrite the whole file next time.
      if (sizeBefore < 0 || ::ftruncate(fd, sizeBefore) != 0)
        rewriteFile_ = true;
      ::close(fd);
      return Error{ErrorKind::Io, "cannot append to " + file.string() + ": " + std::strerror(err)};
    }
    done += static_cast<std::size_t>(n);
  }
  // Durable like the atomic writes of the other state files.
  int rc = ::fdatasync(fd);
  ::close(fd);
  if (rc != 0)
    return Error{ErrorKind::Io, "cannot flush " + file.string()};
  fileRecords_ += records;
  fileEndsInNewline_ = true;
  return okStatus();
}

Status LongTermMemory::saveIndexIfDue(bool force) {
  std::shared_ptr<VectorIndex> index;
  std::size_t saving = 0;
  {
    std::unique_lock lock(mutex_);
    if (unsavedVectors_ == 0 || !index_)
      return okStatus();
    // The first vectors are saved at once: a reopened memory then searches before any update.
    if (!force && indexOnDisk_ && unsavedVectors_ < std::max(kVectorSaveEvery, index_->size() / 10))
      return okStatus();
    index = index_;
    saving = unsavedVectors_;
  }
  if (auto s = index->save(paths_.vectorIndex(), paths_.vectorIndexMeta()); !s)
    return s;
  std::unique_lock lock(mutex_);
  unsavedVectors_ -= std::min(saving, unsavedVectors_);
  indexOnDisk_ = true;
  return okStatus();
}

Status LongTermMemory::saveWordsIfDue(bool force) {
  std::uint64_t digest = 0, revision = 0;
  {
    std::shared_lock lock(mutex_);
    revision = lexical_.revision();
    if (!wordsMatchEntries_ || (wordsOnDisk_ && revision == wordsSavedRevision_) ||
        (!wordsOnDisk_ && lexical_.size() == 0))
      return okStatus();
    if (!force && wordsOnDisk_ && revision - wordsSavedRevision_ < std::max<std::size_t>(kWordSaveEvery, lexical_.size() / 10))
      return okStatus();
    digest = memoryEntriesDigest(entries_);
  }
  if (auto s = saveLexicalIndex(paths_.wordIndex(), lexical_, digest); !s)
    return s;
  std::unique_lock lock(mutex_);
  wordsOnDisk_ = true;
  wordsSavedRevision_ = revision;
  return okStatus();
}

Status LongTermMemory::flush() {
  (void)saveWordsIfDue(true); // a cache: failing to save it costs a rebuild at the next open
  auto saved = saveIndexIfDue(true);
  if (saved)
    stampIfVerified(); // a cache too: without it the next open checks every entry
  return saved;
}

} // namespace recurrent::engine
