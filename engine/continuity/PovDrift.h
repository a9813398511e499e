// Check "pov-drift": first-person narration in a chapter whose front matter says it is told in the third
// person (`pov: third`, `pov: third limited`, `pov: omniscient`, or a character's name), as a Hint.
//
// A paragraph is flagged once, at its first "I", "I'm", "me", "my" or "myself" outside dialogue: text in
// quotation marks (" “” «» „ 「」 『』, ‘’ and ' used as quotes), *emphasis* or _emphasis_ (thoughts are
// often set in italics) and block quotes (`>` lines: a letter) is left out. An "I" right after a capitalised
// word mid-sentence is a numeral ("Alexander I"). A `pov:` naming the first or second person is not checked.
//
// Thread-safety: stateless; check() may run on several threads at once.
#pragma once

#include "engine/continuity/CheckContext.h"

#include <string_view>
#include <vector>

namespace recurrent::engine::continuity {

class PovDrift {
public:
  std::vector<Finding> check(const CheckContext &context, const ChapterView &view) const;
  /// Whether a `pov:` value announces third-person narration.
  static bool isThirdPerson(std::string_view pov);
};

} // namespace recurrent::engine::continuity
