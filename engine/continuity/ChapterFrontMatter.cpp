#include "engine/continuity/ChapterFrontMatter.h"

#include "engine/continuity/TextScan.h"
#include "engine/manuscript/LineRules.h"

namespace recurrent::engine::continuity {

std::optional<FrontMatterField> frontMatterField(std::string_view text, std::string_view key) {
  std::uint32_t number = 0;
  std::size_t at = 0;
  auto nextLine = [&]() -> std::optional<std::string_view> {
    if (at > text.size() || (at == text.size() && number > 0))
      return std::nullopt;
    auto nl = text.find('\n', at);
    auto line = text.substr(at, (nl == std::string_view::npos ? text.size() : nl) - at);
    at = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    return line;
  };
  auto first = nextLine();
  if (!first || !lines::opensFrontMatter(*first))
    return std::nullopt;
  std::optional<FrontMatterField> found;
  auto wanted = folded(key);
  while (auto line = nextLine()) {
    ++number;
    if (lines::closesFrontMatter(*line))
      return found;
    if (line->empty() || line->front() == ' ' || line->front() == '\t' || line->front() == '#')
      continue;
    auto colon = line->find(':');
    if (colon == std::string_view::npos || folded(lines::trim(line->substr(0, colon))) != wanted)
      continue;
    auto value = lines::trim(line->substr(colon + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string_view::npos) {
      value = lines::trim(value.substr(0, hash));
    }
    found = FrontMatterField{std::string(value), number};
  }
  return std::nullopt; // never closed: not front matter
}

} // namespace recurrent::engine::continuity
