// Words and quotes in prose, as the continuity checks read them.
//
// A word is a run of letters (any script but CJK, which has no spaces between words) and combining marks,
// with apostrophes inside it ("O'Brien", "don't"); a final "'s"/"’s" is a possessive the lookups strip.
// Hyphens and everything else end a word. Case folding is utf8::foldCase (the scripts names use).
//
// Thread-safety: pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace recurrent::engine::continuity {

/// Calls `f(begin, end)` for each word in [from, to) of `text`.
template <typename F> void forEachWord(std::string_view text, std::size_t from, std::size_t to, F &&f);

bool isWordLetter(char32_t cp);
/// The first code point is an upper-case letter.
bool isCapitalised(std::string_view word);
/// Code points in `word`.
std::size_t codePoints(std::string_view word);
/// `word` case-folded.
std::string folded(std::string_view word);
/// `word` without a final 's / ’s.
std::string_view withoutPossessive(std::string_view word);
/// A quotation mark of dialogue: " “ ” « » „ ‘ ’ ' (and CJK 「」『』).
bool isQuoteMark(char32_t cp);

/// The code point starting at byte `i` (U+FFFD when invalid); `length` gets its bytes.
char32_t codePointAt(std::string_view text, std::size_t i, std::size_t *length = nullptr);
/// The code point ending right before byte `pos` (0 when pos <= floor).
char32_t codePointBefore(std::string_view text, std::size_t pos, std::size_t floor = 0);

/// Where the word ends that starts at `begin` (begin itself when no word starts there).
std::size_t wordEndAt(std::string_view text, std::size_t begin, std::size_t to);

template <typename F> void forEachWord(std::string_view text, std::size_t from, std::size_t to, F &&f) {
  std::size_t i = from;
  while (i < to) {
    std::size_t len = 1;
    char32_t cp = codePointAt(text, i, &len);
    if (!isWordLetter(cp)) {
      i += len;
      continue;
    }
    auto end = wordEndAt(text, i, to);
    f(i, end);
    i = end;
  }
}

} // namespace recurrent::engine::continuity
