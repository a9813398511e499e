// Benchmark of the deterministic continuity checks: War and Peace as a folder book (one chapter file per
// `CHAPTER`) with a bible of its main characters (bench/BenchCast.h) and the deaths of four of them
// recorded as facts where they die; then misspelt names and dead characters speaking injected.
//
// Usage: bench_continuity [FILE]   (default: War and Peace from the shared corpus).
// Reports: findings per 10,000 words on the clean book (all of them counted as false: the corpus is
// assumed clean, and the first ones are printed to read), precision and recall of the injected errors, and
// the time of a whole-book check (the BookBible's mentions and facts and the checker's word counts built, every chapter checked), median of runs.
// Misspellings: one word of a random mention (5+ letters) gets one typing slip (a swap of neighbours, a
// letter dropped, doubled or changed) past its first letter, the check's own rule; a slip that makes a
// dictionary word or another mention of the bible cannot be told from the real thing and is drawn again,
// and so is a slip already made elsewhere (each slip once: three times, a spelling is the writer's choice).
#include "bench/BenchBook.h"
#include "bench/BenchCast.h"
#include "engine/bible/BookBible.h"
#include "engine/book/BookSnapshot.h"
#include "engine/continuity/ContinuityChecker.h"
#include "engine/continuity/EditDistance.h"
#include "engine/continuity/TextScan.h"
#include "support/Files.h"
#include "support/Utf8.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <random>
#include <string>
#include <vector>

using namespace recurrent;
using namespace recurrent::engine;
using namespace recurrent::engine::continuity;
using Clock = std::chrono::steady_clock;

namespace {

/// Each death, recorded after the paragraph that holds its marker.
struct Death {
  const char *name;
  const char *marker;
};
const std::vector<Death> kDeaths = {{"Lise", "tomb of the little princess"},
                                    {"Prince Andrew", "the dead eyes, and hastened to close them"},
                                    {"Pétya", "lifeless attitude"},
                                    {"Karatáev", "had been sitting, came the sound of a shot"}};

/// Lines a dead character says or does, as a writer might slip them in later.
const std::vector<std::string> kDeadLines = {"\xE2\x80\x9CWe must go on,\xE2\x80\x9D said %s.",
                                             "%s walked to the window and looked out.",
                                             "%s said, \xE2\x80\x9CI will not wait any longer.\xE2\x80\x9D",
                                             "Then %s smiled and took the letter."};

std::shared_ptr<const BookSnapshot> snapshotOf(const std::vector<std::string> &chapters) {
  auto layout = BookLayout::folder("/nonexistent/war-and-peace");
  std::vector<BookSnapshot::ChapterSource> sources;
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "ch%03zu.md", i);
    sources.push_back({ChapterFile{layout.root() / name, name}, std::make_shared<const std::string>(chapters[i]),
                       false});
  }
  return BookSnapshot::build(layout, std::move(sources), 1);
}

/// Inserts a fact comment paragraph after the paragraph holding each death's marker.
void recordDeaths(std::vector<std::string> &chapters, std::vector<std::size_t> &deathChapter) {
  for (const auto &d : kDeaths) {
    deathChapter.push_back(chapters.size());
    for (std::size_t c = 0; c < chapters.size(); ++c) {
      auto at = chapters[c].find(d.marker);
      if (at == std::string::npos)
        continue;
      auto end = chapters[c].find("\n\n", at);
      if (end == std::string::npos)
        end = chapters[c].size();
      chapters[c].insert(end, std::string("\n\n<!-- fact: ") + d.name + ".status: dead -->");
      deathChapter.back() = c;
      break;
    }
  }
}

std::string slip(const std::u32string &word, std::mt19937 &rng) {
  std::u32string w = word;
  auto pos = 1 + rng() % (w.size() - 1);
  switch (rng() % 4) {
  case 0: // swap with the next letter (or the previous one at the end)
    if (pos + 1 < w.size())
      std::swap(w[pos], w[pos + 1]);
    else
      std::swap(w[pos - 1], w[pos]);
    break;
  case 1:
    w.erase(pos, 1);
    break;
  case 2:
    w.insert(pos, 1, w[pos]);
    break;
  default: {
    char32_t c = U'a' + static_cast<char32_t>(rng() % 26);
    w[pos] = c == w[pos] ? (c == U'z' ? U'a' : c + 1) : c;
  }
  }
  std::string out;
  for (auto cp : w)
    utf8::append(out, cp);
  return out;
}

