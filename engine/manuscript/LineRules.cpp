// Line rules of the manuscript model (see LineRules.h).
#include "engine/manuscript/LineRules.h"

#include <array>

namespace recurrent::engine::lines {

namespace {

bool isAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isAsciiLower(char c) { return c >= 'a' && c <= 'z'; }
bool isAsciiLetter(char c) { return isAsciiUpper(c) || isAsciiLower(c); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return isAsciiUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsLower(std::string_view word, std::string_view lowerWord) {
  if (word.size() != lowerWord.size())
    return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(word[i]) != lowerWord[i])
      return false;
  return true;
}

template <std::size_t N> bool inList(std::string_view word, const std::array<std::string_view, N> &list) {
  for (auto w : list)
    if (equalsLower(word, w))
      return true;
  return false;
}

constexpr std::array<std::string_view, 4> kSectionWords{"chapter", "book", "part", "volume"};
constexpr std::array<std::string_view, 3> kStandaloneSections{"prologue", "epilogue", "interlude"};
constexpr std::array<std::string_view, 32> kNumberWords{
    "one",    "two",     "three",   "four",     "five",     "six",     "seven",  "eight",
    "nine",   "ten",     "eleven",  "twelve",   "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",  "fifty",  "sixty",
    "seventy", "eighty", "ninety",  "hundred",  "thousand", "zero",    "a",      "and"};
constexpr std::array<std::string_view, 24> kOrdinalWords{
    "first",      "second",     "third",      "fourth",     "fifth",       "sixth",
    "seventh",    "eighth",     "ninth",      "tenth",      "eleventh",    "twelfth",
    "thirteenth", "fourteenth", "fifteenth",  "sixteenth",  "seventeenth", "eighteenth",
    "nineteenth", "twentieth",  "thirtieth",  "fortieth",   "fiftieth",    "last"};

bool isRoman(std::string_view word, bool upperOnly) {
  if (word.empty())
    return false;
  bool upper = isAsciiUpper(word[0]);
  if (upperOnly && !upper)
    return false;
  for (char c : word) {
    if (upper != isAsciiUpper(c))
      return false;
    switch (lower(c)) {
    case 'i': case 'v': case 'x': case 'l': case 'c': case 'd': case 'm': break;
    default: return false;
    }
  }
  return true;
}

std::string_view leadingWord(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && isAsciiLetter(s[n]))
    ++n;
  return s.substr(0, n);
}

std::string_view skipSpaces(std::string_view s) { return trimLeft(s); }

bool startsWithDash(std::string_view s) {
  return !s.empty() && (s[0] == '-' || s.starts_with("\u2014") || s.starts_with("\u2013"));
}

// After a heading's number: the end, punctuation, or white space then something that opens a title
// (not a lower-case letter, which reads as a sentence: "Book one was better.").
bool titleMayFollow(std::string_view rest) {
  if (rest.empty())
    return true;
  char c = rest[0];
  if (c == '.' || c == ':' || c == ',' || c == ';' || c == ')' || startsWithDash(rest))
    return true;
  std::size_t len = 0;
  if (!isSpace(decodeAt(rest, 0, len)))
    return false;
  rest = skipSpaces(rest);
  return rest.empty() || !isAsciiLower(rest[0]);
}

// Consumes a number ("12", "XII", "One", "Twenty-One", "the First") and returns what follows it.
std::optional<std::string_view> consumeNumber(std::string_view s) {
  if (!s.empty() && isDigit(s[0])) {
    std::size_t n = 0;
    while (n < s.size() && isDigit(s[n]))
      ++n;
    return s.substr(n);
  }
  std::string_view w = leadingWord(s);
  if (equalsLower(w, "the")) {
    s = skipSpaces(s.substr(w.size()));
    w = leadingWord(s);
    if (!inList(w, kOrdinalWords))
      return std::nullopt;
    return s.substr(w.size());
  }
  if (isRoman(w, false))
    return s.substr(w.size());
  if (inList(w, kOrdinalWords))
    return s.substr(w.size());
  if (!inList(w, kNumberWords) || equalsLower(w, "a") || equalsLower(w, "and"))
    return std::nullopt;
  // Compound number words: "Twenty-One", "One Hundred and Five".
  s = s.substr(w.size());
  for (;;) {
    std::string_view rest = s;
    if (!rest.empty() && (rest[0] == '-' || rest[0] == ' '))
      rest = rest.substr(1);
    std::string_view next = leadingWord(rest);
    if (next.empty() || !(inList(next, kNumberWords) || inList(next, kOrdinalWords)) || equalsLower(next, "a"))
      return s;
    s = rest.substr(next.size());
  }
}

bool isEnglishChapter(std::string_view t) {
  std::string_view w = leadingWord(t);
  if (w.empty() || !isAsciiUpper(w[0]))
    return false;
  std::string_view rest = t.substr(w.size());
  if (inList(w, kStandaloneSections))
    return titleMayFollow(rest);
  if (inList(w, kOrdinalWords)) { // "FIRST EPILOGUE", "Second Part"
    std::string_view after = skipSpaces(rest);
    if (after.size() == rest.size())
      return false;
    std::string_view w2 = leadingWord(after);
    if (!(inList(w2, kStandaloneSections) || inList(w2, kSectionWords)) || !isAsciiUpper(w2[0]))
      return false;
    return titleMayFollow(after.substr(w2.size()));
  }
  if (!inList(w, kSectionWords))
    return false;
  std::string_view after = skipSpaces(rest);
  if (after.size() == rest.size() || after.empty())
    return false;
  auto tail = consumeNumber(after);
  return tail && titleMayFollow(*tail);
}

// "I. A SCANDAL IN BOHEMIA", "12. THE END": a number, a period and an upper-case title.
bool isNumberedCapsTitle(std::string_view t) {
  std::size_t n = 0;
  while (n < t.size() && isDigit(t[n]))
    ++n;
  if (n == 0) {
    std::string_view w = leadingWord(t);
    if (!isRoman(w, true))
      return false;
    n = w.size();
  }
  if (n >= t.size() || t[n] != '.')
    return false;
  std::string_view rest = t.substr(n + 1);
  std::string_view title = skipSpaces(rest);
  if (title.size() == rest.size() || title.empty())
    return false;
  bool letter = false;
  for (char c : title) {
    if (isAsciiLower(c))
      return false;
    letter = letter || isAsciiUpper(c);
  }
  return letter;
}

bool isBareRoman(std::string_view t) {
  if (!t.empty() && t.back() == '.')
    t.remove_suffix(1);
  return t.size() <= 8 && isRoman(t, true) && leadingWord(t).size() == t.size();
}

bool isChineseNumeral(char32_t cp) {
  static constexpr std::u32string_view kNumerals = U"〇○零一二三四五六七八九十百千两兩壹贰貳叁參肆伍陆陸柒捌玖拾佰仟";
  return (cp >= U'0' && cp <= U'9') || (cp >= U'０' && cp <= U'９') || kNumerals.find(cp) != std::u32string_view::npos;
}

// "第一回", "第十二章 標題", "第3卷".
bool isChineseChapter(std::string_view t) {
  static constexpr std::u32string_view kUnits = U"回章卷部節节集篇幕";
  std::size_t len = 0;
  if (decodeAt(t, 0, len) != U'第')
    return false;
  std::size_t i = len, digits = 0;
  while (i < t.size()) {
    char32_t cp = decodeAt(t, i, len);
    if (!isChineseNumeral(cp))
      break;
    ++digits;
    i += len;
  }
  if (digits == 0 || i >= t.size() || kUnits.find(decodeAt(t, i, len)) == std::u32string_view::npos)
    return false;
  i += len;
  if (i == t.size())
    return true;
  char32_t next = decodeAt(t, i, len);
  return isSpace(next) || next == U'：' || next == U':' || next == U'、' || next == U'.' || next == U'。' ||
         next == U'—' || next == U'－' || next == U'-';
}

bool isCjkWordChar(char32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF && cp != 0x30FB) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
}

