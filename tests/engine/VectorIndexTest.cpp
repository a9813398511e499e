#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <random>
#include <thread>

using namespace recurrent;
using namespace recurrent::engine;

namespace {

Vector randomVector(std::mt19937 &rng, int dim) {
  std::normal_distribution<float> d;
  Vector v(static_cast<std::size_t>(dim));
  for (auto &x : v)
    x = d(rng);
  return v;
}

VectorIndex::Options options(int dim = 16) { return {dim, "test-embedder", 16, 100, 32}; }

} // namespace

TEST_CASE("VectorIndex: empty index, k = 0 and k larger than the count") {
  VectorIndex index(options());
  std::mt19937 rng(1);
  CHECK(index.search(randomVector(rng, 16), 3).empty());
  REQUIRE(index.add({7, 8}, {randomVector(rng, 16), randomVector(rng, 16)}, {1, 1}).ok());
  CHECK(index.search(randomVector(rng, 16), 0).empty());
  auto hits = index.search(randomVector(rng, 16), 50);
  CHECK(hits.size() == 2);
  CHECK(hits[0].score >= hits[1].score);
  CHECK(index.search(Vector(3, 1.0f), 3).empty()); // wrong dimension: nothing, no crash
  auto bad = index.add({9}, {Vector(3, 1.0f)}, {1});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::InvalidArgument);
  CHECK(index.size() == 2);
}

TEST_CASE("VectorIndex: add, search, overwrite, remove, grow") {
  VectorIndex index(options());
  std::mt19937 rng(2);
  std::vector<Vector> vs;
  std::vector<std::uint64_t> ids, versions;
  for (std::uint64_t i = 0; i < 500; ++i) { // well past the initial capacity: the index must grow
    vs.push_back(randomVector(rng, 16));
    ids.push_back(1000 + i);
    versions.push_back(i);
  }
  REQUIRE(index.add(ids, vs, versions).ok());
  CHECK(index.size() == 500);
  for (std::size_t i = 0; i < 500; i += 37) {
    auto hits = index.search(vs[i], 1);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].id == ids[i]);
    CHECK(hits[0].score == doctest::Approx(1.0f).epsilon(1e-4));
  }
  // Overwrite: the id now answers to its new vector.
  auto replacement = randomVector(rng, 16);
  REQUIRE(index.add({ids[3]}, {replacement}, {99}).ok());
  CHECK(index.size() == 500);
  CHECK(index.version(ids[3]) == 99u);
  CHECK(index.search(replacement, 1).at(0).id == ids[3]);
  // Remove: gone from results; removing twice or an unknown id is harmless.
  CHECK(index.remove(ids[5]));
  CHECK_FALSE(index.remove(ids[5]));
  CHECK_FALSE(index.remove(424242));
  CHECK(index.size() == 499);
  CHECK_FALSE(index.contains(ids[5]));
  for (const auto &hit : index.search(vs[5], 20))
    CHECK(hit.id != ids[5]);
  // A new id reuses the removed slot; the removed id can come back too.
  REQUIRE(index.add({77}, {vs[5]}, {1}).ok());
  CHECK(index.search(vs[5], 1).at(0).id == 77u);
  REQUIRE(index.add({ids[5]}, {randomVector(rng, 16)}, {2}).ok());
  CHECK(index.size() == 501);
}

TEST_CASE("VectorIndex: save and load round trip, corrupt files rejected") {
  test::TempDir dir;
  auto graph = dir / "v.hnsw", meta = dir / "v.json";
  std::mt19937 rng(3);
  std::vector<Vector> vs;
  {
    VectorIndex index(options());
    for (std::uint64_t i = 0; i < 100; ++i) {
      vs.push_back(randomVector(rng, 16));
      REQUIRE(index.add({0xfeedface00000000ULL + i}, {vs.back()}, {i * 3}).ok());
    }
    index.remove(0xfeedface00000000ULL + 10);
    auto saved = index.save(graph, meta);
    std::string why = saved.ok() ? "" : saved.error().message;
    INFO(why);
    REQUIRE(saved.ok());
  }
  auto loaded = VectorIndex::load(graph, meta);
  REQUIRE(loaded.ok());
  VectorIndex &index = **loaded;
  CHECK(index.size() == 99);
  CHECK(index.options().embedderId == "test-embedder");
  CHECK(index.options().dimension == 16);
  CHECK(index.version(0xfeedface00000000ULL + 20) == 60u);
  CHECK_FALSE(index.contains(0xfeedface00000000ULL + 10));
  CHECK(index.search(vs[20], 1).at(0).id == 0xfeedface00000000ULL + 20);
  // The loaded index keeps working: add (into the freed slot), search, save again.
  REQUIRE(index.add({1}, {vs[10]}, {5}).ok());
  CHECK(index.search(vs[10], 1).at(0).id == 1u);
  REQUIRE(index.save(graph, meta).ok());
  CHECK((*VectorIndex::load(graph, meta))->size() == 100);

  SUBCASE("a truncated graph file") {
    auto bytes = readFile(graph);
    REQUIRE(writeFileAtomically(graph, bytes->substr(0, bytes->size() / 2)).ok());
    auto r = VectorIndex::load(graph, meta);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Corrupt);
  }
  SUBCASE("a mangled sidecar") {
    REQUIRE(writeFileAtomically(meta, "{\"format\": 1, \"dim\": \"x\"").ok());
    CHECK(VectorIndex::load(graph, meta).error().kind == ErrorKind::Corrupt);
  }
  SUBCASE("garbage of the right size") {
    auto bytes = readFile(graph);
    REQUIRE(writeFileAtomically(graph, std::string(bytes->size(), '\x7f')).ok());
    CHECK(VectorIndex::load(graph, meta).error().kind == ErrorKind::Corrupt);
  }
  SUBCASE("a sidecar without a digest, from an older recurrent") {
    auto sidecar = nlohmann::json::parse(*readFile(meta));
    sidecar["format"] = 2;
    sidecar.erase("xxh3");
    REQUIRE(writeFileAtomically(meta, sidecar.dump()).ok());
    auto r = VectorIndex::load(graph, meta);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::Corrupt);
    CHECK(r.error().message.find("older recurrent") != std::string::npos);
  }
  SUBCASE("missing files") {
    CHECK(VectorIndex::load(dir / "none.hnsw", dir / "none.json").error().kind == ErrorKind::Io);
  }
}

