// Snowball stemming of lower-cased words, in the story's language, through libstemmer.
//
// "walked", "walking" and "walks" share one stem, so a query finds a paragraph that
// says the same thing in another form of the word. libstemmer (Debian's
// libstemmer-dev) is the Snowball project's own C implementation for two dozen
// languages; a stemmer written here would cover English badly and nothing else.
// A language Snowball has no algorithm for (Chinese, Japanese, ...) stems nothing.
//
// Thread-safety: a Stemmer is used by one thread at a time (libstemmer keeps its
// working buffers in the stemmer object); algorithmFor() is thread-safe.
#pragma once

#include <string>
#include <string_view>

struct sb_stemmer;

namespace recurrent::engine {

class Stemmer {
public:
  /// The Snowball algorithm for a language given by its English name ("English",
  /// "french") or ISO code ("de"), or "" when Snowball has none.
  static std::string algorithmFor(std::string_view language);

  /// A stemmer for `algorithm` (from algorithmFor()); "" or an unknown one leaves words as they are.
  explicit Stemmer(const std::string &algorithm);
  ~Stemmer();
  Stemmer(const Stemmer &) = delete;
  Stemmer &operator=(const Stemmer &) = delete;

  const std::string &algorithm() const { return algorithm_; }
  /// The stem of a lower-cased UTF-8 word; the view is valid until the next call.
  std::string_view stem(std::string_view word);

private:
  std::string algorithm_;
  sb_stemmer *stemmer_ = nullptr;
};

} // namespace recurrent::engine
