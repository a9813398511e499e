// Check "name-misspelling": a capitalised word a letter or two away from a bible name ("Natsaha" when the
// bible has Natasha), offered as a Warning with the name as its replacement.
//
// Precision first. A word is a candidate only when all of these hold:
//   - it is capitalised, outside every mention of the bible (names, aliases, keys, plural/possessive forms),
//     and is not itself a word of any entry's name, alias, plain key or exclusion (any case);
//   - it is within the edit budget of one name word (Damerau-Levenshtein, over code points): 1 edit for
//     names of 4 to 9 letters, 2 from 10 letters; shorter names are never targets, and neither are name
//     words that are common words ("Prince", "Count": their slips are the spell checker's business). The
//     first letter is kept, or swapped with the second (slips at a word's start are rare; sentence-initial
//     common words are what a changed first letter mostly finds);
//   - it is not a name word with another ending (one a prefix of the other: "Alexanders", "Dólokhova",
//     "Kurágina" beside "Kurágin"): inflections, not slips;
//   - it has no more accented letters than the name: "Napoléon" beside "Napoleon" was typed on purpose,
//     while "Natasha" beside "Natásha" is a dropped accent and is flagged;
//   - it is not a word of the word list (NameDictionary), as written or in lower case;
//   - the book uses it fewer than 3 times (namedAfter): a word used again and again is a name of its own
//     ("Dórokhov", a character's mispronunciation) or a spelling the writer chose; a slip repeated that
//     often is taken for the writer's choice too;
//   - one name is nearest: a word as near to two different names is left alone.
// Scripts without capitals (CJK) are never candidates: their names are never flagged.
//
// Thread-safety: immutable after construction; check() may run on several threads at once.
#pragma once

#include "engine/continuity/CheckContext.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace recurrent::engine::continuity {

class NearMissNames {
public:
  struct Options {
    std::size_t minTargetLetters = 4;
    std::size_t twoEditsFrom = 10;  ///< letters from which two edits are allowed
    std::uint32_t namedAfter = 3;   ///< a word the book uses this often is a name of its own
  };
  /// Compiles the bible's name words; `dictionary` (may be null) tells which are common words.
  NearMissNames(const Bible &bible, const NameDictionary *dictionary, Options options);
  NearMissNames(const Bible &bible, const NameDictionary *dictionary)
      : NearMissNames(bible, dictionary, Options{}) {}

  std::vector<Finding> check(const CheckContext &context, const ChapterView &view) const;

  /// The name word `word` is a slip of, if any (the rules above minus the book's counts and mentions).
  struct Target {
    std::size_t entry = 0;
    std::string word;       ///< the name word it is near
    std::string name;       ///< the name or alias holding it, as written in the bible
  };
  std::optional<Target> nearestName(std::string_view word, const NameDictionary *dictionary) const;

private:
  struct NameWord {
    std::u32string letters;
    std::string text;
    std::size_t entry = 0;
    std::string name;
  };
  Options options_;
  std::vector<NameWord> targets_;
  std::unordered_set<std::string> known_; ///< every word of every name, alias, key, exclusion, folded
  std::vector<std::u32string> knownLetters_; ///< the same words as code points
};

} // namespace recurrent::engine::continuity
