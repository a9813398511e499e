// Engine overhead per step of the recurrence, excluding the model's wait.
//
// For memories of 100 to 100,000 entries, a story session runs steps against a
// zero-latency in-process model (it answers from the task's inputs at once), so the
// time measured is ours: reloading the state files, retrieval, prompt building and
// budgeting, parsing, the commit (undo snapshot, state files, memory update and the
// new paragraph's embedding). Beside it, the original RecurrentGPT's approach with
// the same embedder: re-embed every long-term memory entry each step, then a brute-
// force cosine top-k. Prints one table row per size with the ratio.
// Figures are medians over the steps; ROW lines at the end are for bench/run.
//
//   bench_step [--max N] [--steps S] [--dir PATH]
// State files are written (and fsync'ed) under --dir (default: the temp folder).
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/story/StorySession.h"
#include "engine/story/TaskPayload.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> vocabulary() {
  std::vector<std::string> words;
  std::mt19937_64 rng(1);
  const char *syllables[] = {"ka", "lo", "mir", "sen", "tha", "vel", "dor", "an", "is", "ur", "en", "wyn", "ro", "sa"};
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k)
      w += syllables[rng() % 14];
    words.push_back(w);
  }
  return words;
}

std::string paragraph(std::mt19937_64 &rng, int sentences = 4) {
  static const auto words = vocabulary();
  std::string p;
  for (int s = 0; s < sentences; ++s) {
    int n = 8 + static_cast<int>(rng() % 10);
    for (int i = 0; i < n; ++i) {
      std::string w = words[rng() % words.size()];
      if (i == 0)
        w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      p += (p.empty() || i == 0 ? (p.empty() ? "" : " ") : " ") + w;
    }
    p += ".";
  }
  return p;
}

/// Answers each task at once, built from its inputs: no network, no waiting.
class ZeroLatencyModel final : public ChatModel {
public:
  Result<ChatResult> chat(const ChatRequest &request, const CancelToken &, const ChatCallbacks &) override {
    const TaskPayload &p = *request.payload;
    std::mt19937_64 rng(p.seed);
    nlohmann::json a;
    if (p.task == "step")
      a = {{"paragraph", paragraph(rng)}, {"rationale", "r"}, {"shortTermMemory", paragraph(rng, 3)},
           {"summary", paragraph(rng, 1)}, {"plans", {paragraph(rng, 1), paragraph(rng, 1), paragraph(rng, 1)}}};
    else
      return Error{ErrorKind::InvalidArgument, "unused"};
    ChatResult r;
    r.text = a.dump();
    r.model = "zero-latency";
    return r;
  }
  std::string describe() const override { return "zero-latency"; }
};

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

/// The original's per-step memory work: embed all entries again, then rank by cosine.
double baselineStep(HashedEmbedder &embedder, const std::vector<std::string> &entries, const std::string &query) {
  auto start = Clock::now();
  auto vectors = embedder.embed(entries, {});
  auto q = embedder.embedOne(query);
  std::vector<std::pair<float, std::size_t>> scores;
  scores.reserve(vectors->size());
  for (std::size_t i = 0; i < vectors->size(); ++i) {
    float dot = 0;
    for (std::size_t k = 0; k < q.size(); ++k)
      dot += q[k] * (*vectors)[i][k];
    scores.emplace_back(dot, i);
  }
  std::partial_sort(scores.begin(), scores.begin() + std::min<std::size_t>(2, scores.size()), scores.end(),
                    [](auto &a, auto &b) { return a.first > b.first; });
  return ms(Clock::now() - start);
}

} // namespace

