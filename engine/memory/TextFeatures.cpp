#include "engine/memory/TextFeatures.h"
#include "support/Utf8.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>

namespace recurrent::engine::text {
namespace {

bool isCjk(char32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x20000 && c <= 0x2FFFF);
}

/// Letters and digits of any script; everything else (ASCII punctuation, general and
/// CJK punctuation, full-width forms, symbols, spaces) separates words.
bool isWordChar(char32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == 0xFFFD)
    return false;
  if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F))
    return false;
  if (c >= 0xFF00 && c <= 0xFFEF) // full-width forms: keep full-width letters and digits
    return (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A);
  return true;
}

char32_t lower(char32_t c, bool &wasUpper) {
  wasUpper = true;
  if (c >= 'A' && c <= 'Z')
    return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
    return c + 32;
  if (c >= 0x410 && c <= 0x42F)
    return c + 32;
  if (c >= 0x400 && c <= 0x40F)
    return c + 80;
  wasUpper = false;
  return c;
}

constexpr std::array kStopwords = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
    "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "every", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
    "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "much", "must",
    "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our",
    "ours", "out", "over", "own", "s", "said", "same", "say", "she", "should", "so", "some", "such", "t", "than",
    "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
    "yourself"};

/// Base letters of U+00C0..U+017F, one entry per code point ("" = not a letter: kept as is).
constexpr std::array<const char *, 0x180 - 0xC0> kFolded = {
    // U+00C0..U+00FF (Latin-1)
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o",
    "o", "", "o", "u", "u", "u", "u", "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
    "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    // U+0100..U+017F (Latin Extended-A)
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", "d", "d", "e", "e", "e", "e",
    "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i",
    "i", "i", "i", "i", "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "l",
    "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", "o", "o", "oe", "oe", "r", "r", "r", "r",
    "r", "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u",
    "u", "u", "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};

} // namespace

std::string foldDiacritics(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  std::size_t i = 0;
  while (i < word.size()) {
    if (static_cast<unsigned char>(word[i]) < 0x80) {
      out += word[i++];
      continue;
    }
    std::size_t start = i;
    char32_t c = utf8::next(word, i);
    if (c >= 0xC0 && c < 0x180 && *kFolded[c - 0xC0])
      out += kFolded[c - 0xC0];
    else if (c == 0x451 || c == 0x401) // ё, Ё
      out += "е";
    else
      out.append(word.substr(start, i - start));
  }
  return out;
}

void forEachWord(std::string_view s, const std::function<void(const Word &)> &visit) {
  std::size_t i = 0;
  Word cur;
  bool inWord = false;
  auto flush = [&] {
    if (inWord)
      visit(cur);
    cur.text.clear(); // keeps its buffer: no allocation per word
    cur.cjk = cur.capitalised = false;
    inWord = false;
  };
  while (i < s.size()) {
    // ASCII letters, digits and separators first: most of most books.
    if (auto b = static_cast<unsigned char>(s[i]); b < 0x80 && b != '\'') {
      ++i;
      bool upper = b >= 'A' && b <= 'Z';
      if (upper || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
        if (!inWord)
          cur.capitalised = upper;
        inWord = true;
        cur.text += static_cast<char>(upper ? b + 32 : b);
      } else {
        flush();
      }
      continue;
    }
    std::size_t start = i;
    char32_t c = utf8::next(s, i);
    if (isCjk(c)) {
      flush();
      cur.text.assign(s.substr(start, i - start));
      cur.cjk = true;
      visit(cur);
      cur.text.clear();
      cur.cjk = false;
      continue;
    }
    // An apostrophe between letters stays inside the word ("don't", "Anna's").
    bool apostrophe = (c == '\'' || c == 0x2019) && inWord && i < s.size();
    if (apostrophe) {
      std::size_t j = i;
      if (isWordChar(utf8::next(s, j))) {
        cur.text += '\'';
        continue;
      }
    }
    if (!isWordChar(c)) {
      flush();
      continue;
    }
    bool upper = false;
    char32_t l = lower(c, upper);
    if (!inWord)
      cur.capitalised = upper;
    inWord = true;
    if (c < 0x80)
      cur.text += static_cast<char>(l);
    else
      utf8::append(cur.text, l);
  }
  flush();
}

