#include "cli/FindingText.h"

#include <algorithm>

namespace recurrent::cli {
using namespace recurrent::engine;

const char *severityLabel(FindingSeverity s) {
  switch (s) {
  case FindingSeverity::Warning:
    return "warning";
  case FindingSeverity::Information:
    return "info";
  case FindingSeverity::Hint:
    return "hint";
  }
  return "warning";
}

const char *sourceKindLabel(FindingSource::Kind k) {
  switch (k) {
  case FindingSource::Kind::BibleEntry:
    return "bible";
  case FindingSource::Kind::Fact:
    return "fact";
  case FindingSource::Kind::Paragraph:
    return "paragraph";
  }
  return "bible";
}

std::string shownPath(const std::filesystem::path &path, const std::filesystem::path &base) {
  auto rel = path.lexically_relative(base);
  return (rel.empty() || rel.native().starts_with("..") ? path : rel).generic_string();
}

std::pair<std::size_t, std::size_t> lineColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, lineStart = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  std::size_t column = 1;
  for (auto i = lineStart; i < offset; ++i)
    column += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return {line, column};
}

std::string compilerLines(const Finding &f, const BookSnapshot &book) {
  auto base = book.layout().baseDir();
  auto [line, column] = lineColumn(book.chapterText(f.chapter), f.begin);
  std::string out = shownPath(book.chapters()[f.chapter].file.path, base) + ":" + std::to_string(line) + ":" +
                    std::to_string(column) + ": " + severityLabel(f.severity) + ": " + f.message + " [" + f.code +
                    "]\n";
  for (const auto &s : f.sources)
    out += shownPath(s.file, base) + ":" + std::to_string(s.line + 1) + ": note: " + s.quote + "\n";
  return out;
}

} // namespace recurrent::cli
