#include "engine/bible/NameCandidates.h"

#include "engine/continuity/TextScan.h"

#include <algorithm>
#include <array>
#include <map>

namespace recurrent::engine {
namespace {

using continuity::codePointAt;
using continuity::codePointBefore;

using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;

/// Byte ranges no name is taken from (front matter, comments, heading lines), sorted and merged.
Ranges skippedRanges(std::string_view text) {
  Ranges found;
  if (text.substr(0, 4) == "---\n")
    if (auto close = text.find("\n---", 3); close != std::string_view::npos)
      found.emplace_back(0, close + 4);
  for (std::size_t at = 0; (at = text.find("<!--", at)) != std::string_view::npos;) {
    auto close = text.find("-->", at + 4);
    auto end = close == std::string_view::npos ? text.size() : close + 3;
    found.emplace_back(at, end);
    at = end;
  }
  for (std::size_t line = 0; line < text.size();) {
    auto nl = std::min(text.find('\n', line), text.size());
    if (text[line] == '#')
      found.emplace_back(line, nl);
    line = nl + 1;
  }
  std::sort(found.begin(), found.end());
  Ranges merged;
  for (const auto &r : found)
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  return merged;
}

bool inside(const Ranges &ranges, std::size_t at) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), std::make_pair(at, std::string_view::npos));
  return it != ranges.begin() && at < std::prev(it)->second;
}

constexpr std::array<std::string_view, 9> kTitles = {"Mr", "Mrs", "Ms", "Dr", "St", "Mme", "Mlle", "Jr", "Sr"};

bool isTitle(std::string_view word) { return std::find(kTitles.begin(), kTitles.end(), word) != kTitles.end(); }

/// "Mr. Darcy": the period at `period` follows a title, and does not end the sentence.
bool followsTitle(std::string_view text, std::size_t period) {
  for (auto title : kTitles)
    if (period >= title.size() && text.substr(period - title.size(), title.size()) == title &&
        !continuity::isWordLetter(codePointBefore(text, period - title.size())))
      return true;
  return false;
}

/// The start of the code point that ends right before byte `at` (> 0).
std::size_t stepBack(std::string_view text, std::size_t at) {
  do
    --at;
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80);
  return at;
}

/// The word at `begin` opens a sentence: at the text's or a paragraph's start, a list item's, after . ! ? …,
/// right after an opening quote (dialogue starts a sentence) or after a quote that ends one.
bool opensSentence(std::string_view text, std::size_t begin) {
  std::size_t at = begin;
  while (at > 0 && (text[at - 1] == '*' || text[at - 1] == '_' || text[at - 1] == '(' || text[at - 1] == '['))
    --at; // emphasis and brackets do not move the word
  if (at == 0 || continuity::isQuoteMark(codePointBefore(text, at)))
    return true;
  std::size_t newlines = 0;
  while (at > 0 && (text[at - 1] == ' ' || text[at - 1] == '\t' || text[at - 1] == '\r' || text[at - 1] == '\n'))
    newlines += text[--at] == '\n';
  if (at == 0 || newlines >= 2)
    return true;
  char32_t before = codePointBefore(text, at);
  if ((before == '-' || before == '*' || before == '+') && (at == 1 || text[at - 2] == '\n'))
    return true;
  if (continuity::isQuoteMark(before)) { // “Come,” Ana said / “Come.” Ana went
    at = stepBack(text, at);
    before = codePointBefore(text, at);
    return before != ',' && at > 0;
  }
  if (before == '.')
    return !followsTitle(text, at - 1);
  return before == '!' || before == '?' || before == 0x2026; // …
}

struct Seen {
  NameCandidate candidate;
  bool insideSentence = false;
};

