// Benchmark of retrieval quality: can the long-term memory find what a query is about, better than BM25?
//
// usage: bench_retrieval [--queries N] [--seeds N] [--dev] [BOOK...]
// (default: War and Peace, Pride and Prejudice, Moby-Dick and Journey to the West from the corpus
// beside the repository; a book that is absent is skipped with a message).
// Cut-sentence task: for each seed, N sentences (default 500; 6+ words) are cut out of N paragraphs of
// at least three sentences; the book without them is indexed the way `recurrent index` does it
// (LongTermMemory + MemoryIndexer, the built-in hashed embedder, extractive summaries), and each
// sentence is the query. A query is a hit when its paragraph comes back at rank 1 / in the top 5.
// Product-shaped task: for a paragraph P, the query is the first sentence of P+1 (as a plan would
// announce it), P-1 and P are excluded as the prompt's recent text (with their neighbours, as a step
// excludes them), and a hit is any paragraph of P's chapter. Seeds pool (default 3: 1,500 queries).
// The memory is measured fused (default weights), by words only and by meaning only; beside it,
// BM25 over the same cut book and queries by SQLite FTS5, Porter-stemmed and plain unicode61.
// --dev runs a disjoint seed instead and sweeps the weight of the hashed vectors (how the default was chosen).
// Prints a table, then `ROW<TAB>figure<TAB>value<TAB>target` lines for bench/run.
#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/MemoryIndexer.h"
#include "engine/memory/TextFeatures.h"
#include "support/Files.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unistd.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kDepth = 50;   // results asked of each method
constexpr std::size_t kExcludeAround = 2; // as a step excludes the prompt's paragraphs

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct Span {
  std::size_t begin, end; // end includes the whitespace after the sentence
};

/// Sentences of a paragraph (text::sentences, any script), each with the whitespace after it.
std::vector<Span> sentences(std::string_view p) {
  std::vector<Span> out;
  for (auto s : text::sentences(p)) {
    std::size_t b = static_cast<std::size_t>(s.data() - p.data()), e = b + s.size();
    while (e < p.size() && (p[e] == ' ' || p[e] == '\n' || p[e] == '\r' || p[e] == '\t'))
      ++e;
    out.push_back({b, e});
  }
  return out;
}

std::size_t wordCount(std::string_view s) { return text::words(s).size(); }

/// An FTS5 query matching any of the sentence's words (each quoted, so no word is an operator).
std::string ftsQuery(std::string_view sentence) {
  std::string q, word;
  auto flush = [&] {
    if (word.empty())
      return;
    if (!q.empty())
      q += " OR ";
    q += '"' + word + '"';
    word.clear();
  };
  for (char c : sentence) {
    if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80))
      word += c;
    else
      flush();
  }
  flush();
  return q;
}

class Bm25 {
public:
  Bm25(const Manuscript &m, const char *tokenizer) {
    sqlite3_open(":memory:", &db_);
    std::string create = std::string("CREATE VIRTUAL TABLE p USING fts5(body, tokenize='") + tokenizer + "')";
    exec(create.c_str());
    exec("BEGIN");
    sqlite3_stmt *insert = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO p(rowid, body) VALUES(?, ?)", -1, &insert, nullptr);
    for (std::size_t i = 0; i < m.paragraphs().size(); ++i) {
      auto text = m.paragraphText(m.paragraphs()[i]);
      sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i));
      sqlite3_bind_text(insert, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    exec("COMMIT");
    sqlite3_prepare_v2(db_, "SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", -1, &query_, nullptr);
  }
  ~Bm25() {
    sqlite3_finalize(query_);
    sqlite3_close(db_);
  }
  std::vector<std::size_t> search(std::string_view sentence, std::size_t k) {
    std::vector<std::size_t> out;
    std::string q = ftsQuery(sentence);
    sqlite3_bind_text(query_, 1, q.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(query_, 2, static_cast<int>(k));
    while (sqlite3_step(query_) == SQLITE_ROW)
      out.push_back(static_cast<std::size_t>(sqlite3_column_int64(query_, 0)));
    sqlite3_reset(query_);
    return out;
  }

private:
  void exec(const char *sql) {
    char *err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite: %s\n", err ? err : "?");
      std::exit(1);
    }
  }
  sqlite3 *db_ = nullptr;
  sqlite3_stmt *query_ = nullptr;
};

struct Method {
  std::string name;
  int top1 = 0, top5 = 0, n = 0;
  std::vector<double> ms;
  void score(const std::vector<std::size_t> &ranking, const std::function<bool(std::size_t)> &hit, double took) {
    ms.push_back(took);
    ++n;
    for (std::size_t i = 0; i < ranking.size() && i < 5; ++i)
      if (hit(ranking[i])) {
        top1 += i == 0;
        ++top5;
        break;
      }
  }
  double at1() const { return n ? static_cast<double>(top1) / n : 0; }
  double at5() const { return n ? static_cast<double>(top5) / n : 0; }
};

