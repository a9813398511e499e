// Benchmark of retrieval quality: can the long-term memory find the paragraph a sentence was taken from?
//
// usage: bench_retrieval [--queries N] [--seed N] [--keep] [BOOK]
// (default: War and Peace from the corpus beside the repository; skipped with a message when absent).
// N sentences (default 500) are cut out of N paragraphs of at least three sentences; the book
// without them is indexed the way `recurrent index` does it (LongTermMemory + MemoryIndexer, the
// built-in hashed embedder, extractive summaries), and each sentence is the query. A query is a hit
// when its paragraph comes back at rank 1 / in the top 5. The memory is measured three times: by
// meaning only (its vectors), by words only (its BM25 word index), and both fused (the default
// weights, and 1:1).
// The reference beside it: BM25 over the same paragraphs by SQLite FTS5, plain and Porter-stemmed.
// Prints a table, then `ROW<TAB>figure<TAB>value<TAB>target` lines for bench/run.
#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/MemoryIndexer.h"
#include "support/Files.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <unistd.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kDepth = 50;   // results asked of each method

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

/// Sentences of a paragraph: a run ending in . ! or ? (plus closing quotes or brackets) followed by
/// whitespace. Common honorifics do not end a sentence. Good enough to cut quotations out of prose.
std::vector<Span> sentences(std::string_view p) {
  static const char *kAbbrev[] = {"Mr", "Mrs", "Dr", "St", "Mme", "Mlle", "M", "Prof", "Gen", "Col", "Capt"};
  std::vector<Span> out;
  std::size_t start = 0, i = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '.' || c == '!' || c == '?') {
      std::size_t j = i + 1;
      while (j < p.size() && (p[j] == '"' || p[j] == '\'' || p[j] == ')' || p[j] == '.' || p[j] == '!' || p[j] == '?'))
        ++j;
      if (j < p.size() && (p[j] == ' ' || p[j] == '\n')) {
        std::size_t w = i;
        while (w > start && std::isalpha(static_cast<unsigned char>(p[w - 1])))
          --w;
        std::string_view word = p.substr(w, i - w);
        bool abbrev = c == '.' && std::any_of(std::begin(kAbbrev), std::end(kAbbrev),
                                              [&](const char *a) { return word == a; });
        if (!abbrev) {
          while (j < p.size() && (p[j] == ' ' || p[j] == '\n'))
            ++j;
          out.push_back({start, j});
          start = i = j;
          continue;
        }
      }
      i = j;
      continue;
    }
    ++i;
  }
  if (start < p.size())
    out.push_back({start, p.size()});
  return out;
}

std::size_t wordCount(std::string_view s) {
  std::size_t n = 0;
  bool in = false;
  for (char c : s) {
    bool letter = std::isalpha(static_cast<unsigned char>(c)) != 0;
    n += letter && !in;
    in = letter;
  }
  return n;
}

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
  int top1 = 0, top5 = 0;
  std::vector<double> ms;
  void score(const std::vector<std::size_t> &ranking, std::size_t target, double took) {
    ms.push_back(took);
    auto at = std::find(ranking.begin(), ranking.end(), target);
    top1 += at == ranking.begin() && at != ranking.end();
    top5 += at != ranking.end() && at - ranking.begin() < 5;
  }
};

} // namespace

