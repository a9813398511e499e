#include "engine/continuity/NearMissNames.h"

#include "engine/continuity/EditDistance.h"
#include "engine/continuity/NameCensus.h"
#include "engine/continuity/NameDictionary.h"
#include "engine/continuity/TextScan.h"

#include <algorithm>
#include <unordered_map>

namespace recurrent::engine::continuity {

NearMissNames::NearMissNames(const Bible &bible, const NameDictionary *dictionary, Options options)
    : options_(options) {
  auto addWords = [&](const std::string &phrase, std::size_t entry, bool target) {
    forEachWord(phrase, 0, phrase.size(), [&](std::size_t b, std::size_t e) {
      auto word = withoutPossessive(std::string_view(phrase).substr(b, e - b));
      auto key = folded(word);
      if (known_.insert(key).second)
        knownLetters_.push_back(toCodePoints(key));
      if (!target || !isCapitalised(word) || codePoints(word) < options_.minTargetLetters)
        return;
      if (dictionary && dictionary->isCommonWord(word))
        return;
      auto letters = toCodePoints(key);
      for (const auto &t : targets_)
        if (t.entry == entry && t.letters == letters)
          return;
      targets_.push_back({std::move(letters), std::string(word), entry, phrase});
    });
  };
  for (std::size_t e = 0; e < bible.entries.size(); ++e) {
    const auto &entry = bible.entries[e];
    addWords(entry.name, e, !entry.nameShadowed);
    for (const auto &a : entry.aliases)
      addWords(a, e, true);
    for (const auto &k : entry.keys)
      if (k.empty() || k.front() != '/')
        addWords(k, e, true);
    for (const auto &x : entry.exclude)
      addWords(x, e, false);
  }
}

std::optional<NearMissNames::Target> NearMissNames::nearestName(std::string_view word,
                                                                const NameDictionary *dictionary) const {
  if (!isCapitalised(word))
    return std::nullopt;
  auto key = folded(word);
  if (known_.count(key) || (dictionary && dictionary->contains(word)))
    return std::nullopt;
  auto letters = toCodePoints(key);
  // The name with another ending of any name word ("Kurágina" beside "Anatole Kurágin"): an inflection.
  for (const auto &k : knownLetters_)
    if (k.size() >= options_.minTargetLetters &&
        std::equal(letters.begin(), letters.begin() + static_cast<std::ptrdiff_t>(std::min(letters.size(), k.size())),
                   k.begin()))
      return std::nullopt;
  auto nonAscii = std::count_if(letters.begin(), letters.end(), [](char32_t c) { return c >= 0x80; });
  const NameWord *best = nullptr;
  std::size_t bestDistance = 0;
  bool ambiguous = false;
  for (const auto &t : targets_) {
    auto n = t.letters.size();
    std::size_t budget = n >= options_.twoEditsFrom ? 2 : 1;
    if (letters.size() + budget < n || n + budget < letters.size())
      continue;
    bool sameStart = letters[0] == t.letters[0] ||
                     (letters.size() > 1 && n > 1 && letters[0] == t.letters[1] && letters[1] == t.letters[0]);
    if (!sameStart)
      continue;
    // One is the other with a different ending: an inflection ("Alexanders", "Dólokhova", "Rostopchíne",
    // "Rostóv" beside "Rostóva"), not a slip.
    auto shorter = std::min(letters.size(), n);
    if (std::equal(letters.begin(), letters.begin() + static_cast<std::ptrdiff_t>(shorter), t.letters.begin()))
      continue;
    auto d = editDistance(letters, t.letters, budget);
    if (d > budget || d == 0)
      continue;
    // A letter with a diacritic the name lacks was typed on purpose ("Napoléon"), not slipped.
    if (nonAscii > std::count_if(t.letters.begin(), t.letters.end(), [](char32_t c) { return c >= 0x80; }))
      continue;
    if (!best || d < bestDistance) {
      best = &t;
      bestDistance = d;
      ambiguous = false;
    } else if (d == bestDistance && t.entry != best->entry && t.letters != best->letters) {
      ambiguous = true;
    }
  }
  if (!best || ambiguous)
    return std::nullopt;
  return Target{best->entry, best->text, best->name};
}

std::vector<Finding> NearMissNames::check(const CheckContext &context, const ChapterView &view) const {
  std::vector<Finding> out;
  if (targets_.empty())
    return out;
  // One verdict per distinct word in this call: a chapter repeats its words.
  std::unordered_map<std::string_view, std::optional<Target>> verdicts;
  for (const auto &p : view.paragraphs) {
    auto mentions = mentionsIn(context.mentions, view.chapter, p.begin, p.end);
    std::size_t nextMention = 0;
    forEachWord(view.text, p.begin, p.end, [&](std::size_t b, std::size_t e) {
      auto word = withoutPossessive(view.text.substr(b, e - b));
      while (nextMention < mentions.size() && mentions[nextMention].end <= b)
        ++nextMention;
      // Inside a mention (the plural or possessive ending included): the bible's own name.
      if (nextMention < mentions.size() && mentions[nextMention].begin <= b)
        return;
      if (!isCapitalised(word) || codePoints(word) + 2 < options_.minTargetLetters)
        return;
      auto [it, fresh] = verdicts.try_emplace(word);
      if (fresh && context.census.count(word) < options_.namedAfter)
        it->second = nearestName(word, context.dictionary);
      if (!it->second)
        return;
      const auto &target = *it->second;
      const auto &entry = context.bible.entries.at(target.entry);
      Finding f;
      f.code = "name-misspelling";
      f.severity = FindingSeverity::Warning;
      f.chapter = view.chapter;
      f.begin = b;
      f.end = b + word.size();
      f.message = "\xE2\x80\x98" + std::string(word) + "\xE2\x80\x99 looks like a misspelling of \xE2\x80\x98" +
                  target.word + "\xE2\x80\x99 (" + (target.name == entry.name ? "bible: " : "alias of ") +
                  entry.name + ")";
      f.sources.push_back({FindingSource::Kind::BibleEntry, entry.file, entry.line, target.name});
      f.replacement = target.word;
      f.entry = entry.name;
      f.fingerprint = fingerprintOf(f.code, f.entry, word);
      out.push_back(std::move(f));
    });
  }
  return out;
}

} // namespace recurrent::engine::continuity
