#include "engine/continuity/NameCensus.h"

#include "engine/continuity/TextScan.h"

namespace recurrent::engine::continuity {

NameCensus::Counts NameCensus::countWords(std::string_view text) {
  Counts counts;
  forEachWord(text, 0, text.size(), [&](std::size_t b, std::size_t e) {
    auto word = withoutPossessive(text.substr(b, e - b));
    if (isCapitalised(word))
      ++counts[std::string(word)];
  });
  return counts;
}

void NameCensus::add(const Counts &counts) {
  for (const auto &[word, n] : counts)
    total_[word] += n;
}

void NameCensus::subtract(const Counts &counts) {
  for (const auto &[word, n] : counts) {
    auto it = total_.find(word);
    if (it == total_.end())
      continue;
    it->second = it->second > n ? it->second - n : 0;
    if (it->second == 0)
      total_.erase(it);
  }
}

void NameCensus::build(const std::vector<std::string_view> &chapters) {
  chapters_.clear();
  total_.clear();
  for (auto text : chapters) {
    chapters_.push_back(countWords(text));
    add(chapters_.back());
  }
}

void NameCensus::updateChapter(std::size_t chapter, std::string_view text) {
  subtract(chapters_.at(chapter));
  chapters_[chapter] = countWords(text);
  add(chapters_[chapter]);
}

void NameCensus::insertChapter(std::size_t chapter, std::string_view text) {
  auto counts = countWords(text);
  add(counts);
  chapters_.insert(chapters_.begin() + static_cast<std::ptrdiff_t>(std::min(chapter, chapters_.size())),
                   std::move(counts));
}

void NameCensus::removeChapter(std::size_t chapter) {
  subtract(chapters_.at(chapter));
  chapters_.erase(chapters_.begin() + static_cast<std::ptrdiff_t>(chapter));
}

std::uint32_t NameCensus::count(std::string_view word) const {
  auto it = total_.find(std::string(word));
  return it == total_.end() ? 0 : it->second;
}

} // namespace recurrent::engine::continuity
