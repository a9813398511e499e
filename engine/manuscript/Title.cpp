#include "engine/manuscript/Title.h"

#include "engine/manuscript/LineRules.h"

namespace recurrent::engine {

namespace {

std::string_view headingLine(const Manuscript &m, const Chapter &c) {
  std::string_view rest = std::string_view(m.text()).substr(c.begin);
  rest = rest.substr(0, rest.find('\n'));
  if (!rest.empty() && rest.back() == '\r')
    rest.remove_suffix(1);
  return rest;
}

bool isAtxH1(const Manuscript &m, const Chapter &c) {
  auto h = lines::atxHeading(headingLine(m, c));
  return h && h->level == 1 && !h->title.empty();
}

} // namespace

std::optional<std::string> writersTitle(const Manuscript &manuscript) {
  const auto &chapters = manuscript.chapters();
  if (chapters.empty() || !isAtxH1(manuscript, chapters.front()))
    return std::nullopt;
  for (std::size_t i = 1; i < chapters.size(); ++i)
    if (isAtxH1(manuscript, chapters[i]))
      return std::nullopt;
  const std::string &title = chapters.front().title;
  if (lines::classifyStandalone(title) == lines::Standalone::Chapter)
    return std::nullopt;
  return title;
}

} // namespace recurrent::engine
