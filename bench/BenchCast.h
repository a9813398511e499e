// The cast of War and Peace as a story bible, and the book cut into chapters: shared by the bible and
// continuity benchmarks.
#pragma once

#include "engine/bible/BibleFile.h"

#include <string>
#include <vector>

namespace recurrent::bench {

/// Forty entries: name, then aliases, as the corpus's translation spells them (accents included:
/// "Natásha", "Kutúzov").
inline const std::vector<std::vector<std::string>> kCast = {
    {"Pierre Bezúkhov", "Pierre", "Bezúkhov", "Count Bezúkhov"},
    {"Natásha Rostóva", "Natásha", "Natalie"},
    {"Prince Andrew Bolkónski", "Prince Andrew", "Andrew", "Bolkónski"},
    {"Nicholas Rostóv", "Nicholas", "Nikólenka"},
    {"Princess Mary", "Mary", "Princess Márya", "Márya"},
    {"Sónya"},
    {"Hélène", "Princess Hélène", "Countess Bezúkhova"},
    {"Anatole Kurágin", "Anatole"},
    {"Prince Vasíli Kurágin", "Prince Vasíli"},
    {"Dólokhov", "Fédya"},
    {"Denísov", "Váska"},
    {"Kutúzov"},
    {"Napoleon", "Bonaparte"},
    {"Borís Drubetskóy", "Borís"},
    {"Anna Pávlovna Schérer", "Anna Pávlovna"},
    {"Pétya Rostóv", "Pétya"},
    {"Countess Rostóva", "the countess"},
    {"Count Ilyá Rostóv", "the count"},
    {"Prince Nicholas Bolkónski", "the old prince"},
    {"Lise", "the little princess"},
    {"Platón Karatáev", "Karatáev"},
    {"Tíkhon"},
    {"Alpátych"},
    {"Bilíbin"},
    {"Bagratión"},
    {"Emperor Alexander", "the Emperor"},
    {"Speránski"},
    {"Julie Karágina", "Julie"},
    {"Anna Mikháylovna"},
    {"Hippolyte"},
    {"Berg"},
    {"Véra"},
    {"Mademoiselle Bourienne", "Bourienne"},
    {"Rostopchín"},
    {"Davout"},
    {"Murat"},
    {"Weyrother"},
    {"Barclay de Tolly"},
    {"Túshin"},
    {"Moscow"}};

inline engine::Bible castBible() {
  std::vector<engine::BibleEntry> entries;
  for (const auto &names : kCast) {
    engine::BibleEntry e;
    e.name = names[0];
    e.aliases.assign(names.begin() + 1, names.end());
    e.file = "bible/" + names[0] + ".md";
    entries.push_back(std::move(e));
  }
  return engine::assembleBible("bible", std::move(entries), {});
}

/// The book cut at its `CHAPTER ` lines, as a folder book's chapter files would be read.
inline std::vector<std::string> chaptersOf(const std::string &text) {
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

} // namespace recurrent::bench
