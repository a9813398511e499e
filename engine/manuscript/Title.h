// The manuscript's own title: the one Markdown H1 a writer put at the top.
//
// A story's title comes from here when there is one, never from a model's answer (a model asked for a
// title would rename the writer's book). Pure function; thread-safe.
#pragma once

#include "engine/manuscript/Manuscript.h"

#include <optional>
#include <string>

namespace recurrent::engine {

/// The text of the first heading when it is a `# ` (ATX level 1) heading, the only one in the manuscript,
/// and not a chapter line ("# Chapter One"); nullopt otherwise (several H1s are chapters, not a title).
std::optional<std::string> writersTitle(const Manuscript &manuscript);

} // namespace recurrent::engine
