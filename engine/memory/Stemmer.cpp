#include "engine/memory/Stemmer.h"

#include <libstemmer.h>

#include <cctype>

namespace recurrent::engine {

std::string Stemmer::algorithmFor(std::string_view language) {
  std::string name;
  for (char c : language)
    if (c != ' ')
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // "porter" is Snowball's frozen copy of the 1980 English algorithm, not a language.
  if (name.empty() || name == "porter")
    return "";
  sb_stemmer *probe = sb_stemmer_new(name.c_str(), "UTF_8");
  if (!probe)
    return "";
  sb_stemmer_delete(probe);
  return name;
}

Stemmer::Stemmer(const std::string &algorithm) : algorithm_(algorithm) {
  if (!algorithm_.empty())
    stemmer_ = sb_stemmer_new(algorithm_.c_str(), "UTF_8");
  if (!stemmer_)
    algorithm_.clear();
}

Stemmer::~Stemmer() {
  if (stemmer_)
    sb_stemmer_delete(stemmer_);
}

std::string_view Stemmer::stem(std::string_view word) {
  if (!stemmer_ || word.empty())
    return word;
  const sb_symbol *out =
      sb_stemmer_stem(stemmer_, reinterpret_cast<const sb_symbol *>(word.data()), static_cast<int>(word.size()));
  if (!out) // out of memory: the word itself is still a usable term
    return word;
  return {reinterpret_cast<const char *>(out), static_cast<std::size_t>(sb_stemmer_length(stemmer_))};
}

} // namespace recurrent::engine