TEST_CASE("VectorIndex: searches run while another thread adds and removes") {
  VectorIndex index(options(32));
  std::mt19937 rng(4);
  std::vector<Vector> seed;
  for (std::uint64_t i = 0; i < 50; ++i) {
    seed.push_back(randomVector(rng, 32));
    REQUIRE(index.add({i}, {seed.back()}, {0}).ok());
  }
  std::atomic<bool> done{false};
  std::atomic<int> searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&, t] {
      std::mt19937 local(100 + t);
      while (!done.load()) {
        auto hits = index.search(randomVector(local, 32), 5);
        if (hits.size() == 5)
          ++searches;
      }
    });
  std::mt19937 writerRng(5);
  std::size_t removed = 0;
  for (std::uint64_t i = 50; i < 1500; ++i) {
    REQUIRE(index.add({i}, {randomVector(writerRng, 32)}, {0}).ok());
    while (i == 750 && searches.load() == 0) // flat adds are quick: make sure reads overlap them
      std::this_thread::yield();
    if (i % 7 == 0)
      removed += index.remove(i - 40);
  }
  done = true;
  for (auto &t : readers)
    t.join();
  CHECK(searches.load() > 0);
  CHECK(index.size() == 1500 - removed);
  CHECK(index.search(seed[1], 1).at(0).id == 1u);
}

TEST_CASE("VectorIndex: one large add() finds every vector, a repeated id keeps its last vector") {
  VectorIndex index(options(24));
  std::mt19937 rng(6);
  std::vector<Vector> vs;
  std::vector<std::uint64_t> ids, versions;
  for (std::uint64_t i = 0; i < 1200; ++i) {
    vs.push_back(randomVector(rng, 24));
    ids.push_back(i * 11);
    versions.push_back(i);
  }
  ids[700] = ids[10]; // the same id twice in one call: the later vector wins
  REQUIRE(index.add(ids, vs, versions).ok());
  CHECK(index.size() == 1199);
  CHECK(index.version(ids[10]) == 700u);
  CHECK(index.search(vs[700], 1).at(0).id == ids[10]);
  int found = 0;
  for (std::size_t i = 0; i < vs.size(); i += 10)
    found += i == 10 || index.search(vs[i], 1).at(0).id == ids[i];
  CHECK(found == 120);
}

TEST_CASE("VectorIndex: past exactLimit the graph is built from the flat vectors, keeping ids and removals") {
  test::TempDir dir;
  auto o = options(16);
  o.exactLimit = 100;
  VectorIndex index(o);
  std::mt19937 rng(7);
  std::vector<Vector> vs;
  for (std::uint64_t i = 0; i < 90; ++i) {
    vs.push_back(randomVector(rng, 16));
    REQUIRE(index.add({i}, {vs.back()}, {i}).ok());
  }
  CHECK(index.remove(5));
  CHECK_FALSE(index.usesGraph());
  REQUIRE(index.save(dir / "flat.bin", dir / "flat.json").ok());
  auto flat = VectorIndex::load(dir / "flat.bin", dir / "flat.json");
  REQUIRE(flat.ok());
  CHECK_FALSE((*flat)->usesGraph());
  CHECK((*flat)->size() == 89);
  CHECK((*flat)->search(vs[40], 1).at(0).id == 40u);
  for (const auto &hit : (*flat)->search(vs[5], 89))
    CHECK(hit.id != 5u);

  for (std::uint64_t i = 90; i < 300; ++i) {
    vs.push_back(randomVector(rng, 16));
    REQUIRE(index.add({i}, {vs.back()}, {i}).ok());
  }
  CHECK(index.usesGraph());
  CHECK(index.size() == 299);
  CHECK_FALSE(index.contains(5));
  for (std::uint64_t i = 0; i < 300; i += 13)
    if (i != 5)
      CHECK(index.search(vs[i], 1).at(0).id == i);
  for (const auto &hit : index.search(vs[5], 50))
    CHECK(hit.id != 5u);
  REQUIRE(index.save(dir / "graph.bin", dir / "graph.json").ok());
  auto graph = VectorIndex::load(dir / "graph.bin", dir / "graph.json");
  REQUIRE(graph.ok());
  CHECK((*graph)->usesGraph());
  CHECK((*graph)->size() == 299);
  CHECK((*graph)->search(vs[200], 1).at(0).id == 200u);
}

