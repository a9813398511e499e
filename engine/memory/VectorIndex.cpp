// The only translation unit that includes hnswlib (see VectorIndex.h): exact scan below a size, graph above.
#include "engine/memory/VectorIndex.h"

#include "support/Files.h"

#include <hnswlib/hnswlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>
#include <xxhash.h>

namespace recurrent::engine {
namespace fs = std::filesystem;
using Hnsw = hnswlib::HierarchicalNSW<float>;
using Label = hnswlib::labeltype;

namespace {

// 3 added the digest. Older sidecars are rebuilt rather than trusted: with the digest,
// hnswlib's unchecked loader only ever reads bytes this program wrote.
constexpr int kFormat = 3;
constexpr std::size_t kInitialCapacity = 64;

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<std::uint64_t> parseHex(const nlohmann::json &j) {
  if (!j.is_string())
    return std::nullopt;
  const auto &s = j.get_ref<const std::string &>();
  if (s.empty() || s.size() > 16)
    return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0)
      return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

void normalise(float *v, std::size_t n) {
  double norm = 0;
  for (std::size_t i = 0; i < n; ++i)
    norm += double(v[i]) * v[i];
  if (norm <= 0)
    return;
  float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (std::size_t i = 0; i < n; ++i)
    v[i] *= inv;
}

/// The sidecar records this digest of the vector file: a save killed between its two
/// renames leaves new vectors beside the old sidecar, often of the same size, which
/// would otherwise load and answer searches with the wrong paragraphs.
std::string digest(std::string_view bytes) { return hex(XXH3_64bits(bytes.data(), bytes.size())); }

/// Asks for transparent huge pages over the whole 2 MiB pages inside [p, p + bytes), before they are touched.
void adviseHugePages(void *p, std::size_t bytes) {
  constexpr std::uintptr_t kHuge = 2u << 20;
  auto begin = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (end > begin)
    (void)::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE); // advice only
}

/// Reads exactly `bytes` bytes of `path` into `out`; Corrupt when the file holds another number.
Status readExactly(const fs::path &path, void *out, std::size_t bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error{ErrorKind::Io, "cannot open " + path.string() + ": " + std::strerror(errno)};
  auto *at = static_cast<char *>(out);
  std::size_t done = 0;
  char extra = 0;
  while (done < bytes) {
    ssize_t n = ::read(fd, at + done, bytes - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Error{ErrorKind::Io, "cannot read " + path.string() + ": " + std::strerror(err)};
    }
    if (n == 0)
      break;
    done += static_cast<std::size_t>(n);
  }
  const bool exact = done == bytes && ::read(fd, &extra, 1) == 0;
  ::close(fd);
  if (!exact)
    return Error{ErrorKind::Corrupt, "the vector file changed while it was read"};
  return okStatus();
}

/// `v` in 8 bits: round(v·127/max|v|); returns the scale that multiplies them back (0 for a zero vector).
float quantiseInto(const float *v, std::size_t n, std::int8_t *out) {
  float top = 0;
  for (std::size_t i = 0; i < n; ++i)
    top = std::max(top, std::abs(v[i]));
  const float to = top > 0 ? 127.0f / top : 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    // std::lround (half away from zero) without its library call: y - trunc(y) is exact in float,
    // so this rounds every value exactly as lround does, and a loaded index quantises 5M floats fast.
    const float y = v[i] * to;
    const float t = std::trunc(y);
    const float d = y - t;
    out[i] = static_cast<std::int8_t>(static_cast<int>(t) + (d >= 0.5f) - (d <= -0.5f));
  }
  return top / 127.0f;
}

