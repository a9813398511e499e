// Benchmark of the story bible's mention index: War and Peace cut into its chapters with a bible of its
// main characters and places (written here), the index build, one entry's mentions, and per-edit upkeep.
//
// Usage: bench_bible [FILE]   (default: War and Peace from the shared corpus). The book is cut at its
// `CHAPTER` lines into chapter texts in memory, as a folder book's chapter files would be read. Edits
// insert or delete one character in the middle of a random paragraph and call applyEdit, timed one by one;
// on a shared machine the p99 includes scheduler preemption.
#include "bench/BenchBook.h"
#include "bench/BenchCast.h"
#include "engine/bible/MentionIndex.h"
#include "support/Files.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace recurrent;
using namespace recurrent::engine;
using bench::castBible;
using bench::chaptersOf;
using Clock = std::chrono::steady_clock;

namespace {

double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char **argv) {
  auto path = bench::benchBook(argc, argv);
  auto text = readFile(path);
  if (!text) {
    std::printf("bench_bible skipped: %s\n", text.error().message.c_str());
    return 0;
  }
  auto chapters = chaptersOf(*text);
  std::vector<std::string_view> views(chapters.begin(), chapters.end());
  auto bible = castBible();

  std::vector<double> builds;
  MentionIndex index(bible);
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    MentionIndex fresh(bible);
    fresh.build(views);
    builds.push_back(millis(Clock::now() - t0));
    index = std::move(fresh);
  }
  std::size_t top = 0, total = 0;
  for (std::size_t e = 0; e < bible.entries.size(); ++e) {
    total += index.mentionCount(e);
    if (index.mentionCount(e) > index.mentionCount(top))
      top = e;
  }
  std::vector<double> refs;
  for (int i = 0; i < 20; ++i) {
    auto t0 = Clock::now();
    auto ms = index.mentionsOf(top);
    refs.push_back(millis(Clock::now() - t0));
    if (ms.empty())
      return 1;
  }

  // One-character edits in the middle of random paragraphs of random chapters.
  std::mt19937 rng(7);
  std::vector<double> edits;
  for (int i = 0; i < 4000; ++i) {
    auto c = 1 + rng() % (chapters.size() - 1);
    auto &t = chapters[c];
    auto at = t.size() / 4 + rng() % (t.size() / 2);
    while (at > 0 && (static_cast<unsigned char>(t[at]) & 0xC0) == 0x80)
      --at;
    bool insert = i % 2 == 0 || at >= t.size();
    if (insert)
      t.insert(at, 1, 'x');
    else
      t.erase(at, 1);
    auto t0 = Clock::now();
    index.applyEdit(c, t, at, insert ? 0 : 1, insert ? 1 : 0);
    edits.push_back(millis(Clock::now() - t0) * 1000.0);
  }

  std::printf("| book | chapters | entries | mentions | build ms p50 | '%s' mentions | mentionsOf ms p50 | "
              "edit µs p50 | "
              "edit µs p99 |\n",
              bible.entries[top].name.c_str());
  std::printf("| %s | %zu | %zu | %zu | %.1f | %zu | %.2f | %.1f | %.1f |\n", path.filename().c_str(),
              chapters.size(), bible.entries.size(), total, percentile(builds, 0.5), index.mentionCount(top),
              percentile(refs, 0.5), percentile(edits, 0.5), percentile(edits, 0.99));
  std::printf("ROW\tbible mention index build (%zu chapters, %zu entries)\t%.1f ms\t< 150 ms\n",
              chapters.size(), bible.entries.size(), percentile(builds, 0.5));
  std::printf("ROW\tbible mentions of the most mentioned entry\t%.2f ms\t< 20 ms (references)\n",
              percentile(refs, 0.5));
  std::printf("ROW\tbible index per edit p50 / p99\t%.1f / %.1f µs\tp99 < 1 ms\n", percentile(edits, 0.5),
              percentile(edits, 0.99));
  return 0;
}
