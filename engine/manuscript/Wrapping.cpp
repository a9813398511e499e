#include "engine/manuscript/Wrapping.h"

#include <algorithm>
#include <vector>

namespace recurrent::engine {

namespace {

std::size_t codePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

std::size_t trimmedLength(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
    line.remove_suffix(1);
  return codePoints(line);
}

/// A word that Markdown would read as a heading, a quote or a list item at the start of a line.
bool startsBlock(std::string_view word) {
  if (word.empty())
    return false;
  if (word[0] == '#' || word[0] == '>')
    return true;
  if (word == "-" || word == "*" || word == "+")
    return true;
  std::size_t digits = 0;
  while (digits < word.size() && word[digits] >= '0' && word[digits] <= '9')
    ++digits;
  return digits > 0 && digits + 1 == word.size() && (word.back() == '.' || word.back() == ')');
}

/// Enough long paragraphs to tell a habit from an accident.
constexpr std::size_t kMinLongParagraphs = 3;

} // namespace

std::optional<std::size_t> hardWrapWidth(const Manuscript &manuscript) {
  const std::string &text = manuscript.text();
  std::vector<std::size_t> inner; // lengths of lines that are not a paragraph's last: the wrap column shows there
  std::size_t wrapped = 0, single = 0;
  std::vector<std::size_t> singleLengths;
  for (const auto &p : manuscript.paragraphs()) {
    std::string_view body = std::string_view(text).substr(p.begin, p.end - p.begin);
    if (p.lastLine == p.firstLine) {
      singleLengths.push_back(trimmedLength(body));
      continue;
    }
    ++wrapped;
    std::size_t start = 0;
    for (std::size_t nl = body.find('\n'); nl != std::string_view::npos; nl = body.find('\n', start)) {
      inner.push_back(trimmedLength(body.substr(start, nl - start)));
      start = nl + 1;
    }
  }
  if (wrapped < kMinLongParagraphs || inner.empty())
    return std::nullopt;
  // The column: the 90th percentile of the inner lines (a few overlong lines do not widen it).
  std::sort(inner.begin(), inner.end());
  std::size_t width = inner[(inner.size() - 1) * 9 / 10];
  if (width < 20)
    return std::nullopt; // verse or lists, not wrapped prose
  for (std::size_t n : singleLengths)
    single += n > width + width / 2;
  // Single-line paragraphs far past the column are the writer's way: this is not a wrapped manuscript.
  if (single * 2 >= wrapped + single)
    return std::nullopt;
  return width;
}

void StreamWrapper::emitWord(std::string &out) {
  if (word_.empty())
    return;
  std::size_t n = codePoints(word_);
  if (!started_) {
    column_ = n;
  } else if (column_ + 1 + n <= width_ || startsBlock(word_)) {
    out += ' ';
    column_ += 1 + n;
  } else {
    out += '\n';
    column_ = n;
  }
  out += word_;
  started_ = true;
  word_.clear();
}

std::string StreamWrapper::feed(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      emitWord(out);
    else
      word_ += c;
  }
  return out;
}

std::string StreamWrapper::finish() {
  std::string out;
  emitWord(out);
  return out;
}

std::string wrapText(std::string_view text, std::size_t width) {
  StreamWrapper w(width);
  std::string out = w.feed(text);
  return out + w.finish();
}

} // namespace recurrent::engine
