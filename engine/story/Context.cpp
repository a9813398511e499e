#include "engine/story/Context.h"

#include "engine/memory/LongTermMemory.h"

#include <algorithm>
#include <set>

namespace recurrent::engine {

std::string paragraphLabel(std::size_t index) { return "paragraph " + std::to_string(index + 1); }

StoryContext recentContext(const Manuscript &m, std::optional<std::size_t> cursor, int recentParagraphs) {
  StoryContext out;
  std::size_t end = cursor ? std::min(*cursor, m.text().size()) : m.text().size();
  auto last = m.paragraphBefore(end);
  if (!last) {
    out.insertAt = end;
    return out;
  }
  const auto &paragraphs = m.paragraphs();
  out.insertAt = cursor ? std::max(end, paragraphs[*last].end) : m.text().size();
  std::size_t count = static_cast<std::size_t>(std::max(1, recentParagraphs));
  std::size_t first = *last + 1 >= count ? *last + 1 - count : 0;
  for (std::size_t i = first; i <= *last; ++i) {
    out.recentParagraphs.push_back(i);
    out.recent.push_back({std::string(m.paragraphText(paragraphs[i])), paragraphLabel(i)});
  }
  return out;
}

Result<StoryContext> gatherContext(const Manuscript &manuscript, const LongTermMemory *memory,
                                   const ContextRequest &request, const CancelToken &cancel) {
  StoryContext out = recentContext(manuscript, request.cursor, request.recentParagraphs);
  if (memory && memory->size() > 0 && !request.query.empty()) {
    std::set<std::size_t> exclude(out.recentParagraphs.begin(), out.recentParagraphs.end());
    auto hits = memory->search(request.query, request.topK, exclude, cancel, request.excludeAround);
    if (!hits)
      return hits.error();
    for (const auto &h : *hits) {
      out.retrieved.push_back({h.summary, paragraphLabel(h.paragraph)});
      out.retrievedParagraphs.push_back(h.paragraph);
    }
  }
  out.previously = request.previously;
  return out;
}

} // namespace recurrent::engine
