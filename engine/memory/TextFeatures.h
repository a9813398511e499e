// Word and sentence segmentation shared by the hashed embedder and the extractive summarizer.
//
// Language-agnostic by design: a word is a run of letters or digits (any script),
// except that each CJK ideograph, kana or hangul syllable is a word of its own,
// since those scripts put no spaces between words. Lower-casing covers ASCII,
// Latin-1 and Cyrillic; a small English stop list marks function words.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine::text {

struct Word {
  std::string text;     ///< lower-cased
  bool cjk = false;     ///< a single CJK character
  bool capitalised = false; ///< starts with an upper-case letter in the source
};

/// The words of `text`, in order.
std::vector<Word> words(std::string_view text);
/// Calls `visit` with each word of `text`, in order, without building a list (the
/// Word passed is reused for the next one: copy what you keep).
void forEachWord(std::string_view text, const std::function<void(const Word &)> &visit);

/// True for English function words ("the", "and", "of", ...) that carry little meaning.
bool isStopword(std::string_view lowerCaseWord);

/// Writes Latin letters with diacritics as their base letters ("é" -> "e", "ß" -> "ss",
/// "ł" -> "l") and Cyrillic "ё" as "е", so a word matches however it was accented.
std::string foldDiacritics(std::string_view word);

/// Splits `text` into sentences at . ! ? … and 。！？ (with any closing quotes or
/// brackets that follow). Returned views point into `text`, trimmed of whitespace.
std::vector<std::string_view> sentences(std::string_view text);

/// 64-bit FNV-1a, then a mixing step so every bit depends on every input byte.
std::uint64_t hash64(std::string_view bytes, std::uint64_t seed = 0);
/// Combines two hashes into one (order matters).
std::uint64_t hashCombine(std::uint64_t a, std::uint64_t b);

} // namespace recurrent::engine::text
