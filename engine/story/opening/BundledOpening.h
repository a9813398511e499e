// The opening `recurrent write` continues when it is given neither a topic nor a manuscript.
//
// A dozen paragraphs written for this project (no third-party text): enough prose for
// the offline model to learn a voice, names and places from, and a hook to continue.
// Thread-safe (constant data).
#pragma once

#include <string_view>

namespace recurrent::engine {

struct BundledOpening {
  std::string_view title;
  std::string_view genre;
  std::string_view language;
  std::string_view markdown; ///< the manuscript text, with its title and chapter headings
};

const BundledOpening &bundledOpening();

} // namespace recurrent::engine