int main(int argc, char **argv) {
  long maxEntries = 100000;
  int steps = 20;
  fs::path base = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--max"))
      maxEntries = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps"))
      steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir"))
      base = argv[i + 1];
  }
  std::vector<std::string> rows;
  std::printf("bench_step: engine overhead per step (zero-latency model), state under %s\n", base.c_str());
  std::printf("%10s %12s %12s %12s %12s %14s %8s\n", "entries", "index (s)", "prepare ms", "commit ms", "step ms",
              "baseline ms", "ratio");
  for (long n : {100L, 1000L, 10000L, 100000L}) {
    if (n > maxEntries)
      break;
    fs::path dir = base / ("recurrent-bench-step-" + std::to_string(n));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::mt19937_64 rng(static_cast<std::uint64_t>(n));
    std::string text = "# Bench\n";
    std::vector<std::string> paragraphs;
    for (long i = 0; i < n; ++i) {
      paragraphs.push_back(paragraph(rng));
      text += "\n" + paragraphs.back() + "\n";
    }
    auto file = dir / "book.md";
    SessionOptions options;
    auto embedder = std::make_shared<HashedEmbedder>();
    auto session = StorySession::open(file, std::make_shared<ZeroLatencyModel>(), embedder,
                                      std::make_shared<ExtractiveSummarizer>(), options);
    if (!session) {
      std::fprintf(stderr, "%s\n", session.error().message.c_str());
      return 1;
    }
    StoryState s;
    s.title = "Bench";
    s.language = "English";
    s.shortTermMemory = paragraph(rng, 5);
    s.plans = {paragraph(rng, 1), paragraph(rng, 1), paragraph(rng, 1)};
    if (auto st = StateStore(StatePaths::forManuscript(file)).save(s); !st) {
      std::fprintf(stderr, "%s\n", st.error().message.c_str());
      return 1;
    }
    Manuscript m(text);
    auto indexStart = Clock::now();
    if (auto st = (*session)->refreshMemory(m, {}); !st) {
      std::fprintf(stderr, "%s\n", st.error().message.c_str());
      return 1;
    }
    double indexSeconds = ms(Clock::now() - indexStart) / 1000;

    std::vector<double> prepares, commits, totals;
    int ran = n >= 100000 ? std::max(5, steps / 2) : steps;
    for (int k = 0; k < ran; ++k) {
      auto t0 = Clock::now();
      auto pending = (*session)->prepareStep(m, {}, {});
      auto t1 = Clock::now();
      if (!pending) {
        std::fprintf(stderr, "%s\n", pending.error().message.c_str());
        return 1;
      }
      // The editor's part (appending the text to its buffer) is not ours: leave it out.
      m.replace(m.text().size(), m.text().size(), "\n" + pending->paragraph + "\n");
      auto t2 = Clock::now();
      auto done = (*session)->commitStep(*pending, pending->paragraph, m, {});
      auto t3 = Clock::now();
      if (!done) {
        std::fprintf(stderr, "%s\n", done.error().message.c_str());
        return 1;
      }
      prepares.push_back(ms(t1 - t0));
      commits.push_back(ms(t3 - t2));
      totals.push_back(prepares.back() + commits.back());
    }
    // Medians: the vector index is saved every few hundred changes, a rare slow step.
    double prepare = median(prepares), commit = median(commits), step = median(totals);

    // The original's long-term memory holds the full paragraphs.
    const std::vector<std::string> &entries = paragraphs;
    int baselineRuns = n >= 100000 ? 1 : 3;
    double baseline = 0;
    for (int k = 0; k < baselineRuns; ++k)
      baseline += baselineStep(*embedder, entries, s.plans[0]);
    baseline /= baselineRuns;
    std::printf("%10ld %12.1f %12.2f %12.2f %12.2f %14.2f %7.0fx\n", n, indexSeconds, prepare, commit, step, baseline,
                baseline / step);
    rows.push_back("ROW\tstep overhead p50, " + std::to_string(n) + " entries\t" + fixed(step) + " ms\t" +
                   (n == 10000 ? "< 5 ms" : "far slower than linear") + "\n");
    rows.push_back("ROW\tbaseline step (re-embed all), " + std::to_string(n) + " entries\t" + fixed(baseline) +
                   " ms\treference\n");
    std::fflush(stdout);
    fs::remove_all(dir);
  }
  std::printf("(medians of the steps; the state files are fsync'ed, so the disk's flush latency counts)\n");
  for (const auto &r : rows)
    std::fputs(r.c_str(), stdout);
  return 0;
}
