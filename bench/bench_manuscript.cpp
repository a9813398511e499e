// Benchmark of the manuscript model: full parse and one-character edits in the middle of a novel.
//
// Usage: bench_manuscript [FILE...]   (default: War and Peace and Journey to the West from the shared
// corpus beside the repository). Prints one table row per book. Edits are timed one by one; on a shared
// machine the p99 includes scheduler preemption.
#include "engine/manuscript/Manuscript.h"
#include "support/Files.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using recurrent::engine::Manuscript;
using Clock = std::chrono::steady_clock;

namespace {

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

// An offset near the middle that sits inside a paragraph line (so the edit touches prose).
std::size_t middleOfProse(const Manuscript &m) {
  const auto &ps = m.paragraphs();
  const auto &p = ps[ps.size() / 2];
  std::size_t at = p.begin + (p.end - p.begin) / 2;
  while (at > p.begin && (static_cast<unsigned char>(m.text()[at]) & 0xC0) == 0x80)
    --at;
  return at;
}

void benchBook(const std::filesystem::path &path) {
  auto text = recurrent::readFile(path);
  if (!text.ok()) {
    std::printf("| %-28s | skipped: %s |\n", path.filename().c_str(), text.error().message.c_str());
    return;
  }
  std::vector<double> parse;
  Manuscript m;
  for (int i = 0; i < 7; ++i) {
    auto t0 = Clock::now();
    Manuscript fresh(*text);
    parse.push_back(micros(Clock::now() - t0) / 1000.0);
    m = std::move(fresh);
  }
  const std::size_t paragraphs = m.paragraphs().size(), chapters = m.chapters().size();

  // Alternate inserting and deleting one character in the middle of a paragraph.
  std::vector<double> edits;
  const std::size_t at = middleOfProse(m);
  const int kEdits = 4000;
  for (int i = 0; i < kEdits; ++i) {
    auto t0 = Clock::now();
    if (i % 2 == 0)
      m.replace(at, at, "x");
    else
      m.replace(at, at + 1, "");
    edits.push_back(micros(Clock::now() - t0));
  }
  // Inserting and removing a paragraph break (splits a paragraph, shifts all lines after it).
  std::vector<double> breaks;
  for (int i = 0; i < 1000; ++i) {
    auto t0 = Clock::now();
    if (i % 2 == 0)
      m.replace(at, at, "\n\n");
    else
      m.replace(at, at + 2, "");
    breaks.push_back(micros(Clock::now() - t0));
  }
  bool same = m == Manuscript(*text);
  std::printf("| %-28s | %9zu | %10zu | %8zu | %13.1f | %12.1f | %12.1f | %12.1f | %12.1f | %-4s |\n",
              path.filename().c_str(), text->size(), paragraphs, chapters, percentile(parse, 0.5),
              percentile(edits, 0.5), percentile(edits, 0.99), percentile(breaks, 0.5), percentile(breaks, 0.99),
              same ? "yes" : "NO");
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::filesystem::path> books;
  for (int i = 1; i < argc; ++i)
    books.emplace_back(argv[i]);
  if (books.empty()) {
    // The corpus sits beside the repository (or two levels up from a worktree of it).
    std::filesystem::path corpus = RECURRENT_SOURCE_DIR "/../shared/corpus";
    if (!std::filesystem::exists(corpus))
      corpus = RECURRENT_SOURCE_DIR "/../../shared/corpus";
    for (const char *name : {"war-and-peace.txt", "journey-to-the-west.txt"}) {
      if (std::filesystem::exists(corpus / name))
        books.push_back(corpus / name);
      else
        std::printf("skipped %s: not found under %s (pass a file path as an argument)\n", name, corpus.c_str());
    }
  }
  if (books.empty())
    return 0;
  std::printf("| %-28s | %9s | %10s | %8s | %13s | %12s | %12s | %12s | %12s | %-4s |\n", "book", "bytes",
              "paragraphs", "chapters", "parse ms p50", "edit µs p50", "edit µs p99", "split µs p50",
              "split µs p99", "same");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(11, '-').c_str(),
              std::string(12, '-').c_str(), std::string(10, '-').c_str(), std::string(15, '-').c_str(),
              std::string(14, '-').c_str(), std::string(14, '-').c_str(), std::string(14, '-').c_str(),
              std::string(14, '-').c_str(), std::string(6, '-').c_str());
  for (const auto &book : books)
    benchBook(book);
  std::printf("edit: one character inserted/deleted in the middle paragraph (alternating, 4000 edits); split: a\n"
              "blank line inserted/removed there (1000 edits); same: the edited text re-parsed equals the model.\n");
  return 0;
}
