// The story's language: detected from its text, or given, and then held in every prompt.
//
// Detection looks at scripts first (Han with kana is Japanese, Han alone Chinese,
// Hangul Korean, Cyrillic Russian, ...), then, for Latin text, at which language's
// function words are most frequent. It is a heuristic for prose of a paragraph or
// more; a writer can always say `--language`. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace recurrent::engine {

/// The language's English name ("English", "Chinese", "French", ...); `fallback` when
/// the text is too short or holds no letters.
std::string detectLanguage(std::string_view text, std::string_view fallback = "English");

/// True when `text` is plausibly written in `language`, judged by script only (so "French"
/// prose passes as "English"; Chinese text written for an English story does not). Used to
/// reject an answer that leaked into another language.
bool scriptMatchesLanguage(std::string_view text, std::string_view language);

/// True for languages written without spaces between words (Chinese, Japanese): lengths are
/// then asked for in characters rather than words.
bool languageCountsCharacters(std::string_view language);

} // namespace recurrent::engine
