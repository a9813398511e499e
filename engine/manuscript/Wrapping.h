// Hard-wrapped manuscripts: the column a manuscript wraps its prose at, and new text wrapped to it.
//
// Many books (Project Gutenberg texts, writers who use `gq` or `fill-paragraph`) break every paragraph into
// lines of about 70 characters; a continuation arriving as one 1,000-character line breaks their look. The
// width is read from the manuscript's own paragraphs: a paragraph long enough to need wrapping that is still
// one line means the writer does not wrap. StreamWrapper wraps text as it streams, a word behind.
// Widths count code points. Pure functions; StreamWrapper is a value type for one thread at a time.
#pragma once

#include "engine/manuscript/Manuscript.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace recurrent::engine {

/// The column the manuscript's prose is wrapped at, or nullopt when its paragraphs are single lines (or it has
/// too few long paragraphs to tell). Hard-wrapped: most paragraphs longer than the width span several lines.
std::optional<std::size_t> hardWrapWidth(const Manuscript &manuscript);

/// Greedy word wrap of a stream of text into lines of at most `width` code points (a longer word stays whole
/// on its own line). Runs of white space, line breaks included, become one space or one line break. A word
/// that would start a line as Markdown syntax (`#`, `>`, `-`, `*`, `+`, `1.`) stays on the line before.
class StreamWrapper {
public:
  explicit StreamWrapper(std::size_t width) : width_(width) {}
  /// The wrapped text that can be written now (everything but the word still arriving).
  std::string feed(std::string_view text);
  /// The rest, at the end of the stream.
  std::string finish();

private:
  void emitWord(std::string &out);
  std::size_t width_;
  std::size_t column_ = 0;   ///< code points on the current output line
  std::string word_;         ///< the word not yet placed
  bool started_ = false;     ///< a word has been written
};

/// `text` wrapped at `width` (StreamWrapper over the whole text).
std::string wrapText(std::string_view text, std::size_t width);

} // namespace recurrent::engine
