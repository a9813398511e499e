// Benchmark of the offline long-term memory: index a book cold and warm, search it.
//
// usage: bench_index [--dim N] [--m N] [--ef-construction N] [--ef N] [BOOK...]
// (default: War and Peace and Journey to the West from the corpus beside the repository).
// Each book is copied into a temporary folder. Prints one table row per book: cold index
// (summaries + vectors + saving), its phases measured separately, warm index (reopen,
// nothing changed), search latency, peak RSS, and retrieval of quoted sentences: a
// sentence picked at random from a paragraph, searched, found at rank 1 / in the top 3.
#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/MemoryIndexer.h"
#include "engine/memory/TextFeatures.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

long peakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return -1;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct Row {
  std::string book;
  std::size_t paragraphs = 0;
  double summariseS = 0, embedS = 0, insertS = 0, coldS = 0, warmS = 0;
  double searchP50Ms = 0, searchP99Ms = 0;
  int queries = 0, top1 = 0, top3 = 0, exact3 = 0;
};

int run(const fs::path &book, int dimension, int efConstruction, int m, int ef, Row &row) {
  auto text = readFile(book);
  if (!text) {
    std::printf("skipped %s: %s\n", book.c_str(), text.error().message.c_str());
    return 1;
  }
  row.book = book.filename().string();
  std::string tmpl = (fs::temp_directory_path() / "bench-index-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return 1;
  fs::path dir = tmpl;
  fs::copy_file(book, dir / book.filename());
  auto paths = StatePaths::forManuscript(dir / book.filename());
  Manuscript manuscript(*text);
  const auto &paragraphs = manuscript.paragraphs();
  row.paragraphs = paragraphs.size();
  auto embedder = std::make_shared<HashedEmbedder>(dimension);
  ExtractiveSummarizer summarizer;

  // Phases alone, to see where cold time goes.
  std::vector<SummaryRequest> requests;
  for (const auto &p : paragraphs)
    requests.push_back({std::string(manuscript.paragraphText(p)), ""});
  auto t = std::chrono::steady_clock::now();
  auto summaries = summarizer.summarize(requests, "", {});
  row.summariseS = since(t);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < paragraphs.size(); ++i)
    texts.push_back(memoryEmbeddingText(requests[i].text, (*summaries)[i]));
  t = std::chrono::steady_clock::now();
  auto vectors = embedder->embed(texts, {});
  row.embedS = since(t);
  {
    VectorIndex index({dimension, embedder->id(), m, efConstruction, ef});
    std::vector<std::uint64_t> ids(paragraphs.size()), versions(paragraphs.size(), 0);
    for (std::size_t i = 0; i < ids.size(); ++i)
      ids[i] = i;
    t = std::chrono::steady_clock::now();
    (void)index.add(ids, *vectors, versions);
    row.insertS = since(t);
  }

  LongTermMemory::Options options;
  options.indexEfConstruction = efConstruction;
  options.indexM = m;
  options.indexEf = ef;
  {
    t = std::chrono::steady_clock::now();
    auto memory = LongTermMemory::open(paths, embedder, options);
    MemoryIndexer indexer(**memory, summarizer);
    auto report = indexer.update(manuscript);
    row.coldS = since(t);
    if (!report) {
      std::printf("cold index failed: %s\n", report.error().message.c_str());
      return 1;
    }
  }
  t = std::chrono::steady_clock::now();
  auto memory = LongTermMemory::open(paths, embedder, options);
  MemoryIndexer indexer(**memory, summarizer);
  auto warm = indexer.update(Manuscript(*readFile(paths.manuscript)));
  row.warmS = since(t);
  if (!warm || warm->summarisedNow || warm->embedded) {
    std::printf("warm index did work it should not have\n");
    return 1;
  }

  // Quoted sentences: a sentence of at least 8 words from a random paragraph.
  std::mt19937 rng(42);
  std::vector<double> latencies;
  for (int attempt = 0; attempt < 5000 && row.queries < 300; ++attempt) {
    std::size_t p = std::uniform_int_distribution<std::size_t>(0, paragraphs.size() - 1)(rng);
    auto sentences = text::sentences(manuscript.paragraphText(paragraphs[p]));
    if (sentences.empty())
      continue;
    auto sentence = sentences[std::uniform_int_distribution<std::size_t>(0, sentences.size() - 1)(rng)];
    if (text::words(sentence).size() < 8)
      continue;
    // The same query against every vector, exactly: what the graph's approximation costs.
    auto q = embedder->embedOne(sentence);
    std::vector<std::pair<float, std::size_t>> exact;
    for (std::size_t i = 0; i < vectors->size(); ++i) {
      float d = 0;
      for (std::size_t j = 0; j < q.size(); ++j)
        d += q[j] * (*vectors)[i][j];
      exact.push_back({-d, i});
    }
    std::partial_sort(exact.begin(), exact.begin() + std::min<std::size_t>(3, exact.size()), exact.end());
    for (std::size_t r = 0; r < std::min<std::size_t>(3, exact.size()); ++r)
      if (paragraphs[exact[r].second].hash == paragraphs[p].hash) {
        ++row.exact3;
        break;
      }
    t = std::chrono::steady_clock::now();
    auto hits = (*memory)->search(std::string(sentence), 3);
    latencies.push_back(since(t) * 1000);
    ++row.queries;
    // A hit is the paragraph itself or an identical one (same text).
    for (std::size_t r = 0; hits && r < hits->size(); ++r)
      if (paragraphs[(*hits)[r].paragraph].hash == paragraphs[p].hash) {
        row.top1 += r == 0;
        ++row.top3;
        break;
      }
  }
  row.searchP50Ms = percentile(latencies, 0.5);
  row.searchP99Ms = percentile(latencies, 0.99);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  int dimension = HashedEmbedder::kDefaultDimension, efConstruction = LongTermMemory::Options{}.indexEfConstruction;
  int m = LongTermMemory::Options{}.indexM, ef = LongTermMemory::Options{}.indexEf;
  std::vector<fs::path> books;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dim" && i + 1 < argc)
      dimension = std::atoi(argv[++i]);
    else if (a == "--ef-construction" && i + 1 < argc)
      efConstruction = std::atoi(argv[++i]);
    else if (a == "--m" && i + 1 < argc)
      m = std::atoi(argv[++i]);
    else if (a == "--ef" && i + 1 < argc)
      ef = std::atoi(argv[++i]);
    else
      books.emplace_back(a);
  }
  if (books.empty()) {
    // The corpus sits beside the repository (or beside the folder of worktrees).
    fs::path corpus = RECURRENT_SOURCE_DIR "/../shared/corpus";
    if (!fs::exists(corpus))
      corpus = RECURRENT_SOURCE_DIR "/../../shared/corpus";
    for (const char *name : {"war-and-peace.txt", "journey-to-the-west.txt"}) {
      if (fs::exists(corpus / name))
        books.push_back(corpus / name);
      else
        std::printf("skipped %s: not found under %s (pass a file path as an argument)\n", name, corpus.c_str());
    }
  }
  std::printf("hashed embedder dim %d, hnsw M %d ef_construction %d ef %d, %u hardware threads\n\n", dimension, m,
              efConstruction, ef, std::thread::hardware_concurrency());
  std::printf("| %-24s | %10s | %11s | %9s | %9s | %8s | %7s | %13s | %13s | %9s | %11s | %13s |\n", "book", "paragraphs",
              "summarise s", "embed s", "insert s", "cold s", "warm s", "search ms p50", "search ms p99",
              "top-1 %", "top-3 %", "exact top-3 %");
  std::printf("|%s|\n", std::string(166, '-').c_str());
  for (const auto &book : books) {
    Row row;
    if (run(book, dimension, efConstruction, m, ef, row) != 0)
      continue;
    std::printf("| %-24s | %10zu | %11.3f | %9.3f | %9.3f | %8.3f | %7.3f | %13.3f | %13.3f | %9.1f | %11.1f | %13.1f |\n",
                row.book.c_str(), row.paragraphs, row.summariseS, row.embedS, row.insertS, row.coldS, row.warmS,
                row.searchP50Ms, row.searchP99Ms, 100.0 * row.top1 / std::max(1, row.queries),
                100.0 * row.top3 / std::max(1, row.queries), 100.0 * row.exact3 / std::max(1, row.queries));
  }
  std::printf("\npeak RSS (VmHWM): %.1f MB\n", static_cast<double>(peakRssKb()) / 1024.0);
  return 0;
}