// The search's first pass is this loop over every vector: on x86-64, a copy for AVX2 (twice the
// width), picked at load time where the processor has it. Integer sums: the same answer either way.
// Not under ThreadSanitizer: the instrumented resolver would run before its runtime has started.
#if defined(__SANITIZE_THREAD__)
#define RECURRENT_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RECURRENT_THREAD_SANITIZER 1
#endif
#endif
#if defined(__x86_64__) && !defined(RECURRENT_THREAD_SANITIZER)
__attribute__((target_clones("avx2", "default")))
#endif
std::int32_t dot8(const std::int8_t *a, const std::int8_t *b, std::size_t n) {
  std::int32_t sum = 0; // a plain loop the compiler vectorises (16-bit products, 32-bit sums)
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<std::int16_t>(a[i]) * static_cast<std::int16_t>(b[i]);
  return sum;
}

/// The byte size saveIndex() produces, so a torn or foreign file is caught before hnswlib reads it.
std::uint64_t expectedFileSize(const Hnsw &h) {
  // Header: ten size_t fields, maxlevel_ (int), enterpoint_node_ (tableint), mult_ (double).
  std::uint64_t size = 10 * sizeof(std::size_t) + sizeof(int) + sizeof(hnswlib::tableint) + sizeof(double);
  size += h.cur_element_count * h.size_data_per_element_;
  for (std::size_t i = 0; i < h.cur_element_count; ++i)
    size += sizeof(unsigned) + (h.element_levels_[i] > 0 ? h.size_links_per_element_ * h.element_levels_[i] : 0);
  return size;
}

Status syncFile(const fs::path &path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return Error{ErrorKind::Io, "cannot reopen " + path.string() + " to flush it"};
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return Error{ErrorKind::Io, "cannot flush " + path.string()};
  return okStatus();
}

} // namespace

struct VectorIndex::Impl {
  struct Slot {
    Label label;
    std::uint64_t version;
  };
  std::unique_ptr<hnswlib::InnerProductSpace> space;
  std::unique_ptr<Hnsw> hnsw;          ///< null while the index is flat
  std::vector<float> flat;             ///< flat: slot-major unit vectors (dimension floats per slot)
  std::vector<char> dead;              ///< flat: tombstones, one per slot (a free slot is dead)
  std::unordered_map<std::uint64_t, Slot> byId;
  std::vector<std::uint64_t> idOfLabel; ///< label -> id (meaningless for free labels)
  std::vector<Label> freeLabels;        ///< deleted labels, reused by new ids
  // glibc's rwlock prefers readers: back-to-back searches would starve a writer
  // forever. Writers hold `gate` while they wait and write; readers pass through it.
  /// flat: each row in 8 bits (x·127/max|x|) and its scale, for the search's first pass.
  std::vector<std::int8_t> coarse;
  std::vector<float> coarseScale;
  std::size_t dimension = 0;
  std::size_t slots() const { return hnsw ? hnsw->cur_element_count : dead.size(); }
  const float *row(Label slot) const { return flat.data() + slot * dimension; }
  /// Writes the 8-bit copy of row `slot` (coarse grown to fit).
  void quantise(Label slot) {
    if (coarse.size() < flat.size()) {
      coarse.resize(flat.size());
      coarseScale.resize(flat.size() / dimension);
    }
    coarseScale[slot] = quantiseInto(row(slot), dimension, coarse.data() + slot * dimension);
  }
  /// Moves the flat vectors into a new hnsw graph (dead slots stay as deleted points).
  Status buildGraph(const Options &o);

  mutable std::mutex gate;
  mutable std::shared_mutex mutex;

  struct ReadLock {
    explicit ReadLock(const Impl &impl) {
      std::lock_guard g(impl.gate);
      lock = std::shared_lock(impl.mutex);
    }
    std::shared_lock<std::shared_mutex> lock;
  };
  struct WriteLock {
    explicit WriteLock(const Impl &impl) : gate(impl.gate), lock(impl.mutex) {}
    std::lock_guard<std::mutex> gate;
    std::unique_lock<std::shared_mutex> lock;
  };
};

