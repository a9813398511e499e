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
  // An edit changes one chapter: re-joining and re-parsing the whole book for it would cost
  // every keystroke a full parse.
  if (previous && s->reuse(*previous))
    return s;

  if (s->oneFile()) {
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
      for (std::size_t i = 0; i < s->chapters_.size(); ++i) {
        auto &c = s->chapters_[i];
        c.begin = text.size();
        c.verbatim = verbatim[i];
        c.end = c.begin + s->appendPiece(i, text);
        if (i + 1 < s->chapters_.size())
          text += '\n';
      }
      auto m = std::make_shared<Manuscript>(std::move(text));
      std::vector<std::size_t> leaking = s->leakingChapters(*m);
      for (auto i : leaking)
        verbatim[i] = false;
      if (leaking.empty()) {
        s->manuscript_ = std::move(m);
        break;
      }
    }
  }
  s->locateChapters();
  return s;
}

bool BookSnapshot::oneFile() const { return !layout_.isFolder() && chapters_.size() == 1; }

std::size_t BookSnapshot::appendPiece(std::size_t i, std::string &text) {
  auto &c = chapters_[i];
  spans_[i].clear();
  const std::size_t begin = text.size();
  if (c.verbatim) {
    text += *c.text;
    const std::size_t end = text.size() - begin;
    if (!oneFile() && !c.text->empty() && c.text->back() != '\n')
      text += '\n';
    return end;
  }
  Manuscript own(*c.text);
  int chapter = -1;
  for (const auto &p : own.paragraphs()) {
    if (p.chapter != chapter && p.chapter >= 0)
      text += headingLine(own.chapters()[static_cast<std::size_t>(p.chapter)]);
    chapter = p.chapter;
    text += own.paragraphText(p);
    text += "\n\n";
    spans_[i].push_back({p.begin, p.end, p.firstLine, p.lastLine});
  }
  if (own.paragraphs().empty() && !own.chapters().empty())
    text += headingLine(own.chapters().front());
  return text.size() - begin;
}

std::vector<std::size_t> BookSnapshot::leakingChapters(const Manuscript &m) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i + 1 < chapters_.size(); ++i) {
    if (!chapters_[i].verbatim)
      continue;
    // The blank line joining chapter i to the next.
    if (m.lineKind(m.lineOf(chapters_[i + 1].begin - 1)) != Manuscript::LineKind::Blank)
      out.push_back(i);
  }
  return out;
}

bool BookSnapshot::reuse(const BookSnapshot &previous) {
  const auto &old = previous.chapters_;
  if (!(previous.layout_ == layout_) || old.size() != chapters_.size() || !previous.manuscript_)
    return false;
  std::optional<std::size_t> changed;
  for (std::size_t i = 0; i < old.size(); ++i) {
    if (!(old[i].file == chapters_[i].file))
      return false;
    if (old[i].text == chapters_[i].text || *old[i].text == *chapters_[i].text)
      continue;
    if (changed)
      return false;
    changed = i;
  }
  // Unchanged chapters keep their place (the texts are equal, only the pointers may differ).
  for (std::size_t i = 0; i < old.size(); ++i) {
    auto &c = chapters_[i];
    auto text = std::move(c.text);
    bool fromEditor = c.fromEditor;
    c = old[i];
    c.text = std::move(text);
    c.fromEditor = fromEditor;
  }
  spans_ = previous.spans_;
  if (!changed) {
    manuscript_ = previous.manuscript_;
    return true;
  }
  return replaceChapter(previous, *changed);
}

bool BookSnapshot::replaceChapter(const BookSnapshot &previous, std::size_t k) {
  const bool one = oneFile();
  // A fresh build settles in its first round when every chapter is verbatim unless it opens with
  // front matter. Only then is that join, with chapter k's piece swapped, what a fresh build makes.
  if (!one)
    for (std::size_t i = 0; i < chapters_.size(); ++i)
      if (i != k && chapters_[i].verbatim == startsWithFrontMatter(*chapters_[i].text))
        return false;
  auto &c = chapters_[k];
  c.verbatim = one || !startsWithFrontMatter(*c.text);
  std::string piece;
  const std::size_t end = appendPiece(k, piece);

  const std::string &was = previous.manuscript_->text();
  const std::size_t begin = c.begin;
  const std::size_t oldEnd = k + 1 < chapters_.size() ? chapters_[k + 1].begin - 1 : was.size();
  const std::string_view oldPiece = std::string_view(was).substr(begin, oldEnd - begin);
  // Replace only the bytes that differ, so the manuscript re-segments only around them; never
  // inside a UTF-8 sequence.
  auto continuation = [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) == 0x80; };
  const std::size_t shorter = std::min(oldPiece.size(), piece.size());
  std::size_t prefix = 0;
  while (prefix < shorter && oldPiece[prefix] == piece[prefix])
    ++prefix;
  while (prefix > 0 && ((prefix < oldPiece.size() && continuation(oldPiece[prefix])) ||
                        (prefix < piece.size() && continuation(piece[prefix]))))
    --prefix;
  std::size_t suffix = 0;
  while (suffix < shorter - prefix && oldPiece[oldPiece.size() - 1 - suffix] == piece[piece.size() - 1 - suffix])
    ++suffix;
  while (suffix > 0 && continuation(piece[piece.size() - suffix]))
    --suffix;

  auto m = std::make_shared<Manuscript>(*previous.manuscript_);
  m->replace(begin + prefix, oldEnd - suffix,
             std::string_view(piece).substr(prefix, piece.size() - prefix - suffix));
  c.end = begin + end;
  const std::size_t shift = piece.size() - oldPiece.size(); // wraps when shorter: unsigned arithmetic
  for (std::size_t i = k + 1; i < chapters_.size(); ++i) {
    chapters_[i].begin += shift;
    chapters_[i].end += shift;
  }
  if (!leakingChapters(*m).empty())
    return false; // the new text leaks into the next chapter: a fresh build decides how to join it
  manuscript_ = std::move(m);
  locateChapters();
  return true;
}

void BookSnapshot::locateChapters() {
  const auto &m = *manuscript_;
  const auto &paragraphs = m.paragraphs();
  const auto &headings = m.chapters();
  for (auto &c : chapters_) {
    const std::size_t end = std::max(c.end, c.begin + 1);
    auto first = std::lower_bound(paragraphs.begin(), paragraphs.end(), c.begin,
                                  [](const Paragraph &p, std::size_t offset) { return p.begin < offset; });
    auto last = std::lower_bound(first, paragraphs.end(), end,
                                 [](const Paragraph &p, std::size_t offset) { return p.begin < offset; });
    c.firstParagraph = static_cast<std::size_t>(first - paragraphs.begin());
    c.paragraphCount = static_cast<std::size_t>(last - first);
    c.firstLine = m.lineOf(c.begin);
    c.words = 0;
    for (auto it = first; it != last; ++it)
      c.words += it->words;
    auto heading = std::lower_bound(headings.begin(), headings.end(), c.begin,
                                    [](const Chapter &h, std::size_t offset) { return h.begin < offset; });
    c.title = heading != headings.end() && heading->begin < end ? heading->title : std::string();
    if (c.title.empty())
      c.title = c.file.path.stem().string();
  }
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
