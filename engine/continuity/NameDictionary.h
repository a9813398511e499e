// The word list that tells a misspelt name from an ordinary word: "Bones" is a word, "Natsaha" is not.
//
// Debian's `wamerican` list (/usr/share/dict/american-english, about 100,000 words, proper names among them
// with their capital). It is read once per process and kept as a sorted vector searched by binary search.
// Without the file the near-miss check still runs, less sure of itself (more findings on real words), and
// whoever runs it says so once (systemDictionary().notice).
//
// Thread-safety: immutable after load; systemDictionary() is safe to call from any thread.
#pragma once

#include "support/Error.h"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine::continuity {

class NameDictionary {
public:
  /// One word per line (UTF-8); blank lines are skipped.
  static Result<NameDictionary> load(const std::filesystem::path &file);
  static NameDictionary fromWords(std::vector<std::string> words);

  /// `word` as written, or in lower case ("Petty" at a sentence's start, "BONES"), is a word of the list.
  bool contains(std::string_view word) const;
  /// The lower-case form is a word: a common noun or verb, not only a proper name ("prince", not "Mary").
  bool isCommonWord(std::string_view word) const;
  std::size_t size() const { return words_.size(); }

private:
  bool has(std::string_view word) const;
  std::vector<std::string> words_; ///< sorted, unique
};

/// Where Debian's list lives.
inline constexpr const char *kSystemDictionaryPath = "/usr/share/dict/american-english";

struct SystemDictionary {
  std::shared_ptr<const NameDictionary> dictionary; ///< null when the file could not be read
  std::string notice;                               ///< why it is missing (empty when loaded)
};
/// The system word list, read on the first call (RECURRENT_DICTIONARY names another file; an empty value
/// means none).
const SystemDictionary &systemDictionary();

} // namespace recurrent::engine::continuity