Status VectorIndex::Impl::buildGraph(const Options &o) {
  std::size_t count = dead.size();
  try {
    auto graph = std::make_unique<Hnsw>(space.get(), std::max(count, kInitialCapacity), static_cast<std::size_t>(o.m),
                                        static_cast<std::size_t>(o.efConstruction));
    graph->setEf(static_cast<std::size_t>(o.ef));
    // One thread only: hnswlib 0.6.2 draws each new point's level from an unguarded
    // shared generator (a data race under TSan).
    for (Label slot = 0; slot < count; ++slot)
      graph->addPoint(row(slot), slot);
    for (Label slot = 0; slot < count; ++slot)
      if (dead[slot])
        graph->markDelete(slot);
    hnsw = std::move(graph);
  } catch (const std::exception &e) {
    return Error{ErrorKind::Internal, std::string("cannot build the vector graph: ") + e.what()};
  }
  std::vector<float>().swap(flat);
  std::vector<char>().swap(dead);
  std::vector<std::int8_t>().swap(coarse);
  std::vector<float>().swap(coarseScale);
  return okStatus();
}

VectorIndex::VectorIndex(Options options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  options_.dimension = std::max(1, options_.dimension);
  impl_->dimension = static_cast<std::size_t>(options_.dimension);
  impl_->space = std::make_unique<hnswlib::InnerProductSpace>(impl_->dimension);
}

VectorIndex::~VectorIndex() = default;