TEST_CASE("VectorIndex: vectors of a later save beside the sidecar of an earlier one are rejected") {
  // A save renames the vector file, then the sidecar: a kill in between pairs new
  // vectors with the old sidecar. Reusing a freed slot keeps the file size the same.
  test::TempDir dir;
  std::mt19937 rng(11);
  for (std::size_t exactLimit : {std::size_t{1000}, std::size_t{10}}) {
    CAPTURE(exactLimit);
    auto o = options();
    o.exactLimit = exactLimit;
    VectorIndex index(o);
    for (std::uint64_t i = 0; i < 50; ++i)
      REQUIRE(index.add({i}, {randomVector(rng, 16)}, {1}).ok());
    CHECK(index.usesGraph() == (exactLimit < 50));
    auto vectors = dir / "v.bin", sidecar = dir / "v.json";
    REQUIRE(index.save(vectors, sidecar).ok());
    REQUIRE(index.remove(7));
    REQUIRE(index.add({99}, {randomVector(rng, 16)}, {1}).ok());
    auto laterVectors = dir / "later.bin", laterSidecar = dir / "later.json";
    REQUIRE(index.save(laterVectors, laterSidecar).ok());
    auto later = readFile(laterVectors);
    REQUIRE(later->size() == readFile(vectors)->size());
    REQUIRE(VectorIndex::load(laterVectors, laterSidecar).ok());

    REQUIRE(writeFileAtomically(vectors, *later).ok());
    auto torn = VectorIndex::load(vectors, sidecar);
    REQUIRE_FALSE(torn.ok());
    CHECK(torn.error().kind == ErrorKind::Corrupt);
    CHECK(torn.error().message.find("interrupted") != std::string::npos);
  }
}

TEST_CASE("VectorIndex: a flat index of thousands answers exactly, through its 8-bit first pass too") {
  constexpr int kDim = 64;
  std::mt19937 rng(1607);
  std::vector<std::uint64_t> ids;
  std::vector<Vector> vectors;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    ids.push_back(i + 1);
    vectors.push_back(randomVector(rng, kDim));
  }
  VectorIndex index(options(kDim));
  REQUIRE(index.add(ids, vectors, std::vector<std::uint64_t>(ids.size(), 0)).ok());
  for (std::uint64_t id = 1; id <= 3000; id += 7)
    index.remove(id);
  auto exactTop = [&](const Vector &query, std::size_t k) {
    std::vector<std::pair<double, std::uint64_t>> all;
    double qn = 0;
    for (float x : query)
      qn += double(x) * x;
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      if (ids[i] % 7 == 1)
        continue; // removed
      double dot = 0, vn = 0;
      for (int j = 0; j < kDim; ++j) {
        dot += double(query[static_cast<std::size_t>(j)]) * vectors[i][static_cast<std::size_t>(j)];
        vn += double(vectors[i][static_cast<std::size_t>(j)]) * vectors[i][static_cast<std::size_t>(j)];
      }
      all.push_back({-dot / std::sqrt(qn * vn), ids[i]});
    }
    std::sort(all.begin(), all.end());
    std::vector<std::uint64_t> out;
    for (std::size_t r = 0; r < k; ++r)
      out.push_back(all[r].second);
    return out;
  };
  test::TempDir dir;
  REQUIRE(index.save(dir / "v.bin", dir / "v.json").ok());
  auto loaded = VectorIndex::load(dir / "v.bin", dir / "v.json");
  REQUIRE(loaded.ok());
  for (int q = 0; q < 40; ++q) {
    Vector query = randomVector(rng, kDim);
    for (std::size_t k : {1, 10, 40}) {
      auto expected = exactTop(query, k);
      for (const VectorIndex *searched : {&index, loaded->get()}) {
        std::vector<std::uint64_t> got;
        for (const auto &h : searched->search(query, k))
          got.push_back(h.id);
        CHECK(got == expected);
      }
    }
  }
}