std::vector<Word> words(std::string_view s) {
  std::vector<Word> out;
  out.reserve(s.size() / 6); // about one word per six bytes of prose
  forEachWord(s, [&](const Word &w) { out.push_back(w); });
  return out;
}

bool isStopword(std::string_view w) {
  // Possessives and contractions of stop words ("it's", "don't") are stop words too.
  if (auto q = w.find('\''); q != std::string_view::npos)
    w = w.substr(0, q);
  if (w.empty() || w.size() > 10) // "themselves" is the longest
    return false;
  // An open-addressing table (a fifth full): this runs for every word of a book when it is
  // indexed, and a std::unordered_set's hashing and node chasing were most of its cost.
  constexpr std::size_t kSlots = 1024;
  static const auto kTable = [] {
    std::array<std::string_view, kSlots> table{};
    for (std::string_view s : kStopwords) {
      std::size_t i = hash64(s) & (kSlots - 1);
      while (!table[i].empty())
        i = (i + 1) & (kSlots - 1);
      table[i] = s;
    }
    return table;
  }();
  for (std::size_t i = hash64(w) & (kSlots - 1); !kTable[i].empty(); i = (i + 1) & (kSlots - 1))
    if (kTable[i] == w)
      return true;
  return false;
}

std::vector<std::string_view> sentences(std::string_view s) {
  std::vector<std::string_view> out;
  auto push = [&](std::size_t b, std::size_t e) {
    while (b < e && (s[b] == ' ' || s[b] == '\n' || s[b] == '\r' || s[b] == '\t'))
      ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\n' || s[e - 1] == '\r' || s[e - 1] == '\t'))
      --e;
    // Drop pieces with no letters (stray quotes, ellipses).
    std::size_t k = b;
    bool any = false;
    while (k < e && !any) {
      char32_t c = utf8::next(s, k);
      any = isWordChar(c) || isCjk(c);
    }
    if (any)
      out.push_back(s.substr(b, e - b));
  };
  std::size_t begin = 0, i = 0;
  while (i < s.size()) {
    char32_t c = utf8::next(s, i);
    bool ascii = c == '.' || c == '!' || c == '?';
    bool wide = c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x2026;
    if (!ascii && !wide)
      continue;
    // Swallow more terminators and closing quotes/brackets: `?!"`, `。」`.
    std::size_t j = i;
    while (j < s.size()) {
      std::size_t k = j;
      char32_t d = utf8::next(s, k);
      bool closing = d == '.' || d == '!' || d == '?' || d == '"' || d == '\'' || d == ')' || d == 0x201D ||
                     d == 0x2019 || d == 0x300D || d == 0x300F || d == 0xFF09 || d == 0x3002 || d == 0xFF01 ||
                     d == 0xFF1F || d == 0x2026 || d == 0xBB;
      if (!closing)
        break;
      j = k;
    }
    // ASCII terminators end a sentence only before whitespace (not "3.5", "Mr.Smith").
    if (ascii && j < s.size() && !(s[j] == ' ' || s[j] == '\n' || s[j] == '\r' || s[j] == '\t'))
      continue;
    // Common abbreviations: "Mr. Darcy" is one sentence.
    if (c == '.' && j == i) {
      std::size_t w = i - 1;
      while (w > begin && std::isalpha(static_cast<unsigned char>(s[w - 1])))
        --w;
      std::string_view word = s.substr(w, i - 1 - w);
      if (word == "Mr" || word == "Mrs" || word == "Dr" || word == "St" || word == "Ms" || word == "Prof" ||
          (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))))
        continue;
    }
    push(begin, j);
    begin = i = j;
  }
  push(begin, s.size());
  return out;
}

std::uint64_t hash64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // splitmix64 finaliser: FNV's high bits are weak for short keys.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

std::uint64_t hashCombine(std::uint64_t a, std::uint64_t b) {
  std::uint64_t h = a * 0x9E3779B97F4A7C15ULL + (b ^ (b >> 29)) + 0x632BE59BD9B4E019ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

} // namespace recurrent::engine::text