Result<std::unique_ptr<VectorIndex>> VectorIndex::load(const fs::path &indexPath, const fs::path &metaPath) {
  auto metaText = readFile(metaPath);
  if (!metaText)
    return metaText.error();
  auto corrupt = [&](const std::string &why) {
    return Error{ErrorKind::Corrupt, "vector index " + metaPath.string() + ": " + why};
  };
  nlohmann::json meta = nlohmann::json::parse(*metaText, nullptr, false);
  if (meta.is_discarded() || !meta.is_object())
    return corrupt("not a JSON object");
  Options o;
  std::uint64_t bytes = 0;
  std::string expectedDigest;
  bool flat = false;
  try {
    int format = meta.value("format", 0);
    if (format > 0 && format < kFormat)
      return corrupt("written by an older recurrent (format " + std::to_string(format) + ")");
    if (format != kFormat || meta.value("metric", "") != "cosine")
      return corrupt("unknown format or metric");
    std::string storage = meta.at("storage").get<std::string>();
    if (storage != "hnsw" && storage != "flat")
      return corrupt("unknown storage " + storage);
    flat = storage == "flat";
    o.dimension = meta.at("dim").get<int>();
    o.m = meta.at("M").get<int>();
    o.efConstruction = meta.at("ef_construction").get<int>();
    o.ef = meta.at("ef").get<int>();
    o.embedderId = meta.at("embedder").get<std::string>();
    bytes = meta.at("bytes").get<std::uint64_t>();
    expectedDigest = meta.at("xxh3").get<std::string>();
  } catch (const nlohmann::json::exception &e) {
    return corrupt(std::string("missing or wrong field (") + e.what() + ")");
  }
  if (o.dimension <= 0 || o.dimension > 65536 || o.m < 2 || o.m > 1024 || o.ef < 1 || o.efConstruction < 1)
    return corrupt("parameters out of range");
  std::error_code ec;
  auto actual = fs::file_size(indexPath, ec);
  if (ec)
    return Error{ErrorKind::Io, "cannot read " + indexPath.string()};
  if (actual != bytes)
    return corrupt("the vector file has " + std::to_string(actual) + " bytes, the sidecar expects " +
                   std::to_string(bytes));

  auto index = std::unique_ptr<VectorIndex>(new VectorIndex(o));
  Impl &impl = *index->impl_;
  std::size_t count = 0;
  if (flat) {
    const std::size_t rowBytes = impl.dimension * sizeof(float);
    if (bytes % rowBytes != 0)
      return corrupt("the vector file is not a whole number of vectors");
    count = bytes / rowBytes;
    // Straight into the vectors' own storage: no second copy of a novel's 20+ MB, in huge
    // pages where the kernel offers them (a page fault per 4 KiB dominated opening a novel).
    impl.flat.reserve(count * impl.dimension);
    adviseHugePages(impl.flat.data(), impl.flat.capacity() * sizeof(float));
    impl.flat.resize(count * impl.dimension);
    if (auto s = readExactly(indexPath, impl.flat.data(), bytes); !s)
      return s.error().kind == ErrorKind::Corrupt ? corrupt(s.error().message) : s.error();
    if (digest({reinterpret_cast<const char *>(impl.flat.data()), bytes}) != expectedDigest)
      return corrupt("the vector file is not the one the sidecar describes (a save was interrupted?)");
    impl.dead.assign(count, 1);
    // No norm is checked again here: the digest above proves these are the bytes save() wrote, and
    // add() normalised every one of them before.
    for (std::size_t slot = 0; slot < count; ++slot)
      impl.quantise(static_cast<Label>(slot));
  } else {
    auto data = readFile(indexPath);
    if (!data)
      return data.error();
    if (data->size() != bytes)
      return corrupt("the vector file changed while it was read");
    if (digest(*data) != expectedDigest)
      return corrupt("the vector file is not the one the sidecar describes (a save was interrupted?)");
    std::string().swap(*data); // hnswlib reads the graph from its path; don't hold two copies
    // hnswlib 0.6.2's loading constructor leaves num_deleted_ (and, if loading
    // fails, every pointer) uninitialised: construct empty, initialise, then load.
    auto loaded = std::make_unique<Hnsw>(impl.space.get());
    loaded->num_deleted_ = 0;
    loaded->cur_element_count = 0;
    loaded->data_level0_memory_ = nullptr;
    loaded->linkLists_ = nullptr;
    loaded->visited_list_pool_ = nullptr;
    try {
      loaded->loadIndex(indexPath.string(), impl.space.get());
    } catch (const std::exception &e) {
      loaded->cur_element_count = 0; // so the destructor frees only what was allocated
      return corrupt(std::string("the graph file is unreadable (") + e.what() + ")");
    }
    auto expectedElement = loaded->size_links_level0_ + impl.space->get_data_size() + sizeof(Label);
    if (loaded->size_data_per_element_ != expectedElement || expectedFileSize(*loaded) != bytes)
      return corrupt("the graph file does not match the sidecar's dimension");
    loaded->setEf(static_cast<std::size_t>(o.ef));
    count = loaded->cur_element_count;
    impl.hnsw = std::move(loaded);
  }

  try {
    const auto &entries = meta.at("entries");
    const auto &freeLabels = meta.at("free");
    impl.idOfLabel.assign(count, 0);
    std::vector<bool> seen(count, false);
    impl.byId.reserve(entries.size());
    for (const auto &e : entries) {
      auto id = parseHex(e.at(0));
      auto label = e.at(1).get<std::uint64_t>();
      auto version = parseHex(e.at(2));
      if (!id || !version || label >= count || seen[label])
        return corrupt("bad entry " + e.dump());
      if (impl.hnsw) {
        auto it = impl.hnsw->label_lookup_.find(label);
        if (it == impl.hnsw->label_lookup_.end() || impl.hnsw->isMarkedDeleted(it->second))
          return corrupt("entry " + e.dump() + " is not in the graph");
      } else {
        impl.dead[label] = 0;
      }
      seen[label] = true;
      impl.idOfLabel[label] = *id;
      if (!impl.byId.emplace(*id, Impl::Slot{label, *version}).second)
        return corrupt("duplicate id " + hex(*id));
    }
    for (const auto &f : freeLabels) {
      auto label = f.get<std::uint64_t>();
      if (label >= count || seen[label])
        return corrupt("bad free label");
      seen[label] = true;
      impl.freeLabels.push_back(label);
    }
    if (impl.byId.size() + impl.freeLabels.size() != count ||
        (impl.hnsw && impl.hnsw->num_deleted_ != impl.freeLabels.size()))
      return corrupt("the sidecar and the vectors disagree on the number of vectors");
  } catch (const nlohmann::json::exception &e) {
    return corrupt(std::string("bad entries (") + e.what() + ")");
  }
  return index;
}

