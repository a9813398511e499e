// `recurrent write --resume` given the flags the story was started with: which of them disagree.
//
// A writer reruns the original command with --resume added; flags that say what the saved story already
// says are fine, and only a flag that contradicts it is refused, naming both values. Pure; thread-safe.
#pragma once

#include "cli/Args.h"
#include "engine/story/StoryState.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::cli {

/// `manuscript` is the story's text now; `fromText` the --from file's text when it was given and readable
/// (nullopt: unreadable, which disagrees), and `fromInPlace` true when --from names the manuscript itself.
/// Each conflict is one sentence, e.g. `--type "romance" differs from the story's genre "mystery"`.
std::vector<std::string> resumeConflicts(const Args &args, const engine::StoryState &story,
                                         std::string_view manuscript, const std::optional<std::string> &fromText,
                                         bool fromInPlace);

} // namespace recurrent::cli