/// "Mirelda" alone, where the chapter also says "Mirelda Vosk", is her first name: it becomes the longer
/// name's alias and its uses count for her. Only a lone word that is a candidate itself (once inside a
/// sentence) is folded, so a sentence's first word is never made an alias. When several longer names start
/// with the word ("Anna" beside "Anna Pavlovna" and "Anna Mikhaylovna"), nothing says which one it means:
/// it stays a candidate of its own and the writer decides, rather than have its count and alias land on the
/// wrong person.
void foldFirstNames(std::map<std::string, Seen> &seen) {
  std::map<std::string, std::vector<std::string>, std::less<>> byFirstWord; // lone word -> longer names
  for (const auto &[name, s] : seen)
    if (auto space = name.find(' '); space != std::string::npos)
      byFirstWord[name.substr(0, space)].push_back(name);
  for (const auto &[word, longer] : byFirstWord) {
    auto lone = seen.find(word);
    if (longer.size() != 1 || lone == seen.end() || !lone->second.insideSentence)
      continue;
    auto &into = seen.at(longer.front()).candidate;
    into.count += lone->second.candidate.count;
    into.aliases.push_back(word);
    seen.erase(lone);
  }
}

} // namespace

std::vector<NameCandidate> nameCandidates(std::string_view text, const continuity::NameDictionary *dictionary,
                                          const KnownName &known, std::size_t limit) {
  const auto skipped = skippedRanges(text);
  std::map<std::string, Seen> seen;
  auto count = [&](std::string_view name, std::size_t at, bool insideSentence) {
    auto &s = seen[std::string(name)];
    if (s.candidate.count++ == 0) {
      s.candidate.name = std::string(name);
      s.candidate.first = at;
    }
    s.insideSentence = s.insideSentence || insideSentence;
  };
  auto common = [&](std::string_view word) { return dictionary && dictionary->isCommonWord(word); };
  auto single = [&](std::string_view word, std::size_t b) {
    if (!common(word) && !known(word, b, b + word.size()))
      count(word, b, !opensSentence(text, b));
  };
  // Capitalised words one space apart are one name ("Anna Pavlovna", "Lady Catherine"): a common word may
  // lead it inside a sentence (a title), never end it; a sentence's first word leads it only if it is no
  // common word (without a word list, never). A run with a known word in it is counted word by word.
  struct Word {
    std::size_t begin, end; ///< the word without its possessive
    bool possessive;
  };
  std::vector<Word> run;
  auto flush = [&] {
    std::size_t from = 0, to = run.size();
    auto word = [&](std::size_t i) { return text.substr(run[i].begin, run[i].end - run[i].begin); };
    if (to - from >= 2 && opensSentence(text, run[from].begin) && (!dictionary || common(word(from)))) {
      single(word(from), run[from].begin);
      ++from;
    }
    while (to - from >= 2 && common(word(to - 1)))
      --to;
    bool anyKnown = false;
    for (std::size_t i = from; i < to; ++i)
      anyKnown = anyKnown || known(word(i), run[i].begin, run[i].end);
    if (to - from >= 2 && !anyKnown && !common(word(to - 1)))
      count(text.substr(run[from].begin, run[to - 1].end - run[from].begin), run[from].begin, true);
    else
      for (std::size_t i = from; i < to; ++i)
        single(word(i), run[i].begin);
    for (std::size_t i = to; i < run.size(); ++i)
      single(word(i), run[i].begin);
    run.clear();
  };
  continuity::forEachWord(text, 0, text.size(), [&](std::size_t b, std::size_t e) {
    auto word = continuity::withoutPossessive(text.substr(b, e - b));
    std::size_t first = 0;
    codePointAt(word, 0, &first);
    bool name = continuity::isCapitalised(word) && continuity::codePoints(word) >= 2 &&
                !continuity::isCapitalised(word.substr(first)) && !isTitle(word) && !inside(skipped, b);
    bool joins = name && !run.empty() && !run.back().possessive && b == run.back().end + 1 && text[b - 1] == ' ';
    if (!joins)
      flush();
    if (name)
      run.push_back({b, b + word.size(), word.size() < e - b});
  });
  flush();
  foldFirstNames(seen);
  std::vector<NameCandidate> out;
  for (auto &[word, s] : seen)
    if (s.insideSentence)
      out.push_back(std::move(s.candidate));
  std::sort(out.begin(), out.end(), [](const NameCandidate &a, const NameCandidate &b) {
    return a.count != b.count ? a.count > b.count : a.first < b.first;
  });
  if (out.size() > limit)
    out.resize(limit);
  return out;
}

} // namespace recurrent::engine