Status VectorIndex::add(const std::vector<std::uint64_t> &ids, const std::vector<Vector> &vectors,
                        const std::vector<std::uint64_t> &versions) {
  if (ids.size() != vectors.size() || ids.size() != versions.size())
    return Error{ErrorKind::InvalidArgument, "ids, vectors and versions differ in length"};
  for (const auto &v : vectors)
    if (v.size() != static_cast<std::size_t>(options_.dimension))
      return Error{ErrorKind::InvalidArgument, "vector of dimension " + std::to_string(v.size()) +
                                                   " for an index of dimension " + std::to_string(options_.dimension)};
  Impl::WriteLock lock(*impl_);
  Impl &impl = *impl_;
  // Grow before adding: addPoint throws on a full index.
  std::size_t fresh = 0;
  for (auto id : ids)
    fresh += impl.byId.count(id) == 0;
  std::size_t needed = impl.slots() + (fresh > impl.freeLabels.size() ? fresh - impl.freeLabels.size() : 0);
  if (impl.hnsw && needed > impl.hnsw->max_elements_) {
    try {
      impl.hnsw->resizeIndex(std::max(needed, impl.hnsw->max_elements_ * 2));
    } catch (const std::exception &e) {
      return Error{ErrorKind::Internal, std::string("cannot grow the vector index: ") + e.what()};
    }
  }
  // Labels first (single-threaded bookkeeping), then the graph insertions.
  struct Job {
    Label label;
    const Vector *vector;
  };
  std::vector<Job> jobs;
  std::unordered_map<std::uint64_t, std::size_t> jobOf; // an id twice in one call: the last vector wins
  Label nextNew = impl.slots();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Label label;
    if (auto it = impl.byId.find(ids[i]); it != impl.byId.end()) {
      label = it->second.label;
      it->second.version = versions[i];
    } else {
      if (!impl.freeLabels.empty()) {
        label = impl.freeLabels.back();
        impl.freeLabels.pop_back();
      } else {
        label = nextNew++;
        impl.idOfLabel.resize(nextNew);
      }
      impl.byId.emplace(ids[i], Impl::Slot{label, versions[i]});
      impl.idOfLabel[label] = ids[i];
    }
    if (auto [it, fresh] = jobOf.emplace(ids[i], jobs.size()); fresh)
      jobs.push_back({label, &vectors[i]});
    else
      jobs[it->second].vector = &vectors[i];
  }
  if (!impl.hnsw) {
    impl.flat.resize(nextNew * impl.dimension);
    impl.dead.resize(nextNew, 1);
    for (const auto &job : jobs) {
      float *row = impl.flat.data() + job.label * impl.dimension;
      std::copy(job.vector->begin(), job.vector->end(), row);
      normalise(row, impl.dimension);
      impl.quantise(job.label);
      impl.dead[job.label] = 0;
    }
    if (impl.slots() > options_.exactLimit)
      return impl.buildGraph(options_);
    return okStatus();
  }
  // On an existing label (a replaced or a reused free one) addPoint overwrites the
  // vector and clears the deletion mark. One thread only: hnswlib 0.6.2 draws each
  // new point's level from an unguarded shared generator (a data race under TSan).
  Vector unit;
  for (const auto &job : jobs) {
    unit = *job.vector;
    normalise(unit.data(), unit.size());
    try {
      impl.hnsw->addPoint(unit.data(), job.label);
    } catch (const std::exception &e) {
      return Error{ErrorKind::Internal, std::string("cannot add to the vector index: ") + e.what()};
    }
  }
  return okStatus();
}

