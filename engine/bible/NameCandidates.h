// Proper names a chapter uses that its bible does not know yet: "Extract bible entries" without a model.
//
// A candidate is a capitalised word (the possessive 's stripped) that the chapter uses at least once inside
// a sentence, where a capital says "name" rather than "first word". Left out: words of the word list in
// lower case ("The", "Rose"), words in capitals ("ANA", a shout or a sign), one-letter words, titles
// ("Mr"), Markdown headings (title case), comments (plans and facts) and front matter, and whatever the
// caller already knows (the bible's names, aliases and mentions). Counted over every capitalised use,
// sentence starts too. A lone first name that begins exactly one longer candidate ("Mirelda" beside
// "Mirelda Vosk") is that candidate's alias, not a name of its own. About 15 ms per megabyte of text.
//
// Thread-safety: pure function; any thread.
#pragma once

#include "engine/continuity/NameDictionary.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

struct NameCandidate {
  std::string name;
  std::uint32_t count = 0;
  std::size_t first = 0; ///< byte offset of its first use by this name (not by an alias)
  /// Lone first names folded into this name, their uses in `count` ("Mirelda" of "Mirelda Vosk").
  std::vector<std::string> aliases;
};

/// Whether the word `text[begin, end)` is already the bible's.
using KnownName = std::function<bool(std::string_view word, std::size_t begin, std::size_t end)>;

/// The `limit` most used candidates of `text`, most used first (ties: the first seen first).
/// `dictionary` may be null (then only sentence starts and capitals are told from names).
std::vector<NameCandidate> nameCandidates(std::string_view text, const continuity::NameDictionary *dictionary,
                                          const KnownName &known, std::size_t limit);

} // namespace recurrent::engine