struct Injected {
  std::size_t chapter = 0;
  std::size_t begin = 0; ///< in the injected chapter text
  std::string code, replacement, typo;
  bool found = false;
};

double millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

} // namespace

int main(int argc, char **argv) {
  auto path = bench::benchBook(argc, argv);
  auto text = readFile(path);
  if (!text) {
    std::printf("bench_continuity skipped: %s\n", text.error().message.c_str());
    return 0;
  }
  auto chapters = bench::chaptersOf(*text);
  std::vector<std::size_t> deathChapter;
  recordDeaths(chapters, deathChapter);
  auto bible = std::make_shared<const Bible>(bench::castBible());
  const auto &dictionary = systemDictionary();
  if (!dictionary.notice.empty())
    std::printf("note: %s\n", dictionary.notice.c_str());

  // --- The clean book: every finding is counted as false. Timed: indexes built, then every chapter checked.
  auto clean = snapshotOf(chapters);
  std::vector<double> runs;
  std::vector<Finding> cleanFindings;
  double buildMs = 0;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    BookBible names(bible, *clean);
    ContinuityChecker checker(names, *clean);
    auto t1 = Clock::now();
    cleanFindings = checker.checkBook(names, *clean);
    runs.push_back(millis(Clock::now() - t0));
    if (r == 0)
      buildMs = millis(t1 - t0);
  }
  std::sort(runs.begin(), runs.end());
  auto words = static_cast<double>(clean->totalWords());
  std::map<std::string, int> cleanByCode;
  for (const auto &f : cleanFindings)
    ++cleanByCode[f.code];
  std::printf("clean book: %zu chapters, %.0f words, %zu findings\n", chapters.size(), words, cleanFindings.size());
  for (std::size_t i = 0; i < cleanFindings.size() && i < 25; ++i)
    std::printf("  clean finding: %s [%s]\n", cleanFindings[i].message.c_str(), cleanFindings[i].code.c_str());

  // --- Inject: misspellings of mentioned names, and dead characters speaking after their death.
  BookBible cleanNames(bible, *clean);
  std::mt19937 rng(14);
  std::vector<Injected> injected;
  std::map<std::size_t, std::vector<std::pair<std::size_t, std::string>>> edits; // chapter -> (offset, text)
  std::map<std::size_t, std::vector<std::pair<std::size_t, std::size_t>>> replaced; // chapter -> (begin, oldLen)
  const auto *dict = dictionary.dictionary.get();
  NearMissNames probe(*bible, dict);
  std::size_t redrawn = 0;
  std::set<std::string> usedSlips; // a slip the book repeats three times reads as the writer's spelling
  for (int want = 0; want < 300;) {
    auto c = rng() % chapters.size();
    const auto &ms = cleanNames.mentions().chapterMentions(c);
    if (ms.empty())
      continue;
    const auto &m = ms[rng() % ms.size()];
    if (m.excluded || m.via == Mention::Via::Key)
      continue;
    // One word of the mention, of five letters or more and capitalised.
    std::vector<std::pair<std::size_t, std::size_t>> mentionWords;
    forEachWord(chapters[c], m.begin, m.end, [&](std::size_t b, std::size_t e) {
      auto w = std::string_view(chapters[c]).substr(b, e - b);
      if (codePoints(w) >= 5 && isCapitalised(w))
        mentionWords.push_back({b, e});
    });
    if (mentionWords.empty())
      continue;
    const auto [b, e] = mentionWords[rng() % mentionWords.size()];
    const std::size_t begin = b; // clang 14 cannot capture a structured binding
    auto &done = replaced[c];
    if (std::any_of(done.begin(), done.end(), [&](auto r) { return r.first == begin; }))
      continue;
    auto original = chapters[c].substr(b, e - b);
    auto typo = slip(toCodePoints(original), rng);
    // What cannot be told from a real word or name: drawn again.
    bool tellable = usedSlips.insert(typo).second && !(dict && dict->contains(typo)) && !cleanNames.mentions().scan(typo).size() &&
                    probe.nearestName(typo, dict).has_value();
    if (!tellable) {
      ++redrawn;
      continue;
    }
    edits[c].push_back({b, typo});
    done.push_back({b, e - b});
    injected.push_back({c, b, "name-misspelling", original, typo});
    ++want;
  }
  // Dead characters speaking: one line each in 5 random chapters after the death.
  for (std::size_t d = 0; d < kDeaths.size(); ++d) {
    if (deathChapter[d] + 1 >= chapters.size())
      continue;
    for (int k = 0; k < 5; ++k) {
      auto c = deathChapter[d] + 1 + rng() % (chapters.size() - deathChapter[d] - 1);
      char line[256];
      std::snprintf(line, sizeof line, kDeadLines[static_cast<std::size_t>(k) % kDeadLines.size()].c_str(),
                    kDeaths[d].name);
      edits[c].push_back({chapters[c].size(), std::string("\n\n") + line + "\n"});
      replaced[c].push_back({chapters[c].size(), 0});
      injected.push_back({c, chapters[c].size(), "dead-character-acts", kDeaths[d].name});
    }
  }
  // Apply each chapter's edits from the last offset back, and move the injected positions accordingly.
  for (auto &[c, changes] : edits) {
    auto &list = changes; // clang 14 cannot capture a structured binding
    auto &olds = replaced[c];
    std::vector<std::size_t> order(list.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return list[a].first > list[b].first; });
    for (auto i : order)
      chapters[c].replace(list[i].first, olds[i].second, list[i].second);
    for (auto &inj : injected) {
      if (inj.chapter != c)
        continue;
      std::ptrdiff_t shift = 0;
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].first < inj.begin)
          shift += static_cast<std::ptrdiff_t>(list[i].second.size()) - static_cast<std::ptrdiff_t>(olds[i].second);
      inj.begin = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(inj.begin) + shift);
    }
  }
  auto dirty = snapshotOf(chapters);
  BookBible names(bible, *dirty);
  ContinuityChecker checker(names, *dirty);
  auto findings = checker.checkBook(names, *dirty);
  std::size_t truePositives = 0;
  std::map<std::string, std::pair<std::size_t, std::size_t>> recallByCode; // found, injected
  for (const auto &f : findings) {
    bool hit = false;
    for (auto &inj : injected) {
      if (inj.chapter != f.chapter || inj.code != f.code)
        continue;
      bool here = f.code == "name-misspelling"
                      ? f.begin == inj.begin && f.replacement && *f.replacement == inj.replacement
                      : f.begin >= inj.begin && f.begin < inj.begin + 200;
      if (here) {
        hit = true;
        inj.found = true;
      }
    }
    if (hit)
      ++truePositives;
    else
      std::printf("  false finding (injected book): %s [%s]\n", f.message.c_str(), f.code.c_str());
  }
  for (const auto &inj : injected) {
    auto &[found, all] = recallByCode[inj.code];
    ++all;
    found += inj.found;
    if (!inj.found)
      std::printf("  missed: %s '%s' ('%s') in chapter %zu\n", inj.code.c_str(), inj.replacement.c_str(),
                  inj.typo.c_str(), inj.chapter);
  }
  double precision = findings.empty() ? 1.0 : static_cast<double>(truePositives) / static_cast<double>(findings.size());
  std::size_t foundAll = 0;
  for (const auto &inj : injected)
    foundAll += inj.found;
  double recall = injected.empty() ? 0 : static_cast<double>(foundAll) / static_cast<double>(injected.size());
  double per10k = static_cast<double>(cleanFindings.size()) * 10000.0 / words;

  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| injected misspellings / dead speaking | %zu / %zu (slips redrawn: %zu) |\n",
              recallByCode["name-misspelling"].second, recallByCode["dead-character-acts"].second, redrawn);
  for (const auto &[code, fr] : recallByCode)
    std::printf("| recall %s | %.3f (%zu/%zu) |\n", code.c_str(),
                fr.second ? static_cast<double>(fr.first) / static_cast<double>(fr.second) : 0.0, fr.first, fr.second);
  std::printf("| precision (injected book) | %.3f (%zu/%zu) |\n", precision, truePositives, findings.size());
  std::printf("| clean book findings | %zu (", cleanFindings.size());
  for (const auto &[code, n] : cleanByCode)
    std::printf(" %s: %d", code.c_str(), n);
  std::printf(" ) = %.3f per 10k words |\n", per10k);
  std::printf("| whole-book check ms (build + check), median of %zu | %.1f (build %.1f) |\n", runs.size(),
              runs[runs.size() / 2], buildMs);
  std::printf("ROW\tcontinuity precision / recall (injected W&P)\t%.3f / %.3f\t>= 0.95 / >= 0.9\n", precision, recall);
  std::printf("ROW\tcontinuity false findings per 10k words (clean W&P)\t%.3f\t<= 0.1\n", per10k);
  std::printf("ROW\tcontinuity whole-book deterministic check\t%.0f ms\t< 1 s\n", runs[runs.size() / 2]);
  return 0;
}
