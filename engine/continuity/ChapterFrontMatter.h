// A field of a chapter file's front matter (`pov: third` between `---` lines at the file's top).
//
// Only top-level `key: value` lines are read (a quoted value loses its quotes, a `# comment` after a plain
// value is dropped); nested YAML is left to whoever needs it. Thread-safety: pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace recurrent::engine::continuity {

struct FrontMatterField {
  std::string value;
  std::uint32_t line = 0; ///< 0-based, in the chapter file
};

/// `key`'s value in the front matter at the top of `text`, if both are there (key compared in any case).
std::optional<FrontMatterField> frontMatterField(std::string_view text, std::string_view key);

} // namespace recurrent::engine::continuity
