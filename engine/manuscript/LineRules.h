// Line rules of the manuscript model: what a single line of text is (blank, heading, scene break, fence, ...).
//
// Pure functions over one line's bytes (no '\n'; a trailing '\r' already removed), used by the
// segmenter in Manuscript.cpp. Kept apart so each rule can be read and tested on its own.
// Invalid UTF-8 is read byte by byte as U+FFFD. Thread-safety: stateless, callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace recurrent::engine::lines {

/// Unicode white space: ASCII space and controls \t..\r, U+0085, U+00A0, U+1680, U+2000..U+200A,
/// U+2028, U+2029, U+202F, U+205F, U+3000 (ideographic space) and U+FEFF (a stray byte-order mark).
bool isSpace(char32_t cp);
/// Decodes the code point at `i` (U+FFFD for an invalid byte) and sets `length` to its byte count.
char32_t decodeAt(std::string_view s, std::size_t i, std::size_t &length);

std::string_view trimLeft(std::string_view s);
std::string_view trimRight(std::string_view s);
inline std::string_view trim(std::string_view s) { return trimLeft(trimRight(s)); }
inline bool isBlank(std::string_view line) { return trimLeft(line).empty(); }

/// Whitespace-separated tokens, each CJK ideograph or kana counting as one word on its own;
/// CJK punctuation separates words like white space.
std::uint32_t countWords(std::string_view text);

/// A fence opener: "```" or "~~~" (three or more), after optional indentation.
struct Fence {
  char marker = '`';
  std::size_t length = 3;
};
std::optional<Fence> fenceOpen(std::string_view line);
/// Closes `open`: the same marker, at least as long, nothing but white space after it.
bool closesFence(std::string_view line, Fence open);

/// Byte index of "<!--" when the line (after indentation) starts an HTML comment.
std::optional<std::size_t> commentOpen(std::string_view line);

/// Front matter delimiters: exactly "---" at the text's first line; "---" or "..." to close.
bool opensFrontMatter(std::string_view line);
bool closesFrontMatter(std::string_view line);

/// A Markdown ATX heading: 1 to 6 '#' then a space or the end. An empty title ("#" alone) is
/// reported with an empty title: the segmenter treats it as a scene break.
struct AtxHeading {
  int level = 1;
  std::string_view title;
};
std::optional<AtxHeading> atxHeading(std::string_view line);

/// "***", "* * *", "---", "___" (three or more of one of these marks, spaces allowed between), "⁂".
bool isSceneBreakLine(std::string_view line);

/// What a line that stands alone as its own paragraph may be besides prose.
enum class Standalone { Prose, Chapter, SceneBreak };
/// Chapter lines: "Chapter 12", "CHAPTER XII. Title", "Chapter the First", "BOOK ONE: 1805",
/// "Part Two", "Volume III", "Prologue", "FIRST EPILOGUE: 1813 - 20", "I. A SCANDAL IN BOHEMIA",
/// "第一回 ...", "第十二章". A bare upper-case Roman numeral ("II", "IV.") is a scene break (a
/// numbered section). Lines longer than kMaxHeadingChars code points are always prose.
Standalone classifyStandalone(std::string_view line);
inline constexpr std::size_t kMaxHeadingChars = 80;
/// The second line of a two-line heading paragraph ("CHAPTER I." then "Down the Rabbit-Hole"):
/// short, not itself a chapter line, and not ending like a sentence (. , ; :) so that a
/// one-line paragraph written right under a heading is not taken for its title.
bool isHeadingSubtitle(std::string_view line);
inline constexpr std::size_t kMaxSubtitleChars = 60;

} // namespace recurrent::engine::lines
