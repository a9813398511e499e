// Outline (see Outline.h).
#include "server/Outline.h"

#include "engine/manuscript/LineRules.h"
#include "server/DocumentStore.h"

#include <string>

namespace recurrent::server {
namespace {

std::string chapterName(const engine::Chapter &chapter, std::size_t index) {
  return chapter.title.empty() ? "Chapter " + std::to_string(index + 1) : chapter.title;
}

std::string countWords(const engine::Manuscript &m, std::size_t firstParagraph, std::size_t count) {
  std::uint64_t words = 0;
  for (std::size_t i = firstParagraph; i < firstParagraph + count && i < m.paragraphs().size(); ++i)
    words += m.paragraphs()[i].words;
  return std::to_string(count) + (count == 1 ? " paragraph, " : " paragraphs, ") + std::to_string(words) +
         (words == 1 ? " word" : " words");
}

protocol::DocumentSymbol sceneSymbol(const engine::Manuscript &m, const engine::Scene &scene, std::size_t index,
                                     protocol::PositionEncoding enc) {
  protocol::DocumentSymbol s;
  s.name = "Scene " + std::to_string(index + 1);
  s.detail = countWords(m, scene.firstParagraph, scene.paragraphCount);
  s.kind = protocol::SymbolKind::Namespace;
  s.range = toRange(m, scene.begin, scene.end, enc);
  // The selection is the scene's first line: where the editor puts the cursor.
  std::size_t firstLineEnd = std::min(scene.end, m.lineEnd(scene.firstLine));
  s.selectionRange = toRange(m, scene.begin, firstLineEnd, enc);
  return s;
}

/// A chapter line with no text under it that is not a Markdown heading ("  CHAPTER I." in a contents list).
/// A writer's empty `# Chapter 3` is a plan and stays in the outline.
bool isContentsEntry(const engine::Manuscript &m, const engine::Chapter &c) {
  if (!c.scenes.empty())
    return false;
  std::string_view line = std::string_view(m.text()).substr(c.begin, m.lineEnd(c.headingLine) - c.begin);
  return !engine::lines::atxHeading(engine::lines::trimLeft(line));
}

/// Where a table of contents starts: this many contents entries in a row (Project Gutenberg books list
/// every chapter before the text).
constexpr std::size_t kContentsRun = 3;

/// The chapters [i, end) that form a contents list starting at i; end == i when there is none.
std::size_t contentsEnd(const engine::Manuscript &m, std::size_t i) {
  const auto &chapters = m.chapters();
  std::size_t end = i;
  while (end < chapters.size() && isContentsEntry(m, chapters[end]))
    ++end;
  return end - i >= kContentsRun ? end : i;
}

/// The last line holding content: the chapter's last scene, else its heading.
std::uint32_t chapterContentEnd(const engine::Chapter &c) {
  return c.scenes.empty() ? c.headingLine : c.scenes.back().lastLine;
}

} // namespace

std::vector<protocol::DocumentSymbol> documentSymbols(const engine::Manuscript &m, protocol::PositionEncoding enc) {
  std::vector<protocol::DocumentSymbol> out;
  const auto &preamble = m.preambleScenes();
  for (std::size_t i = 0; i < preamble.size(); ++i) {
    out.push_back(sceneSymbol(m, preamble[i], i, enc));
    if (preamble.size() == 1)
      out.back().name = "Opening"; // the text before the first chapter, not a "Scene 1" of nothing
  }
  const auto &chapters = m.chapters();
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    // A contents list is one symbol, not an empty chapter per line.
    if (std::size_t end = contentsEnd(m, i); end > i) {
      protocol::DocumentSymbol s;
      s.name = "Contents";
      s.detail = std::to_string(end - i) + " entries";
      s.kind = protocol::SymbolKind::Namespace;
      s.range = toRange(m, chapters[i].begin, m.lineEnd(chapters[end - 1].headingLine), enc);
      s.selectionRange = toRange(m, chapters[i].begin, m.lineEnd(chapters[i].headingLine), enc);
      out.push_back(std::move(s));
      i = end - 1;
      continue;
    }
    const engine::Chapter &c = chapters[i];
    protocol::DocumentSymbol s;
    s.name = chapterName(c, i);
    std::size_t paragraphs = 0, first = c.scenes.empty() ? 0 : c.scenes.front().firstParagraph;
    for (const auto &scene : c.scenes)
      paragraphs += scene.paragraphCount;
    s.detail = countWords(m, first, paragraphs);
    s.kind = protocol::SymbolKind::Module;
    std::size_t end = c.scenes.empty() ? m.lineEnd(c.headingLine) : c.scenes.back().end;
    s.range = toRange(m, c.begin, std::max(end, c.begin), enc);
    s.selectionRange = toRange(m, c.begin, m.lineEnd(c.headingLine), enc);
    // One scene is the chapter itself: no lone "Scene 1" under it.
    for (std::size_t k = 0; c.scenes.size() > 1 && k < c.scenes.size(); ++k)
      s.children.push_back(sceneSymbol(m, c.scenes[k], k, enc));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<protocol::FoldingRange> foldingRanges(const engine::Manuscript &m) {
  std::vector<protocol::FoldingRange> out;
  const auto &chapters = m.chapters();
  for (std::size_t i = 0; i < chapters.size(); ++i)
    if (std::size_t end = contentsEnd(m, i); end > i) {
      out.push_back({chapters[i].headingLine, chapters[end - 1].headingLine, "region", "Contents"});
      i = end - 1;
    }
  for (const auto &c : chapters) {
    std::uint32_t end = chapterContentEnd(c);
    if (end > c.headingLine)
      out.push_back({c.headingLine, end, "region", c.title});
    if (c.scenes.size() > 1)
      for (const auto &scene : c.scenes)
        if (scene.lastLine > scene.firstLine)
          out.push_back({scene.firstLine, scene.lastLine, "region", std::nullopt});
  }
  if (m.preambleScenes().size() > 1)
    for (const auto &scene : m.preambleScenes())
      if (scene.lastLine > scene.firstLine)
        out.push_back({scene.firstLine, scene.lastLine, "region", std::nullopt});
  return out;
}

std::optional<protocol::Hover> paragraphHover(const engine::Manuscript &m, const protocol::Position &position,
                                              protocol::PositionEncoding enc, bool markdown) {
  auto index = m.paragraphAtLine(position.line);
  if (!index)
    return std::nullopt;
  const engine::Paragraph &p = m.paragraphs()[*index];
  std::string where = p.chapter >= 0 && static_cast<std::size_t>(p.chapter) < m.chapters().size()
                          ? chapterName(m.chapters()[static_cast<std::size_t>(p.chapter)],
                                        static_cast<std::size_t>(p.chapter))
                          : std::string("before the first chapter");
  std::string words = std::to_string(p.words) + (p.words == 1 ? " word" : " words");
  protocol::Hover hover;
  std::string number = std::to_string(*index + 1) + " of " + std::to_string(m.paragraphs().size());
  if (markdown)
    hover.contents = {"markdown", "**Paragraph " + number + "** · " + where + " · " + words};
  else
    hover.contents = {"plaintext", "Paragraph " + number + " · " + where + " · " + words};
  hover.range = toRange(m, p.begin, p.end, enc);
  return hover;
}

} // namespace recurrent::server