struct Query {
  std::size_t paragraph;
  Span cut; // absolute byte range in the original text
  std::string sentence;
};

/// Picks `wanted` paragraphs of 3+ sentences and a sentence of 6+ words to cut from each.
std::vector<Query> pickCuts(const Manuscript &book, std::size_t wanted, unsigned seed) {
  const auto &paragraphs = book.paragraphs();
  std::vector<std::size_t> order(paragraphs.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Query> queries;
  for (std::size_t idx : order) {
    if (queries.size() == wanted)
      break;
    auto ptext = book.paragraphText(paragraphs[idx]);
    auto spans = sentences(ptext);
    if (spans.size() < 3)
      continue;
    std::vector<Span> good;
    for (auto s : spans)
      if (wordCount(ptext.substr(s.begin, s.end - s.begin)) >= 6)
        good.push_back(s);
    if (good.empty())
      continue;
    Span s = good[rng() % good.size()];
    std::string sentence(ptext.substr(s.begin, s.end - s.begin));
    while (!sentence.empty() && std::isspace(static_cast<unsigned char>(sentence.back())))
      sentence.pop_back();
    std::replace(sentence.begin(), sentence.end(), '\n', ' ');
    queries.push_back({idx, {paragraphs[idx].begin + s.begin, paragraphs[idx].begin + s.end}, sentence});
  }
  return queries;
}

/// Paragraphs P whose next paragraph is in the same chapter and opens with a sentence of 6+ words;
/// the query is that sentence.
std::vector<Query> pickPlans(const Manuscript &book, std::size_t wanted, unsigned seed) {
  const auto &paragraphs = book.paragraphs();
  std::vector<std::size_t> order;
  for (std::size_t i = 2; i + 1 < paragraphs.size(); ++i)
    if (paragraphs[i].chapter >= 0 && paragraphs[i + 1].chapter == paragraphs[i].chapter)
      order.push_back(i);
  std::mt19937 rng(seed ^ 0x5eedu);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Query> out;
  for (std::size_t p : order) {
    if (out.size() == wanted)
      break;
    auto next = book.paragraphText(paragraphs[p + 1]);
    auto spans = sentences(next);
    if (spans.empty() || wordCount(next.substr(spans[0].begin, spans[0].end - spans[0].begin)) < 6)
      continue;
    std::string sentence(next.substr(spans[0].begin, spans[0].end - spans[0].begin));
    std::replace(sentence.begin(), sentence.end(), '\n', ' ');
    out.push_back({p, {0, 0}, sentence});
  }
  return out;
}

struct BookResult {
  std::string book;
  std::size_t paragraphs = 0;
  Method fused{"memory, fused (default)"}, words{"memory, words only"}, meaning{"memory, vectors only"},
      porter{"BM25 FTS5 porter"}, plain{"BM25 FTS5 unicode61"};
  Method planFused{"plan task: memory, fused"}, planPorter{"plan task: FTS5 porter"},
      planPlain{"plan task: FTS5 unicode61"};
  double indexMs = 0;
  std::vector<std::pair<float, Method>> sweep; // --dev: hashed-vector weight -> fused result
};

std::unique_ptr<LongTermMemory> openMemory(const fs::path &copy, std::shared_ptr<Embedder> embedder,
                                           std::optional<float> meaning, float words, const Manuscript &m,
                                           double *indexMs) {
  LongTermMemory::Options options;
  options.maxK = kDepth;
  options.meaningWeight = meaning;
  options.wordWeight = words;
  auto memory = LongTermMemory::open(StatePaths::forManuscript(copy), std::move(embedder), options);
  if (!memory) {
    std::fprintf(stderr, "bench_retrieval: %s\n", memory.error().message.c_str());
    std::exit(1);
  }
  ExtractiveSummarizer summarizer;
  auto t0 = std::chrono::steady_clock::now();
  MemoryIndexer indexer(**memory, summarizer);
  if (auto report = indexer.update(m); !report) {
    std::fprintf(stderr, "bench_retrieval: index: %s\n", report.error().message.c_str());
    std::exit(1);
  }
  if (indexMs)
    *indexMs += since(t0);
  return std::move(memory.value());
}

std::vector<std::size_t> paragraphsOf(const Result<std::vector<MemoryHit>> &hits) {
  std::vector<std::size_t> out;
  if (hits)
    for (const auto &h : *hits)
      out.push_back(h.paragraph);
  return out;
}

/// One seed of one book: cuts, indexes, queries, and adds to `r`.
void runSeed(const fs::path &book, const std::string &text, std::size_t wanted, unsigned seed, bool dev,
             BookResult &r) {
  Manuscript original(text);
  const auto queries = pickCuts(original, wanted, seed);
  std::vector<Query> byOffset = queries;
  std::sort(byOffset.begin(), byOffset.end(), [](auto &a, auto &b) { return a.cut.begin > b.cut.begin; });
  std::string cutText = text;
  for (const auto &q : byOffset)
    cutText.erase(q.cut.begin, q.cut.end - q.cut.begin);
  Manuscript manuscript(cutText);
  if (manuscript.paragraphs().size() != original.paragraphs().size()) {
    std::fprintf(stderr, "bench_retrieval: cutting sentences changed the paragraph count (%zu -> %zu)\n",
                 original.paragraphs().size(), manuscript.paragraphs().size());
    std::exit(1);
  }
  r.paragraphs = manuscript.paragraphs().size();
  std::string tmpl = (fs::temp_directory_path() / "bench-retrieval-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    std::exit(1);
  const fs::path dir = tmpl;
  const fs::path copy = dir / book.filename();
  if (!writeFileAtomically(copy, cutText)) {
    std::fprintf(stderr, "bench_retrieval: cannot write %s\n", copy.c_str());
    std::exit(1);
  }
  auto embedder = std::make_shared<HashedEmbedder>();
  // The first memory summarises and embeds; the others reuse its files with other weights.
  auto fused = openMemory(copy, embedder, std::nullopt, 1, manuscript, &r.indexMs);
  auto words = openMemory(copy, embedder, 0, 1, manuscript, nullptr);
  auto meaning = openMemory(copy, embedder, 1, 0, manuscript, nullptr);
  Bm25 plain(manuscript, "unicode61");
  Bm25 porter(manuscript, "porter unicode61");

  if (dev) {
    for (float w : {0.0f, 0.05f, 0.1f, 0.2f, 0.3f, 0.5f, 1.0f}) {
      auto memory = openMemory(copy, embedder, w, 1, manuscript, nullptr);
      Method m{"fused, vectors " + std::to_string(w).substr(0, 4)};
      for (const auto &q : queries)
        m.score(paragraphsOf(memory->search(q.sentence, kDepth)), [&](std::size_t p) { return p == q.paragraph; }, 0);
      auto it = std::find_if(r.sweep.begin(), r.sweep.end(), [&](const auto &e) { return e.first == w; });
      if (it == r.sweep.end())
        r.sweep.push_back({w, m});
      else {
        it->second.top1 += m.top1;
        it->second.top5 += m.top5;
        it->second.n += m.n;
      }
    }
  }
  for (const auto &q : queries) {
    auto isTarget = [&](std::size_t p) { return p == q.paragraph; };
    auto t = std::chrono::steady_clock::now();
    auto hits = paragraphsOf(fused->search(q.sentence, kDepth));
    r.fused.score(hits, isTarget, since(t));
    t = std::chrono::steady_clock::now();
    r.words.score(paragraphsOf(words->search(q.sentence, kDepth)), isTarget, since(t));
    t = std::chrono::steady_clock::now();
    r.meaning.score(paragraphsOf(meaning->search(q.sentence, kDepth)), isTarget, since(t));
    t = std::chrono::steady_clock::now();
    r.plain.score(plain.search(q.sentence, kDepth), isTarget, since(t));
    t = std::chrono::steady_clock::now();
    r.porter.score(porter.search(q.sentence, kDepth), isTarget, since(t));
  }
  // The plan task: the prompt holds P-1 and P; the memory and FTS5 skip them and their neighbours.
  const auto &paragraphs = manuscript.paragraphs();
  for (const auto &q : pickPlans(manuscript, wanted, seed)) {
    const std::size_t p = q.paragraph;
    const int chapter = paragraphs[p].chapter;
    auto inChapter = [&](std::size_t i) { return i < paragraphs.size() && paragraphs[i].chapter == chapter; };
    auto t = std::chrono::steady_clock::now();
    r.planFused.score(paragraphsOf(fused->search(q.sentence, kDepth, {p - 1, p}, {}, kExcludeAround)), inChapter,
                      since(t));
    auto filtered = [&](std::vector<std::size_t> ranking) {
      std::erase_if(ranking, [&](std::size_t i) { return i + 1 + kExcludeAround >= p && i <= p + kExcludeAround; });
      return ranking;
    };
    r.planPorter.score(filtered(porter.search(q.sentence, kDepth)), inChapter, 0);
    r.planPlain.score(filtered(plain.search(q.sentence, kDepth)), inChapter, 0);
  }
  fused.reset();
  words.reset();
  meaning.reset();
  fs::remove_all(dir);
}

fs::path corpusBook(const char *name) {
  // The corpus sits beside the repository (or two levels up from a worktree of it).
  fs::path book = fs::path(RECURRENT_SOURCE_DIR) / ".." / "shared" / "corpus" / name;
  if (!fs::exists(book))
    book = fs::path(RECURRENT_SOURCE_DIR) / ".." / ".." / "shared" / "corpus" / name;
  return book;
}

} // namespace

int main(int argc, char **argv) {
  std::size_t wanted = 500, seeds = 3;
  bool dev = false;
  std::vector<fs::path> books;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--queries" && i + 1 < argc)
      wanted = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--seeds" && i + 1 < argc)
      seeds = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--dev")
      dev = true;
    else
      books.push_back(a);
  }
  if (books.empty())
    for (const char *name : {"war-and-peace.txt", "pride-and-prejudice.txt", "moby-dick.txt", "journey-to-the-west.txt"})
      books.push_back(corpusBook(name));
  // The reported seeds; --dev uses others, so the weights are never fitted to the reported queries.
  const unsigned firstSeed = dev ? 7700 : 20261128;
  std::vector<BookResult> results;
  for (const auto &book : books) {
    auto text = readFile(book);
    if (!text) {
      std::printf("bench_retrieval: skipped %s, no book (%s)\n", book.filename().c_str(), text.error().message.c_str());
      continue;
    }
    BookResult r;
    r.book = book.filename().string();
    for (std::size_t s = 0; s < seeds; ++s)
      runSeed(book, *text, wanted, firstSeed + static_cast<unsigned>(s), dev, r);
    r.indexMs /= static_cast<double>(seeds);
    results.push_back(std::move(r));
  }
  auto row = [](const std::string &name, const std::string &value, const char *target) {
    std::printf("ROW\t%s\t%s\t%s\n", name.c_str(), value.c_str(), target);
  };
  char buf[160];
  for (const auto &r : results) {
    std::printf("\n%s: %zu paragraphs, %d cut-sentence queries and %d plan queries over %zu seed(s)%s; index %.2f s\n",
                r.book.c_str(), r.paragraphs, r.fused.n, r.planFused.n, seeds, dev ? " (development seeds)" : "",
                r.indexMs / 1000);
    std::printf("%-30s %9s %9s %10s %10s %12s %12s\n", "method", "recall@1", "recall@5", "÷ porter", "÷ unicode61",
                "query p50", "query p99");
    auto line = [&](const Method &m, const Method &porter, const Method &plain) {
      std::printf("%-30s %8.1f%% %8.1f%% %9.2fx %10.2fx %9.3f ms %9.3f ms\n", m.name.c_str(), 100 * m.at1(),
                  100 * m.at5(), porter.at5() > 0 ? m.at5() / porter.at5() : 0, plain.at5() > 0 ? m.at5() / plain.at5() : 0,
                  percentile(m.ms, 0.5), percentile(m.ms, 0.99));
    };
    for (const Method *m : {&r.fused, &r.words, &r.meaning, &r.porter, &r.plain})
      line(*m, r.porter, r.plain);
    for (const Method *m : {&r.planFused, &r.planPorter, &r.planPlain})
      line(*m, r.planPorter, r.planPlain);
    for (const auto &[w, m] : r.sweep)
      line(m, r.porter, r.plain);
    const bool warAndPeace = r.book.starts_with("war-and-peace");
    std::snprintf(buf, sizeof buf, "%.1f%% / %.1f%% = %.2fx porter, %.2fx unicode61 (%d queries)", 100 * r.fused.at1(),
                  100 * r.fused.at5(), r.fused.at5() / std::max(1e-9, r.porter.at5()),
                  r.fused.at5() / std::max(1e-9, r.plain.at5()), r.fused.n);
    row("retrieval cut sentence recall@1 / @5, memory " + r.book, buf, warAndPeace ? ">= 1.4x porter" : ">= 1.2x porter");
    std::snprintf(buf, sizeof buf, "%.1f%% / %.1f%%, %.1f%% / %.1f%%", 100 * r.porter.at1(), 100 * r.porter.at5(),
                  100 * r.plain.at1(), 100 * r.plain.at5());
    row("same, FTS5 porter / unicode61 " + r.book, buf, "reference");
    std::snprintf(buf, sizeof buf, "%.1f%% / %.1f%% vs %.1f%% / %.1f%%", 100 * r.planFused.at1(), 100 * r.planFused.at5(),
                  100 * r.planPorter.at1(), 100 * r.planPorter.at5());
    row("plan task recall@1 / @5, memory vs FTS5 porter " + r.book, buf, "-");
    std::snprintf(buf, sizeof buf, "%.2f / %.2f ms", percentile(r.fused.ms, 0.5), percentile(r.fused.ms, 0.99));
    row("retrieval query p50 / p99 memory (fused) " + r.book, buf, "p99 < 2 ms");
  }
  return 0;
}