bool isCjkPunctuation(char32_t cp) {
  return (cp >= 0x3001 && cp <= 0x303F) || cp == 0x30FB || (cp >= 0xFF01 && cp <= 0xFF0F) ||
         (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65);
}

} // namespace

bool isSpace(char32_t cp) {
  if (cp <= 0x7F)
    return cp == ' ' || (cp >= '\t' && cp <= '\r');
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

char32_t decodeAt(std::string_view s, std::size_t i, std::size_t &length) {
  auto b = static_cast<unsigned char>(s[i]);
  length = 1;
  if (b < 0x80)
    return b;
  std::size_t n;
  char32_t cp;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0xFFFD;
  }
  if (i + n > s.size())
    return 0xFFFD;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80)
      return 0xFFFD;
    cp = (cp << 6) | (c & 0x3F);
  }
  length = n;
  return cp;
}

std::string_view trimLeft(std::string_view s) {
  std::size_t i = 0, len = 0;
  while (i < s.size() && isSpace(decodeAt(s, i, len)))
    i += len;
  return s.substr(i);
}

std::string_view trimRight(std::string_view s) {
  while (!s.empty()) {
    auto last = static_cast<unsigned char>(s.back());
    if (last < 0x80) {
      if (!isSpace(last))
        return s;
      s.remove_suffix(1);
      continue;
    }
    // Step back to the lead byte of the last sequence; a stray continuation byte is not a space.
    std::size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
      --start;
    std::size_t len = 0;
    char32_t cp = decodeAt(s, start, len);
    if (start + len != s.size() || !isSpace(cp))
      return s;
    s.remove_suffix(len);
  }
  return s;
}

