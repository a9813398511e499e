// Benchmark of the story bible's mention index: War and Peace cut into its chapters with a bible of its
// main characters and places (written here), the index build, one entry's mentions, and per-edit upkeep.
//
// Usage: bench_bible [FILE]   (default: War and Peace from the shared corpus). The book is cut at its
// `CHAPTER` lines into chapter texts in memory, as a folder book's chapter files would be read. Edits
// insert or delete one character in the middle of a random paragraph and call applyEdit, timed one by one;
// on a shared machine the p99 includes scheduler preemption.
#include "bench/BenchBook.h"
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
using Clock = std::chrono::steady_clock;

namespace {

double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

/// Forty entries: name, then aliases (the book's own spellings in the Maude translation).
const std::vector<std::vector<std::string>> kCast = {
    {"Pierre Bezukhov", "Pierre", "Bezukhov", "Count Bezukhov"},
    {"Natasha Rostova", "Natasha", "Natalie"},
    {"Prince Andrew Bolkonski", "Prince Andrew", "Andrew", "Bolkonski"},
    {"Nicholas Rostov", "Nicholas", "Nikolenka"},
    {"Princess Mary", "Mary", "Princess Marya"},
    {"Sonya"},
    {"Helene", "Princess Helene", "Countess Bezukhova"},
    {"Anatole Kuragin", "Anatole"},
    {"Prince Vasili Kuragin", "Prince Vasili"},
    {"Dolokhov", "Fedya"},
    {"Denisov", "Vaska"},
    {"Kutuzov"},
    {"Napoleon", "Bonaparte"},
    {"Boris Drubetskoy", "Boris"},
    {"Anna Pavlovna Scherer", "Anna Pavlovna"},
    {"Petya Rostov", "Petya"},
    {"Countess Rostova", "the countess"},
    {"Count Ilya Rostov", "the count"},
    {"Prince Nicholas Bolkonski", "the old prince"},
    {"Lise", "the little princess"},
    {"Platon Karataev", "Karataev"},
    {"Tikhon"},
    {"Alpatych"},
    {"Bilibin"},
    {"Bagration"},
    {"Emperor Alexander", "the Emperor"},
    {"Speranski"},
    {"Julie Karagina", "Julie"},
    {"Anna Mikhaylovna"},
    {"Hippolyte"},
    {"Berg"},
    {"Vera"},
    {"Mademoiselle Bourienne", "Bourienne"},
    {"Rostopchin"},
    {"Davout"},
    {"Murat"},
    {"Weyrother"},
    {"Barclay de Tolly"},
    {"Tushin"},
    {"Moscow"}};

Bible castBible() {
  std::vector<BibleEntry> entries;
  for (const auto &names : kCast) {
    BibleEntry e;
    e.name = names[0];
    e.aliases.assign(names.begin() + 1, names.end());
    e.file = "bible/" + names[0] + ".md";
    entries.push_back(std::move(e));
  }
  return assembleBible("bible", std::move(entries), {});
}

std::vector<std::string> chaptersOf(const std::string &text) {
  std::vector<std::string> out(1);
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    auto end = nl == std::string::npos ? text.size() : nl + 1;
    if (text.compare(at, 8, "CHAPTER ") == 0 && !out.back().empty())
      out.emplace_back();
    out.back().append(text, at, end - at);
    at = end;
  }
  return out;
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
