// Small UTF-8 helpers: decoding code points and classifying scripts.
//
// The story and memory layers need to know, per character, whether it is CJK (one token, one word),
// Latin, or another script: for token estimates, language detection and the offline
// model's tokenizer. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace recurrent::utf8 {

/// Decodes the code point at `text[i]` and advances `i`; an invalid byte decodes as U+FFFD (one byte).
char32_t next(std::string_view text, std::size_t &i);
void append(std::string &out, char32_t cp);

enum class Script { Ascii, Latin, Han, Kana, Hangul, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, Other };
Script scriptOf(char32_t cp);
/// Han, kana or hangul: scripts written without spaces, about one token per character.
inline bool isCjk(char32_t cp) {
  auto s = scriptOf(cp);
  return s == Script::Han || s == Script::Kana || s == Script::Hangul;
}
/// CJK punctuation (。！？、「」…) that ends or separates clauses.
bool isCjkPunctuation(char32_t cp);
/// A letter in any script we classify (not punctuation, digit or space).
bool isLetter(char32_t cp);
/// Simple case folding for the scripts writers' names mostly use: ASCII, Latin-1, Latin Extended-A,
/// Greek, Cyrillic. Other code points are returned as they are.
char32_t foldCase(char32_t cp);

/// The longest prefix of `text` of at most `maxBytes` bytes that does not split a character.
std::string_view prefixBytes(std::string_view text, std::size_t maxBytes);
/// The longest suffix of `text` of at most `maxBytes` bytes that does not split a character.
std::string_view suffixBytes(std::string_view text, std::size_t maxBytes);

} // namespace recurrent::utf8