std::uint32_t countWords(std::string_view text) {
  std::uint32_t words = 0;
  bool inWord = false;
  std::size_t i = 0, len = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      bool space = b == ' ' || (b >= '\t' && b <= '\r');
      if (!space && !inWord)
        ++words;
      inWord = !space;
      ++i;
      continue;
    }
    char32_t cp = decodeAt(text, i, len);
    i += len;
    if (isSpace(cp) || isCjkPunctuation(cp)) {
      inWord = false;
    } else if (isCjkWordChar(cp)) {
      ++words;
      inWord = false;
    } else {
      if (!inWord)
        ++words;
      inWord = true;
    }
  }
  return words;
}

std::optional<Fence> fenceOpen(std::string_view line) {
  std::string_view t = trimLeft(line);
  if (t.size() < 3 || (t[0] != '`' && t[0] != '~'))
    return std::nullopt;
  std::size_t n = 0;
  while (n < t.size() && t[n] == t[0])
    ++n;
  if (n < 3)
    return std::nullopt;
  // CommonMark: a backtick fence's info string may not contain backticks.
  if (t[0] == '`' && t.find('`', n) != std::string_view::npos)
    return std::nullopt;
  return Fence{t[0], n};
}

bool closesFence(std::string_view line, Fence open) {
  std::string_view t = trimLeft(line);
  std::size_t n = 0;
  while (n < t.size() && t[n] == open.marker)
    ++n;
  return n >= open.length && trimLeft(t.substr(n)).empty();
}

std::optional<std::size_t> commentOpen(std::string_view line) {
  std::string_view t = trimLeft(line);
  if (!t.starts_with("<!--"))
    return std::nullopt;
  return line.size() - t.size();
}

bool opensFrontMatter(std::string_view line) { return trimRight(line) == "---"; }

bool closesFrontMatter(std::string_view line) {
  std::string_view t = trimRight(line);
  return t == "---" || t == "...";
}

std::optional<AtxHeading> atxHeading(std::string_view line) {
  std::string_view t = trimLeft(line);
  std::size_t n = 0;
  while (n < t.size() && t[n] == '#')
    ++n;
  if (n == 0 || n > 6)
    return std::nullopt;
  std::string_view rest = t.substr(n);
  if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t')
    return std::nullopt;
  std::string_view title = trim(rest);
  // An optional closing sequence of '#', preceded by a space (or making up the whole title).
  std::size_t k = title.size();
  while (k > 0 && title[k - 1] == '#')
    --k;
  if (k < title.size() && (k == 0 || title[k - 1] == ' ' || title[k - 1] == '\t'))
    title = trim(title.substr(0, k));
  return AtxHeading{static_cast<int>(n), title};
}

bool isSceneBreakLine(std::string_view line) {
  std::string_view t = trim(line);
  if (t == "\u2042") // ⁂ asterism
    return true;
  if (t.empty() || (t[0] != '*' && t[0] != '-' && t[0] != '_'))
    return false;
  std::size_t marks = 0;
  for (char c : t) {
    if (c == t[0])
      ++marks;
    else if (c != ' ' && c != '\t')
      return false;
  }
  return marks >= 3;
}

namespace {
bool longerThan(std::string_view t, std::size_t maxChars) {
  if (t.size() <= maxChars)
    return false;
  std::size_t chars = 0, i = 0, len = 0;
  while (i < t.size()) {
    decodeAt(t, i, len);
    i += len;
    if (++chars > maxChars)
      return true;
  }
  return false;
}
} // namespace

bool isHeadingSubtitle(std::string_view line) {
  std::string_view t = trim(line);
  if (t.empty() || longerThan(t, kMaxSubtitleChars) || classifyStandalone(t) != Standalone::Prose)
    return false;
  char last = t.back();
  return last != '.' && last != ',' && last != ';' && last != ':';
}

Standalone classifyStandalone(std::string_view line) {
  std::string_view t = trim(line);
  if (t.empty() || longerThan(t, kMaxHeadingChars))
    return Standalone::Prose;
  if (isEnglishChapter(t) || isNumberedCapsTitle(t) || isChineseChapter(t))
    return Standalone::Chapter;
  if (isBareRoman(t))
    return Standalone::SceneBreak;
  return Standalone::Prose;
}

} // namespace recurrent::engine::lines
