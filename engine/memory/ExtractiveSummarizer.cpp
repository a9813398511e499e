#include "engine/memory/ExtractiveSummarizer.h"

#include "engine/memory/TextFeatures.h"

#include <cmath>
#include <unordered_set>

namespace recurrent::engine {
namespace {

/// Cuts `s` after `maxWords` words, at a word boundary, marking the cut with "…".
std::string clip(std::string_view s, int maxWords) {
  int count = 0;
  bool inWord = false;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    bool cjk = len == 3 && c >= 0xE3 && c <= 0xE9; // U+3000..U+9FFF, roughly: one word per character
    if (cjk) {
      if (count >= maxWords)
        return std::string(s.substr(0, i)) + "…";
      ++count;
      inWord = false;
    } else if (space) {
      inWord = false;
    } else if (!inWord) {
      if (count >= maxWords) {
        std::size_t end = i;
        while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == ',' || s[end - 1] == ';' || s[end - 1] == ':' ||
                           s[end - 1] == '\n'))
          --end;
        return std::string(s.substr(0, end)) + "…";
      }
      ++count;
      inWord = true;
    }
    i += len;
  }
  return std::string(s);
}

/// Line breaks inside a paragraph become spaces: a summary is one line.
std::string oneLine(std::string s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    bool ws = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

} // namespace

std::string ExtractiveSummarizer::summarizeOne(std::string_view paragraph) const {
  auto sentences = text::sentences(paragraph);
  if (sentences.empty())
    return oneLine(clip(paragraph, options_.maxWords));
  std::size_t best = 0;
  double bestScore = -1;
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    auto ws = text::words(sentences[i]);
    std::unordered_set<std::string> seen;
    double score = 0;
    for (std::size_t w = 0; w < ws.size(); ++w) {
      const auto &word = ws[w];
      if (word.cjk) {
        score += seen.insert(word.text).second ? 1.0 : 0.0;
        continue;
      }
      if (text::isStopword(word.text) || !seen.insert(word.text).second)
        continue;
      double s = std::min(1.0 + 0.15 * (static_cast<double>(word.text.size()) - 4), 2.0);
      if (word.capitalised && w > 0) // a name mid-sentence: who the sentence is about
        s += 0.75;
      score += std::max(s, 0.5);
    }
    // Density over length, so a long list does not always win; the opening
    // sentence usually says what the paragraph is about.
    score /= std::sqrt(static_cast<double>(ws.size()) + 4.0);
    if (i == 0)
      score *= 1.25;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return oneLine(clip(sentences[best], options_.maxWords));
}

Result<std::vector<std::string>> ExtractiveSummarizer::summarize(const std::vector<SummaryRequest> &batch,
                                                                 const std::string &, const CancelToken &cancel) {
  std::vector<std::string> out;
  out.reserve(batch.size());
  for (const auto &r : batch) {
    if (cancel.cancelled())
      return Error::cancelled();
    out.push_back(summarizeOne(r.text));
  }
  return out;
}

} // namespace recurrent::engine