bool VectorIndex::remove(std::uint64_t id) {
  Impl::WriteLock lock(*impl_);
  auto it = impl_->byId.find(id);
  if (it == impl_->byId.end())
    return false;
  // Our map says the label is live, so markDelete (which throws on unknown or
  // already deleted labels) cannot throw here; catch anyway rather than crash.
  if (!impl_->hnsw)
    impl_->dead[it->second.label] = 1;
  else
    try {
      impl_->hnsw->markDelete(it->second.label);
    } catch (const std::exception &) {
    }
  impl_->freeLabels.push_back(it->second.label);
  impl_->byId.erase(it);
  return true;
}

std::vector<VectorIndex::Hit> VectorIndex::search(const Vector &query, std::size_t k) const {
  std::vector<Hit> hits;
  if (query.size() != static_cast<std::size_t>(options_.dimension))
    return hits;
  Vector unit = query;
  normalise(unit.data(), unit.size());
  Impl::ReadLock lock(*impl_);
  const Impl &impl = *impl_;
  k = std::min(k, impl.byId.size());
  if (k == 0)
    return hits;
  if (!impl.hnsw) {
    // Exact: every live vector, keeping the k best in a min-heap on score. Past a few hundred
    // vectors a first pass over the 8-bit copies (a quarter of the bytes: a novel's vectors
    // do not stay in cache) keeps a shortlist well beyond what their rounding can reorder
    // (cosines move by ~0.005), and only the shortlist is scored exactly.
    auto distance = impl.space->get_dist_func();
    void *param = impl.space->get_dist_func_param();
    using Scored = std::pair<float, Label>;
    std::vector<Label> candidates;
    const std::size_t shortlist = std::max<std::size_t>(4 * k, k + 128);
    const bool twoPass = impl.coarse.size() == impl.flat.size() && impl.byId.size() > 2 * shortlist;
    if (twoPass) {
      thread_local std::vector<std::int8_t> q8;
      q8.resize(impl.dimension);
      quantiseInto(unit.data(), impl.dimension, q8.data()); // its scale is common to all: the order needs none
      // The shortlist's best (score, slot) pairs so far in a min-heap: most vectors fall below
      // its top at one comparison, cheaper than keeping every score and selecting after.
      std::vector<Scored> rough;
      rough.reserve(shortlist);
      for (Label slot = 0; slot < impl.dead.size(); ++slot) {
        if (impl.dead[slot])
          continue;
        Scored s{static_cast<float>(dot8(q8.data(), impl.coarse.data() + slot * impl.dimension, impl.dimension)) *
                     impl.coarseScale[slot],
                 slot};
        if (rough.size() < shortlist) {
          rough.push_back(s);
          std::push_heap(rough.begin(), rough.end(), std::greater<Scored>());
        } else if (s > rough.front()) {
          std::pop_heap(rough.begin(), rough.end(), std::greater<Scored>());
          rough.back() = s;
          std::push_heap(rough.begin(), rough.end(), std::greater<Scored>());
        }
      }
      for (const auto &r : rough)
        candidates.push_back(r.second);
      std::sort(candidates.begin(), candidates.end()); // slot order, as the full scan meets ties
    }
    std::priority_queue<Scored, std::vector<Scored>, std::greater<Scored>> best;
    const std::size_t scanned = twoPass ? candidates.size() : impl.dead.size();
    for (std::size_t i = 0; i < scanned; ++i) {
      const Label slot = twoPass ? candidates[i] : static_cast<Label>(i);
      if (impl.dead[slot])
        continue;
      float score = 1.0f - distance(unit.data(), impl.row(slot), param);
      if (best.size() < k)
        best.push({score, slot});
      else if (score > best.top().first) {
        best.pop();
        best.push({score, slot});
      }
    }
    hits.resize(best.size());
    for (std::size_t i = hits.size(); i-- > 0; best.pop())
      hits[i] = {impl.idOfLabel[best.top().second], best.top().first};
    return hits;
  }
  auto found = impl_->hnsw->searchKnnCloserFirst(unit.data(), k);
  hits.reserve(found.size());
  for (const auto &[distance, label] : found)
    hits.push_back({impl_->idOfLabel[label], 1.0f - distance});
  return hits;
}

