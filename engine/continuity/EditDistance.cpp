#include "engine/continuity/EditDistance.h"

#include "support/Utf8.h"

#include <algorithm>
#include <vector>

namespace recurrent::engine::continuity {

std::u32string toCodePoints(std::string_view word) {
  std::u32string out;
  for (std::size_t i = 0; i < word.size();)
    out.push_back(utf8::next(word, i));
  return out;
}

std::size_t editDistance(std::u32string_view a, std::u32string_view b, std::size_t limit) {
  const auto n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit)
    return limit + 1;
  // Three rows: the one before the previous is needed for a swap.
  std::vector<std::size_t> twoBack(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j)
    previous[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = i;
    auto rowMin = current[0];
    for (std::size_t j = 1; j <= m; ++j) {
      auto cost = a[i - 1] == b[j - 1] ? 0 : 1;
      auto d = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d = std::min(d, twoBack[j - 2] + 1);
      current[j] = d;
      rowMin = std::min(rowMin, d);
    }
    if (rowMin > limit)
      return limit + 1;
    std::swap(twoBack, previous);
    std::swap(previous, current);
  }
  return std::min(previous[m], limit + 1);
}

std::size_t editDistance(std::string_view a, std::string_view b, std::size_t limit) {
  return editDistance(toCodePoints(a), toCodePoints(b), limit);
}

} // namespace recurrent::engine::continuity