int main(int argc, char **argv) {
  std::size_t wanted = 500;
  unsigned seed = 20261128;
  bool keep = false; // leave the sentences in place (a sanity check: recall should be near 100%)
  // The corpus sits beside the repository (or two levels up from a worktree of it).
  fs::path book = fs::path(RECURRENT_SOURCE_DIR) / ".." / "shared" / "corpus" / "war-and-peace.txt";
  if (!fs::exists(book))
    book = fs::path(RECURRENT_SOURCE_DIR) / ".." / ".." / "shared" / "corpus" / "war-and-peace.txt";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--queries" && i + 1 < argc)
      wanted = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--keep")
      keep = true;
    else if (a == "--seed" && i + 1 < argc)
      seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    else
      book = a;
  }
  auto text = readFile(book);
  if (!text) {
    std::printf("bench_retrieval: skipped, no book (%s)\n", text.error().message.c_str());
    return 0;
  }
  Manuscript original(*text);
  const auto &paragraphs = original.paragraphs();

  // Pick the paragraphs and the sentence to cut from each (at least 6 words, leaving 2 sentences).
  struct Query {
    std::size_t paragraph;
    Span cut; // absolute byte range in the original text
    std::string sentence;
  };
  std::vector<std::size_t> order(paragraphs.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Query> queries;
  for (std::size_t idx : order) {
    if (queries.size() == wanted)
      break;
    auto ptext = original.paragraphText(paragraphs[idx]);
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
  // Cut them out, back to front so offsets stay valid.
  std::vector<Query> byOffset = queries;
  std::sort(byOffset.begin(), byOffset.end(), [](auto &a, auto &b) { return a.cut.begin > b.cut.begin; });
  std::string cutText = *text;
  for (const auto &q : byOffset)
    if (!keep)
      cutText.erase(q.cut.begin, q.cut.end - q.cut.begin);
  Manuscript manuscript(cutText);
  if (manuscript.paragraphs().size() != paragraphs.size()) {
    std::fprintf(stderr, "bench_retrieval: cutting sentences changed the paragraph count (%zu -> %zu)\n",
                 paragraphs.size(), manuscript.paragraphs().size());
    return 1;
  }

  // Index the cut book as `recurrent index` would, once per weighting of the memory's two rankings.
  std::string tmpl = (fs::temp_directory_path() / "bench-retrieval-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return 1;
  const fs::path dir = tmpl;
  auto embedder = std::make_shared<HashedEmbedder>();
  ExtractiveSummarizer summarizer;
  double indexMs = 0;
  auto indexed = [&](const char *name, std::optional<float> meaning, float words) -> std::unique_ptr<LongTermMemory> {
    fs::path copy = dir / name / book.filename();
    if (!writeFileAtomically(copy, cutText)) {
      std::fprintf(stderr, "bench_retrieval: cannot write %s\n", copy.c_str());
      std::exit(1);
    }
    LongTermMemory::Options options;
    options.maxK = kDepth;
    options.meaningWeight = meaning;
    options.wordWeight = words;
    auto memory = LongTermMemory::open(StatePaths::forManuscript(copy), embedder, options);
    if (!memory) {
      std::fprintf(stderr, "bench_retrieval: %s\n", memory.error().message.c_str());
      std::exit(1);
    }
    auto t0 = std::chrono::steady_clock::now();
    MemoryIndexer indexer(**memory, summarizer);
    if (auto report = indexer.update(manuscript); !report) {
      std::fprintf(stderr, "bench_retrieval: index: %s\n", report.error().message.c_str());
      std::exit(1);
    }
    indexMs = since(t0);
    return std::move(memory.value());
  };
  struct Variant {
    Method method;
    std::unique_ptr<LongTermMemory> memory;
  };
  std::vector<Variant> variants;
  variants.push_back({{"memory by meaning only"}, indexed("meaning", 1, 0)});
  variants.push_back({{"memory by words only"}, indexed("words", 0, 1)});
  variants.push_back({{"memory, both fused (default)"}, indexed("fused", std::nullopt, 1)});
  variants.push_back({{"memory, both fused 1:1"}, indexed("even", 1, 1)});
  auto t0 = std::chrono::steady_clock::now();
  Bm25 plain(manuscript, "unicode61");
  Bm25 porter(manuscript, "porter unicode61");
  double ftsMs = since(t0);

  Method bm{"BM25 (FTS5 unicode61)"}, bmp{"BM25 (FTS5 porter)"};
  for (const auto &q : queries) {
    for (auto &v : variants) {
      auto t = std::chrono::steady_clock::now();
      auto hits = v.memory->search(q.sentence, kDepth);
      std::vector<std::size_t> ranking;
      if (hits)
        for (const auto &h : *hits)
          ranking.push_back(h.paragraph);
      v.method.score(ranking, q.paragraph, since(t));
    }
    auto t = std::chrono::steady_clock::now();
    auto plainHits = plain.search(q.sentence, kDepth);
    bm.score(plainHits, q.paragraph, since(t));
    t = std::chrono::steady_clock::now();
    auto porterHits = porter.search(q.sentence, kDepth);
    bmp.score(porterHits, q.paragraph, since(t));
  }
  std::vector<Method> methods;
  for (auto &v : variants) {
    methods.push_back(v.method);
    v.memory.reset(); // saves before the folder goes
  }
  methods.push_back(bm);
  methods.push_back(bmp);
  fs::remove_all(dir);
  const double n = static_cast<double>(queries.size());
  std::printf("retrieval of %zu sentences %s their paragraphs (%s, %zu paragraphs, seed %u)\n",
              queries.size(), keep ? "left in" : "cut from", book.filename().c_str(), paragraphs.size(), seed);
  std::printf("index: memory %.1f s (%zu paragraphs), FTS5 both tables %.1f s\n\n", indexMs / 1000,
              paragraphs.size(), ftsMs / 1000);
  std::printf("%-30s %9s %9s %12s %12s\n", "method", "recall@1", "recall@5", "query p50", "query p99");
  for (const auto &m : methods)
    std::printf("%-30s %8.1f%% %8.1f%% %9.2f ms %9.2f ms\n", m.name.c_str(), 100 * m.top1 / n, 100 * m.top5 / n,
                percentile(m.ms, 0.5), percentile(m.ms, 0.99));
  std::printf("\n");
  auto row = [](const std::string &name, double value, const char *unit, const char *target) {
    std::printf("ROW\t%s\t%.1f%s\t%s\n", name.c_str(), value, unit, target);
  };
  const Method &fused = methods[2], &porterBm25 = methods[5];
  row("retrieval recall@1 memory (default fusion)", 100 * fused.top1 / n, "%", "within 10 points of BM25");
  row("retrieval recall@5 memory (default fusion)", 100 * fused.top5 / n, "%", "within 10 points of BM25");
  row("retrieval recall@1 memory by meaning only", 100 * methods[0].top1 / n, "%", "-");
  row("retrieval recall@1 memory by words only", 100 * methods[1].top1 / n, "%", "-");
  row("retrieval recall@1 BM25 porter", 100 * porterBm25.top1 / n, "%", "reference");
  row("retrieval recall@5 BM25 porter", 100 * porterBm25.top5 / n, "%", "reference");
  row("retrieval query p50 memory (fused)", percentile(fused.ms, 0.5), " ms", "< 5 ms");
  return 0;
}
