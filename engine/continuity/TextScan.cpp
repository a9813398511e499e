#include "engine/continuity/TextScan.h"

#include "support/Utf8.h"

namespace recurrent::engine::continuity {

bool isWordLetter(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp >= 0x300 && cp <= 0x36F) // combining marks
    return true;
  return utf8::isLetter(cp) && !utf8::isCjk(cp);
}

char32_t codePointAt(std::string_view text, std::size_t i, std::size_t *length) {
  auto start = i;
  auto cp = utf8::next(text, i);
  if (length)
    *length = i - start;
  return cp;
}

char32_t codePointBefore(std::string_view text, std::size_t pos, std::size_t floor) {
  if (pos <= floor)
    return 0;
  auto k = pos - 1;
  while (k > floor && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80)
    --k;
  return codePointAt(text, k);
}

std::size_t wordEndAt(std::string_view text, std::size_t begin, std::size_t to) {
  std::size_t i = begin;
  while (i < to) {
    std::size_t len = 1;
    char32_t cp = codePointAt(text, i, &len);
    if (isWordLetter(cp)) {
      i += len;
      continue;
    }
    // An apostrophe between two letters stays inside the word.
    if ((cp == '\'' || cp == 0x2019) && i > begin && i + len < to && isWordLetter(codePointAt(text, i + len))) {
      i += len;
      continue;
    }
    break;
  }
  return i;
}

bool isCapitalised(std::string_view word) {
  if (word.empty())
    return false;
  auto cp = codePointAt(word, 0);
  return utf8::foldCase(cp) != cp;
}

std::size_t codePoints(std::string_view word) {
  std::size_t n = 0;
  for (char c : word)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string folded(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size();) {
    auto b = static_cast<unsigned char>(word[i]);
    if (b < 0x80) {
      out += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
      ++i;
      continue;
    }
    utf8::append(out, utf8::foldCase(utf8::next(word, i)));
  }
  return out;
}

std::string_view withoutPossessive(std::string_view word) {
  for (std::string_view s : {"'s", "\xE2\x80\x99s", "'S", "\xE2\x80\x99S"})
    if (word.size() > s.size() && word.ends_with(s))
      return word.substr(0, word.size() - s.size());
  return word;
}

bool isQuoteMark(char32_t cp) {
  switch (cp) {
  case '"':
  case '\'':
  case 0x201C: // “
  case 0x201D: // ”
  case 0x2018: // ‘
  case 0x2019: // ’
  case 0x00AB: // «
  case 0x00BB: // »
  case 0x201E: // „
  case 0x300C: // 「
  case 0x300D: // 」
  case 0x300E: // 『
  case 0x300F: // 』
    return true;
  default:
    return false;
  }
}

} // namespace recurrent::engine::continuity
