#include "engine/story/Language.h"

#include "engine/story/Utf8.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

namespace recurrent::engine {
namespace {

using utf8::Script;

struct ScriptCounts {
  std::map<Script, long> n;
  long letters = 0;
};

ScriptCounts countScripts(std::string_view text) {
  ScriptCounts c;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = utf8::next(text, i);
    if (!utf8::isLetter(cp))
      continue;
    auto s = utf8::scriptOf(cp);
    if (s == Script::Ascii)
      s = Script::Latin;
    ++c.n[s];
    ++c.letters;
  }
  return c;
}

struct Stopwords {
  const char *language;
  std::set<std::string_view> words;
};

const std::array<Stopwords, 8> &latinLanguages() {
  static const std::array<Stopwords, 8> langs = {{
      {"English", {"the", "and", "of", "to", "was", "he", "she", "it", "his", "her", "that", "with", "had", "you", "in"}},
      {"French", {"le", "la", "les", "et", "de", "des", "il", "elle", "un", "une", "est", "que", "qui", "dans", "pas"}},
      {"German", {"der", "die", "das", "und", "ist", "nicht", "ein", "eine", "sie", "er", "zu", "mit", "den", "ich", "auf"}},
      {"Spanish", {"el", "la", "los", "las", "y", "de", "que", "en", "un", "una", "por", "con", "su", "se", "no"}},
      {"Italian", {"il", "la", "di", "che", "e", "un", "una", "non", "per", "con", "gli", "del", "della", "si", "era"}},
      {"Portuguese", {"o", "a", "os", "as", "e", "de", "que", "um", "uma", "não", "com", "para", "era", "em", "se"}},
      {"Dutch", {"de", "het", "een", "en", "van", "ik", "niet", "dat", "hij", "zij", "was", "met", "op", "te", "zijn"}},
      {"Polish", {"i", "w", "nie", "na", "się", "z", "że", "do", "to", "jest", "jak", "był", "ale", "od", "po"}},
  }};
  return langs;
}

std::string latinLanguage(std::string_view text, std::string_view fallback) {
  std::map<std::string, long> freq;
  std::string word;
  auto flush = [&] {
    if (!word.empty())
      ++freq[word];
    word.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    std::size_t start = i;
    char32_t cp = utf8::next(text, i);
    if (utf8::isLetter(cp)) {
      if (cp < 0x80)
        word += static_cast<char>(std::tolower(static_cast<int>(cp)));
      else
        word.append(text.substr(start, i - start));
    } else {
      flush();
    }
  }
  flush();
  const char *best = nullptr;
  long bestScore = 0;
  for (const auto &lang : latinLanguages()) {
    long score = 0;
    for (auto w : lang.words) {
      auto it = freq.find(std::string(w));
      if (it != freq.end())
        score += it->second;
    }
    if (score > bestScore) {
      bestScore = score;
      best = lang.language;
    }
  }
  return best && bestScore >= 2 ? std::string(best) : std::string(fallback);
}

/// The script a language is written in, for the leak check; Latin for unknown names.
Script scriptForLanguage(std::string_view language) {
  std::string l;
  for (char ch : language)
    l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto has = [&](std::string_view s) { return l.find(s) != std::string::npos; };
  if (has("chinese") || has("mandarin") || has("cantonese") || has("中文") || l == "zh" || l.rfind("zh-", 0) == 0)
    return Script::Han;
  if (has("japanese") || has("日本") || l == "ja")
    return Script::Kana;
  if (has("korean") || has("한국") || l == "ko")
    return Script::Hangul;
  if (has("russian") || has("ukrainian") || has("bulgarian") || has("serbian") || has("русск") || l == "ru" || l == "uk")
    return Script::Cyrillic;
  if (has("greek") || l == "el")
    return Script::Greek;
  if (has("arabic") || has("persian") || has("farsi") || has("urdu") || l == "ar")
    return Script::Arabic;
  if (has("hebrew") || l == "he")
    return Script::Hebrew;
  if (has("hindi") || has("marathi") || has("nepali") || l == "hi")
    return Script::Devanagari;
  if (has("thai") || l == "th")
    return Script::Thai;
  return Script::Latin;
}

} // namespace

std::string detectLanguage(std::string_view text, std::string_view fallback) {
  auto c = countScripts(text);
  if (c.letters < 8)
    return std::string(fallback);
  auto share = [&](Script s) { return c.n.count(s) ? static_cast<double>(c.n[s]) / c.letters : 0.0; };
  double han = share(Script::Han), kana = share(Script::Kana), hangul = share(Script::Hangul);
  if (kana > 0.05 && han + kana > 0.3)
    return "Japanese";
  if (hangul > 0.3)
    return "Korean";
  if (han > 0.3)
    return "Chinese";
  static const std::pair<Script, const char *> others[] = {
      {Script::Cyrillic, "Russian"}, {Script::Greek, "Greek"},  {Script::Arabic, "Arabic"},
      {Script::Hebrew, "Hebrew"},    {Script::Devanagari, "Hindi"}, {Script::Thai, "Thai"}};
  for (auto [script, name] : others)
    if (share(script) > 0.5)
      return name;
  return latinLanguage(text, fallback);
}

bool languageCountsCharacters(std::string_view language) {
  auto s = scriptForLanguage(language);
  return s == Script::Han || s == Script::Kana;
}

bool scriptMatchesLanguage(std::string_view text, std::string_view language) {
  auto c = countScripts(text);
  if (c.letters < 20)
    return true; // too little to judge
  auto share = [&](Script s) { return c.n.count(s) ? static_cast<double>(c.n[s]) / c.letters : 0.0; };
  switch (scriptForLanguage(language)) {
  case Script::Han:
    return share(Script::Han) > 0.3;
  case Script::Kana:
    return share(Script::Han) + share(Script::Kana) > 0.3;
  case Script::Hangul:
    return share(Script::Hangul) > 0.3;
  case Script::Latin:
    return share(Script::Latin) > 0.5;
  default:
    return share(scriptForLanguage(language)) > 0.5;
  }
}

} // namespace recurrent::engine
