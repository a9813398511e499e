#include "engine/book/BookSnapshot.h"

#include <algorithm>

namespace recurrent::engine {
namespace {

/// Front matter at the top of a chapter would read as a scene break and prose once joined.
bool startsWithFrontMatter(std::string_view text) {
  return text.rfind("---\n", 0) == 0 || text.rfind("---\r\n", 0) == 0;
}

std::string headingLine(const Chapter &c) {
  return std::string(static_cast<std::size_t>(std::clamp(c.level, 1, 6)), '#') + " " + c.title + "\n\n";
}

} // namespace

std::shared_ptr<const BookSnapshot> BookSnapshot::build(BookLayout layout, std::vector<ChapterSource> sources,
                                                        std::uint64_t version,
                                                        const std::shared_ptr<const BookSnapshot> &previous) {
  (void)previous; // FIXME: reuse the previous manuscript and re-segment only the changed chapter
  std::shared_ptr<BookSnapshot> s(new BookSnapshot());
  s->layout_ = std::move(layout);
  s->version_ = version;
  s->chapters_.resize(sources.size());
  s->spans_.assign(sources.size(), {});
  for (std::size_t i = 0; i < sources.size(); ++i) {
    auto &c = s->chapters_[i];
    c.file = std::move(sources[i].file);
    c.text = sources[i].text ? std::move(sources[i].text) : std::make_shared<const std::string>();
    c.fromEditor = sources[i].fromEditor;
  }

  if (!s->layout_.isFolder() && s->chapters_.size() == 1) {
    // A one-file story: the book's text is the file's, byte for byte.
    s->manuscript_ = std::make_shared<const Manuscript>(*s->chapters_[0].text);
    auto &c = s->chapters_[0];
    c.begin = 0;
    c.end = c.text->size();
  } else {
    std::vector<bool> verbatim(s->chapters_.size(), true);
    for (std::size_t i = 0; i < s->chapters_.size(); ++i)
      verbatim[i] = !startsWithFrontMatter(*s->chapters_[i].text);
    // Join; if a joint is not blank (an unclosed fence or comment ran through it), join that
    // chapter as paragraphs and try again. Each round turns at least one chapter, so it ends.
    for (;;) {
      std::string text;
      std::vector<std::size_t> joints; // offset of the blank line after each chapter
      for (std::size_t i = 0; i < s->chapters_.size(); ++i) {
        auto &c = s->chapters_[i];
        c.begin = text.size();
        c.verbatim = verbatim[i];
        s->spans_[i].clear();
        if (verbatim[i]) {
          text += *c.text;
          c.end = text.size();
          if (!text.empty() && text.back() != '\n')
            text += '\n';
        } else {
          Manuscript own(*c.text);
          int chapter = -1;
          for (const auto &p : own.paragraphs()) {
            if (p.chapter != chapter && p.chapter >= 0)
              text += headingLine(own.chapters()[static_cast<std::size_t>(p.chapter)]);
            chapter = p.chapter;
            text += own.paragraphText(p);
            text += "\n\n";
            s->spans_[i].push_back({p.begin, p.end, p.firstLine, p.lastLine});
          }
          if (own.paragraphs().empty() && !own.chapters().empty())
            text += headingLine(own.chapters().front());
          c.end = text.size();
        }
        joints.push_back(text.size());
        if (i + 1 < s->chapters_.size())
          text += '\n';
      }
      auto m = std::make_shared<Manuscript>(std::move(text));
      bool clean = true;
      for (std::size_t i = 0; i + 1 < s->chapters_.size(); ++i) {
        if (!verbatim[i])
          continue;
        auto line = m->lineOf(joints[i]);
        if (m->lineKind(line) != Manuscript::LineKind::Blank) {
          verbatim[i] = false;
          clean = false;
        }
      }
      if (clean) {
        s->manuscript_ = std::move(m);
        break;
      }
    }
  }

  const auto &m = *s->manuscript_;
  const auto &paragraphs = m.paragraphs();
  for (auto &c : s->chapters_) {
    auto first = std::lower_bound(paragraphs.begin(), paragraphs.end(), c.begin,
                                  [](const Paragraph &p, std::size_t offset) { return p.begin < offset; });
    auto last = std::lower_bound(first, paragraphs.end(), std::max(c.end, c.begin + 1),
                                 [](const Paragraph &p, std::size_t offset) { return p.begin < offset; });
    c.firstParagraph = static_cast<std::size_t>(first - paragraphs.begin());
    c.paragraphCount = static_cast<std::size_t>(last - first);
    c.firstLine = m.lineOf(c.begin);
    c.words = 0;
    for (auto it = first; it != last; ++it)
      c.words += it->words;
    for (const auto &h : m.chapters())
      if (h.begin >= c.begin && h.begin < std::max(c.end, c.begin + 1)) {
        c.title = h.title;
        break;
      }
    if (c.title.empty())
      c.title = c.file.path.stem().string();
  }
  return s;
}

std::optional<std::size_t> BookSnapshot::chapterIndex(const std::filesystem::path &path) const {
  auto p = std::filesystem::absolute(path).lexically_normal();
  for (std::size_t i = 0; i < chapters_.size(); ++i)
    if (chapters_[i].file.path == p)
      return i;
  return std::nullopt;
}

std::optional<std::size_t> BookSnapshot::chapterOfParagraph(std::size_t bookParagraph) const {
  auto it = std::upper_bound(chapters_.begin(), chapters_.end(), bookParagraph,
                             [](std::size_t p, const BookChapter &c) { return p < c.firstParagraph; });
  if (it == chapters_.begin())
    return std::nullopt;
  --it;
  if (bookParagraph >= it->firstParagraph + it->paragraphCount)
    return std::nullopt;
  return static_cast<std::size_t>(it - chapters_.begin());
}

std::optional<ParagraphPlace> BookSnapshot::place(std::size_t bookParagraph) const {
  auto chapter = chapterOfParagraph(bookParagraph);
  if (!chapter)
    return std::nullopt;
  const auto &c = chapters_[*chapter];
  ParagraphPlace out;
  out.chapter = *chapter;
  out.paragraph = bookParagraph - c.firstParagraph;
  if (c.verbatim) {
    const auto &p = manuscript_->paragraphs()[bookParagraph];
    out.begin = p.begin - c.begin;
    out.end = p.end - c.begin;
    out.firstLine = p.firstLine - c.firstLine;
    out.lastLine = p.lastLine - c.firstLine;
  } else {
    const auto &spans = spans_[*chapter];
    if (out.paragraph >= spans.size())
      return std::nullopt;
    const auto &s = spans[out.paragraph];
    out.begin = s.begin;
    out.end = s.end;
    out.firstLine = s.firstLine;
    out.lastLine = s.lastLine;
  }
  return out;
}

std::size_t BookSnapshot::bookOffset(std::size_t chapter, std::size_t offset) const {
  const auto &c = chapters_.at(chapter);
  if (c.verbatim)
    return c.begin + std::min(offset, c.text->size());
  const auto &spans = spans_[chapter];
  const auto &paragraphs = manuscript_->paragraphs();
  auto it = std::upper_bound(spans.begin(), spans.end(), offset,
                             [](std::size_t o, const LocalSpan &s) { return o < s.begin; });
  if (it == spans.begin())
    return c.begin;
  --it;
  std::size_t index = static_cast<std::size_t>(it - spans.begin());
  if (index >= c.paragraphCount)
    return c.end;
  const auto &p = paragraphs[c.firstParagraph + index];
  return offset <= it->end ? p.begin + (offset - it->begin) : p.end;
}

ChapterOffset BookSnapshot::chapterOffset(std::size_t bookOffset) const {
  if (chapters_.empty())
    return {};
  auto it = std::upper_bound(chapters_.begin(), chapters_.end(), bookOffset,
                             [](std::size_t o, const BookChapter &c) { return o < c.begin; });
  std::size_t chapter = it == chapters_.begin() ? 0 : static_cast<std::size_t>(it - chapters_.begin()) - 1;
  const auto &c = chapters_[chapter];
  std::size_t within = bookOffset - std::min(bookOffset, c.begin);
  if (c.verbatim)
    return {chapter, std::min(within, c.text->size())};
  const auto &paragraphs = manuscript_->paragraphs();
  const auto &spans = spans_[chapter];
  std::size_t local = 0;
  for (std::size_t i = 0; i < c.paragraphCount && i < spans.size(); ++i) {
    const auto &p = paragraphs[c.firstParagraph + i];
    if (p.begin > bookOffset)
      break;
    local = bookOffset <= p.end ? spans[i].begin + (bookOffset - p.begin) : spans[i].end;
  }
  return {chapter, local};
}

} // namespace recurrent::engine