std::size_t VectorIndex::size() const {
  Impl::ReadLock lock(*impl_);
  return impl_->byId.size();
}

bool VectorIndex::contains(std::uint64_t id) const {
  Impl::ReadLock lock(*impl_);
  return impl_->byId.count(id) > 0;
}

std::optional<std::uint64_t> VectorIndex::version(std::uint64_t id) const {
  Impl::ReadLock lock(*impl_);
  auto it = impl_->byId.find(id);
  if (it == impl_->byId.end())
    return std::nullopt;
  return it->second.version;
}

bool VectorIndex::usesGraph() const {
  Impl::ReadLock lock(*impl_);
  return impl_->hnsw != nullptr;
}

std::vector<std::uint64_t> VectorIndex::ids() const {
  Impl::ReadLock lock(*impl_);
  std::vector<std::uint64_t> out;
  out.reserve(impl_->byId.size());
  for (const auto &[id, slot] : impl_->byId)
    out.push_back(id);
  return out;
}

Status VectorIndex::save(const fs::path &indexPath, const fs::path &metaPath) const {
  // Exclusive: hnswlib's saveIndex is not synchronised with addPoint.
  Impl::WriteLock lock(*impl_);
  const Impl &impl = *impl_;
  if (auto s = ensurePrivateDirectory(indexPath.parent_path()); !s)
    return s;
  std::uint64_t bytes = 0;
  std::string fileDigest;
  if (!impl.hnsw) {
    bytes = impl.flat.size() * sizeof(float);
    std::string_view vectors(reinterpret_cast<const char *>(impl.flat.data()), bytes);
    fileDigest = digest(vectors);
    if (auto s = writeFileAtomically(indexPath, vectors); !s)
      return s;
  } else {
    fs::path tmp = indexPath;
    tmp += ".tmp-" + std::to_string(::getpid());
    bytes = expectedFileSize(*impl.hnsw);
    try {
      impl.hnsw->saveIndex(tmp.string()); // writes straight to its path and checks nothing
    } catch (const std::exception &e) {
      return Error{ErrorKind::Io, "cannot write " + tmp.string() + ": " + e.what()};
    }
    std::error_code ec;
    auto written = readFile(tmp); // hnswlib hands back no bytes: read what it wrote
    if (!written || written->size() != bytes) {
      fs::remove(tmp, ec);
      return Error{ErrorKind::Io, "cannot write " + indexPath.string() + " (" +
                                      std::to_string(written ? written->size() : 0) + " of " +
                                      std::to_string(bytes) + " bytes written; disk full?)"};
    }
    fileDigest = digest(*written);
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec); // like every state file
    if (auto s = syncFile(tmp); !s)
      return s;
    fs::rename(tmp, indexPath, ec);
    if (ec)
      return Error{ErrorKind::Io, "cannot rename " + tmp.string() + ": " + ec.message()};
  }

  nlohmann::json entries = nlohmann::json::array();
  for (const auto &[id, slot] : impl.byId)
    entries.push_back({hex(id), slot.label, hex(slot.version)});
  nlohmann::json meta = {{"format", kFormat},
                         {"storage", impl.hnsw ? "hnsw" : "flat"},
                         {"metric", "cosine"},
                         {"dim", options_.dimension},
                         {"M", options_.m},
                         {"ef_construction", options_.efConstruction},
                         {"ef", options_.ef},
                         {"embedder", options_.embedderId},
                         {"bytes", bytes},
                         {"xxh3", fileDigest},
                         {"count", impl.byId.size()},
                         {"free", impl.freeLabels},
                         {"entries", std::move(entries)}};
  return writeFileAtomically(metaPath, meta.dump());
}

} // namespace recurrent::engine
