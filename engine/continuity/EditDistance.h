// Damerau-Levenshtein distance between two words, over code points: how many letters were dropped, added,
// changed or swapped with a neighbour ("Elizabteh" is one swap from "Elizabeth").
//
// The optimal-string-alignment variant (no substring edited twice), which is what a typing slip is.
// Thread-safety: pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace recurrent::engine::continuity {

/// The distance between `a` and `b` (UTF-8), or `limit + 1` as soon as it is known to exceed `limit`.
std::size_t editDistance(std::u32string_view a, std::u32string_view b, std::size_t limit);
std::size_t editDistance(std::string_view a, std::string_view b, std::size_t limit);

/// The code points of a UTF-8 word.
std::u32string toCodePoints(std::string_view word);

} // namespace recurrent::engine::continuity
