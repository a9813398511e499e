// The manuscript model (see Manuscript.h): a line-by-line segmenter that can resume after any blank
// line, and the incremental re-segmentation built on it.
//
// Segmentation is a state machine over lines. Its state between two lines is the mode (prose, front
// matter, fenced code, HTML comment) plus the paragraph being gathered. After a blank prose line the
// state is always "prose, nothing open", so parsing may restart there, and two parses that both reach a
// blank line after the edit agree on everything past it. replace() re-parses from the last blank line
// before the edit until it reaches such a line beyond the edit where the old parse also had a blank line
// (or the text's end when an edit opened or closed a fence, a comment or front matter), splices the new
// segments in, shifts the later ones, and rebuilds the chapter/scene tree from the segments.
#include "engine/manuscript/Manuscript.h"

#include "engine/manuscript/LineRules.h"

#include <algorithm>
#include <iterator>

namespace recurrent::engine {

ParagraphHash hashParagraphText(std::string_view text) {
  constexpr std::uint64_t kOffset = 14695981039346656037ull, kPrime = 1099511628211ull;
  std::uint64_t h = kOffset;
  bool firstLine = true;
  while (true) {
    std::size_t nl = text.find('\n');
    std::string_view line = lines::trimRight(text.substr(0, nl));
    if (!firstLine)
      h = (h ^ static_cast<unsigned char>('\n')) * kPrime;
    firstLine = false;
    for (char c : line)
      h = (h ^ static_cast<unsigned char>(c)) * kPrime;
    if (nl == std::string_view::npos)
      break;
    text.remove_prefix(nl + 1);
  }
  return h;
}

namespace {

using Kind = Manuscript::LineKind;

/// Segments produced by one parse run over lines [from, to).
struct Segments {
  std::vector<Kind> kinds;
  std::vector<Paragraph> paragraphs;
  std::vector<Manuscript::Heading> headings;
  std::vector<std::uint32_t> sceneBreaks;
  std::vector<PlanComment> plans;
};

std::string normaliseLineEnds(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n'))
      out += s[i];
  return out;
}

std::optional<std::string> planOf(std::string_view commentBody) {
  std::string_view t = lines::trimLeft(commentBody);
  if (t.size() < 5 || !(t[0] == 'p' || t[0] == 'P') || !(t[1] == 'l' || t[1] == 'L') ||
      !(t[2] == 'a' || t[2] == 'A') || !(t[3] == 'n' || t[3] == 'N') || t[4] != ':')
    return std::nullopt;
  return normaliseLineEnds(lines::trim(t.substr(5)));
}

/// The line-by-line segmenter. Feed it lines in order from a line where the state is "prose, nothing
/// open" (line 0 or the line after a blank line), then call finish() at the text's end.
class Segmenter {
public:
  Segmenter(std::string_view text, const std::vector<std::size_t> &lineStarts, std::uint32_t from, Segments &out)
      : text_(text), starts_(lineStarts), from_(from), out_(out) {}

  /// True when the state is "prose, nothing open" after a blank line: a place two parses agree.
  bool idleAfterBlank() const { return mode_ == Mode::Prose && !open_ && !out_.kinds.empty() && out_.kinds.back() == Kind::Blank; }

  void line(std::uint32_t i) {
    std::string_view s = content(i);
    switch (mode_) {
    case Mode::FrontMatter:
      out_.kinds.push_back(Kind::FrontMatter);
      if (lines::closesFrontMatter(s))
        mode_ = Mode::Prose;
      return;
    case Mode::Fence:
      out_.kinds.push_back(Kind::Fence);
      if (lines::closesFence(s, fence_))
        mode_ = Mode::Prose;
      return;
    case Mode::Comment:
      out_.kinds.push_back(Kind::Comment);
      continueComment(i, s, 0);
      return;
    case Mode::Prose:
      break;
    }
    if (i == 0 && lines::opensFrontMatter(s) && hasFrontMatterEnd()) {
      out_.kinds.push_back(Kind::FrontMatter);
      mode_ = Mode::FrontMatter;
      return;
    }
    if (lines::isBlank(s)) {
      closeParagraph();
      out_.kinds.push_back(Kind::Blank);
      return;
    }
    if (auto fence = lines::fenceOpen(s)) {
      closeParagraph();
      out_.kinds.push_back(Kind::Fence);
      fence_ = *fence;
      mode_ = Mode::Fence;
      return;
    }
    if (auto at = lines::commentOpen(s)) {
      closeParagraph();
      out_.kinds.push_back(Kind::Comment);
      commentBegin_ = starts_[i] + *at;
      commentLine_ = i;
      mode_ = Mode::Comment;
      continueComment(i, s, *at + 4);
      return;
    }
    if (auto heading = lines::atxHeading(s)) {
      closeParagraph();
      if (heading->title.empty()) {
        out_.kinds.push_back(Kind::SceneBreak);
        out_.sceneBreaks.push_back(i);
      } else {
        out_.kinds.push_back(Kind::Heading);
        out_.headings.push_back({i, heading->level, std::string(heading->title)});
      }
      return;
    }
    if (lines::isSceneBreakLine(s)) {
      closeParagraph();
      out_.kinds.push_back(Kind::SceneBreak);
      out_.sceneBreaks.push_back(i);
      return;
    }
    out_.kinds.push_back(Kind::Prose);
    if (!open_) {
      open_ = true;
      paragraphFirst_ = i;
    }
    paragraphLast_ = i;
  }

  void finish() { closeParagraph(); }

private:
  enum class Mode { Prose, FrontMatter, Fence, Comment };

  /// Line i without its '\n' and without a '\r' before it.
  std::string_view content(std::uint32_t i) const {
    std::size_t b = starts_[i];
    std::size_t e = i + 1 < starts_.size() ? starts_[i + 1] - 1 : text_.size();
    if (e > b && text_[e - 1] == '\r')
      --e;
    return text_.substr(b, e - b);
  }

  bool hasFrontMatterEnd() const {
    for (std::uint32_t k = 1; k < starts_.size(); ++k)
      if (lines::closesFrontMatter(content(k)))
        return true;
    return false;
  }

  void continueComment(std::uint32_t i, std::string_view s, std::size_t searchFrom) {
    std::size_t close = s.find("-->", searchFrom);
    if (close == std::string_view::npos)
      return;
    mode_ = Mode::Prose;
    std::size_t bodyBegin = commentBegin_ + 4, bodyEnd = starts_[i] + close;
    std::size_t end = bodyEnd + 3;
    if (bodyEnd < bodyBegin) // "<!-->" closes itself; no body
      bodyEnd = bodyBegin;
    if (auto plan = planOf(text_.substr(bodyBegin, bodyEnd - bodyBegin)))
      out_.plans.push_back({std::move(*plan), commentBegin_, end, commentLine_});
  }

  void closeParagraph() {
    if (!open_)
      return;
    open_ = false;
    std::size_t rel = paragraphFirst_ - from_;
    if (paragraphFirst_ == paragraphLast_) {
      switch (lines::classifyStandalone(content(paragraphFirst_))) {
      case lines::Standalone::Chapter:
        out_.kinds[rel] = Kind::Heading;
        out_.headings.push_back({paragraphFirst_, 1, std::string(lines::trim(content(paragraphFirst_)))});
        return;
      case lines::Standalone::SceneBreak:
        out_.kinds[rel] = Kind::SceneBreak;
        out_.sceneBreaks.push_back(paragraphFirst_);
        return;
      case lines::Standalone::Prose:
        break;
      }
    } else if (paragraphLast_ == paragraphFirst_ + 1 &&
               lines::classifyStandalone(content(paragraphFirst_)) == lines::Standalone::Chapter &&
               lines::isHeadingSubtitle(content(paragraphLast_))) {
      out_.kinds[rel] = out_.kinds[rel + 1] = Kind::Heading;
      std::string title(lines::trim(content(paragraphFirst_)));
      title += ' ';
      title += lines::trim(content(paragraphLast_));
      out_.headings.push_back({paragraphFirst_, 1, std::move(title)});
      return;
    }
    Paragraph p;
    p.begin = starts_[paragraphFirst_];
    std::string_view last = content(paragraphLast_);
    p.end = static_cast<std::size_t>(last.data() - text_.data()) + last.size();
    p.firstLine = paragraphFirst_;
    p.lastLine = paragraphLast_;
    std::string_view body = text_.substr(p.begin, p.end - p.begin);
    p.hash = hashParagraphText(body);
    p.words = lines::countWords(body);
    out_.paragraphs.push_back(p);
  }

  std::string_view text_;
  const std::vector<std::size_t> &starts_;
  std::uint32_t from_;
  Segments &out_;
  Mode mode_ = Mode::Prose;
  lines::Fence fence_;
  std::size_t commentBegin_ = 0;
  std::uint32_t commentLine_ = 0;
  bool open_ = false;
  std::uint32_t paragraphFirst_ = 0, paragraphLast_ = 0;
};

/// Replaces v[from, to) with [freshBegin, freshEnd), moving the tail of `v` once.
template <typename T, typename It> void replaceRange(std::vector<T> &v, std::size_t from, std::size_t to, It freshBegin, It freshEnd) {
  const auto fresh = static_cast<std::size_t>(std::distance(freshBegin, freshEnd));
  const std::size_t removed = to - from;
  const auto overlap = static_cast<std::ptrdiff_t>(std::min(fresh, removed));
  std::copy(freshBegin, std::next(freshBegin, overlap), v.begin() + static_cast<std::ptrdiff_t>(from));
  if (fresh <= removed)
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(from + fresh), v.begin() + static_cast<std::ptrdiff_t>(to));
  else
    v.insert(v.begin() + static_cast<std::ptrdiff_t>(to), std::next(freshBegin, overlap), freshEnd);
}

/// Replaces the elements of `v` whose line lies in [fromLine, toLine) with `fresh`, and moves the
/// elements after them by the edit's deltas.
template <typename T, typename LineOf, typename Shift>
void splice(std::vector<T> &v, std::vector<T> &fresh, std::uint32_t fromLine, std::uint32_t toLine, LineOf lineOf,
            Shift shift) {
  auto first = std::partition_point(v.begin(), v.end(), [&](const T &x) { return lineOf(x) < fromLine; });
  auto last = std::partition_point(first, v.end(), [&](const T &x) { return lineOf(x) < toLine; });
  for (auto it = last; it != v.end(); ++it)
    shift(*it);
  replaceRange(v, static_cast<std::size_t>(first - v.begin()), static_cast<std::size_t>(last - v.begin()),
               std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()));
}

/// Index of the first element whose line is in [fromLine, toLine), and how many are.
template <typename T, typename LineOf>
std::pair<std::size_t, std::size_t> rangeOfLines(const std::vector<T> &v, std::uint32_t fromLine, std::uint32_t toLine,
                                                 LineOf lineOf) {
  auto first = std::partition_point(v.begin(), v.end(), [&](const T &x) { return lineOf(x) < fromLine; });
  auto last = std::partition_point(first, v.end(), [&](const T &x) { return lineOf(x) < toLine; });
  return {static_cast<std::size_t>(first - v.begin()), static_cast<std::size_t>(last - first)};
}

} // namespace

Manuscript::Manuscript(std::string text) : text_(std::move(text)) {
  lineStarts_.clear();
  lineStarts_.push_back(0);
  for (std::size_t i = text_.find('\n'); i != std::string::npos; i = text_.find('\n', i + 1))
    lineStarts_.push_back(i + 1);
  parseAll();
}

void Manuscript::parseAll() {
  Segments out;
  out.kinds.reserve(lineStarts_.size());
  Segmenter seg(text_, lineStarts_, 0, out);
  for (std::uint32_t i = 0; i < lineCount(); ++i)
    seg.line(i);
  seg.finish();
  lineKinds_ = std::move(out.kinds);
  paragraphs_ = std::move(out.paragraphs);
  headings_ = std::move(out.headings);
  sceneBreaks_ = std::move(out.sceneBreaks);
  plans_ = std::move(out.plans);
  assemble();
}

void Manuscript::replace(std::size_t begin, std::size_t end, std::string_view replacement) {
  begin = std::min(begin, text_.size());
  end = std::clamp(end, begin, text_.size());
  if (begin == end && replacement.empty())
    return;
  const std::uint32_t oldLineCount = lineCount();
  const std::uint32_t startLine = lineOf(begin), endLine = lineOf(end);

  // Where the old parse was idle: after the last blank line before the edit. An opening "---" on
  // line 0 without a closing one may become front matter through an edit anywhere: parse it all.
  std::uint32_t restart = startLine;
  while (restart > 0 && lineKinds_[restart - 1] != LineKind::Blank)
    --restart;
  if (restart > 0 && lineKinds_[0] != LineKind::FrontMatter && lines::opensFrontMatter(lineText(0)))
    restart = 0;

  // The text and the line index.
  const auto byteDelta = static_cast<std::ptrdiff_t>(replacement.size()) - static_cast<std::ptrdiff_t>(end - begin);
  text_.replace(begin, end - begin, replacement);
  std::vector<std::size_t> inserted;
  for (std::size_t i = replacement.find('\n'); i != std::string_view::npos; i = replacement.find('\n', i + 1))
    inserted.push_back(begin + i + 1);
  for (std::size_t k = endLine + 1; k < lineStarts_.size(); ++k)
    lineStarts_[k] = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(lineStarts_[k]) + byteDelta);
  replaceRange(lineStarts_, startLine + 1, endLine + 1, inserted.begin(), inserted.end());
  const std::uint32_t newEndLine = startLine + static_cast<std::uint32_t>(inserted.size());
  const std::int64_t lineDelta = static_cast<std::int64_t>(newEndLine) - static_cast<std::int64_t>(endLine);

  // Re-parse until both parses are idle after a blank line that lies wholly after the edit.
  Segments out;
  Segmenter seg(text_, lineStarts_, restart, out);
  const std::uint32_t newLineCount = lineCount();
  std::uint32_t n = restart, o = oldLineCount;
  for (; n < newLineCount; ++n) {
    if (n >= newEndLine + 2 && seg.idleAfterBlank()) {
      auto old = static_cast<std::uint32_t>(static_cast<std::int64_t>(n) - lineDelta);
      if (lineKinds_[old - 1] == LineKind::Blank) {
        o = old;
        break;
      }
    }
    seg.line(n);
  }
  if (n == newLineCount)
    seg.finish();

  // Splice the fresh segments over old lines [restart, o) and move everything after them.
  replaceRange(lineKinds_, restart, o, out.kinds.begin(), out.kinds.end());
  // What the edit replaced, to update the chapter tree in place when it touched prose only.
  const auto [firstRemoved, removedCount] = rangeOfLines(paragraphs_, restart, o, [](const Paragraph &p) { return p.firstLine; });
  const bool proseOnly = removedCount > 0 && !out.paragraphs.empty() && out.headings.empty() &&
                         out.sceneBreaks.empty() &&
                         rangeOfLines(headings_, restart, o, [](const Heading &h) { return h.line; }).second == 0 &&
                         rangeOfLines(sceneBreaks_, restart, o, [](std::uint32_t line) { return line; }).second == 0;
  ProseEdit edit;
  if (proseOnly) {
    edit.firstParagraph = firstRemoved;
    edit.removed = removedCount;
    edit.added = out.paragraphs.size();
    edit.chapter = paragraphs_[firstRemoved].chapter;
    edit.scene = paragraphs_[firstRemoved].scene;
    edit.lineDelta = lineDelta;
    edit.byteDelta = byteDelta;
    for (std::size_t i = 0; i < removedCount; ++i)
      edit.wordDelta -= paragraphs_[firstRemoved + i].words;
    for (const auto &p : out.paragraphs)
      edit.wordDelta += p.words;
  }

  auto moveLine = [&](std::uint32_t &line) { line = static_cast<std::uint32_t>(line + lineDelta); };
  auto moveOffset = [&](std::size_t &offset) { offset = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(offset) + byteDelta); };
  splice(
      paragraphs_, out.paragraphs, restart, o, [](const Paragraph &p) { return p.firstLine; },
      [&](Paragraph &p) {
        moveOffset(p.begin);
        moveOffset(p.end);
        moveLine(p.firstLine);
        moveLine(p.lastLine);
      });
  splice(
      headings_, out.headings, restart, o, [](const Heading &h) { return h.line; },
      [&](Heading &h) { moveLine(h.line); });
  splice(
      sceneBreaks_, out.sceneBreaks, restart, o, [](std::uint32_t line) { return line; },
      [&](std::uint32_t &line) { moveLine(line); });
  splice(
      plans_, out.plans, restart, o, [](const PlanComment &p) { return p.line; },
      [&](PlanComment &p) {
        moveOffset(p.begin);
        moveOffset(p.end);
        moveLine(p.line);
      });
  if (proseOnly)
    assembleAfterProseEdit(edit);
  else
    assemble();
}

void Manuscript::assembleAfterProseEdit(const ProseEdit &edit) {
  // The fresh paragraphs replace ones of a single scene: give them its chapter and scene.
  for (std::size_t i = 0; i < edit.added; ++i) {
    paragraphs_[edit.firstParagraph + i].chapter = edit.chapter;
    paragraphs_[edit.firstParagraph + i].scene = edit.scene;
  }
  const auto countDelta = static_cast<std::ptrdiff_t>(edit.added) - static_cast<std::ptrdiff_t>(edit.removed);
  // Scenes from `from` on move; the first of them is the edited one when `edited`.
  auto update = [&](std::vector<Scene> &scenes, std::size_t from, bool edited) {
    for (std::size_t k = from; k < scenes.size(); ++k) {
      Scene &s = scenes[k];
      if (edited && k == from) {
        s.paragraphCount = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(s.paragraphCount) + countDelta);
        const Paragraph &first = paragraphs_[s.firstParagraph];
        const Paragraph &last = paragraphs_[s.firstParagraph + s.paragraphCount - 1];
        s.begin = first.begin;
        s.firstLine = first.firstLine;
        s.end = last.end;
        s.lastLine = last.lastLine;
        continue;
      }
      s.firstParagraph = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(s.firstParagraph) + countDelta);
      s.begin = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(s.begin) + edit.byteDelta);
      s.end = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(s.end) + edit.byteDelta);
      s.firstLine = static_cast<std::uint32_t>(s.firstLine + edit.lineDelta);
      s.lastLine = static_cast<std::uint32_t>(s.lastLine + edit.lineDelta);
    }
  };
  if (edit.chapter < 0)
    update(preamble_, static_cast<std::size_t>(edit.scene), true);
  const std::size_t firstChapter = edit.chapter < 0 ? 0 : static_cast<std::size_t>(edit.chapter);
  for (std::size_t c = firstChapter; c < chapters_.size(); ++c) {
    Chapter &ch = chapters_[c];
    const bool last = c + 1 == headings_.size();
    ch.begin = lineStarts_[headings_[c].line];
    ch.headingLine = headings_[c].line;
    ch.end = last ? text_.size() : lineStarts_[headings_[c + 1].line];
    ch.lastLine = last ? lineCount() - 1 : headings_[c + 1].line - 1;
    const bool edited = static_cast<int>(c) == edit.chapter;
    update(ch.scenes, edited ? static_cast<std::size_t>(edit.scene) : 0, edited);
  }
  totalWords_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(totalWords_) + edit.wordDelta);
}

void Manuscript::assemble() {
  // Chapters keep their scene vectors' capacity across edits: most edits change neither.
  chapters_.resize(headings_.size());
  for (std::size_t c = 0; c < headings_.size(); ++c) {
    Chapter &ch = chapters_[c];
    const Heading &h = headings_[c];
    if (ch.title != h.title)
      ch.title = h.title;
    ch.begin = lineStarts_[h.line];
    ch.headingLine = h.line;
    ch.level = h.level;
    bool last = c + 1 == headings_.size();
    ch.end = last ? text_.size() : lineStarts_[headings_[c + 1].line];
    ch.lastLine = last ? lineCount() - 1 : headings_[c + 1].line - 1;
    ch.scenes.clear();
  }
  preamble_.clear();

  std::uint64_t words = 0;
  std::size_t nextHeading = 0, nextBreak = 0;
  int chapter = -1;
  bool pendingBreak = false;
  for (std::size_t i = 0; i < paragraphs_.size(); ++i) {
    Paragraph &p = paragraphs_[i];
    // Headings and scene breaks before this paragraph, in line order.
    for (;;) {
      bool heading = nextHeading < headings_.size() && headings_[nextHeading].line < p.firstLine;
      bool brk = nextBreak < sceneBreaks_.size() && sceneBreaks_[nextBreak] < p.firstLine;
      if (heading && (!brk || headings_[nextHeading].line < sceneBreaks_[nextBreak])) {
        chapter = static_cast<int>(nextHeading++);
        pendingBreak = false;
      } else if (brk) {
        ++nextBreak;
        pendingBreak = true;
      } else {
        break;
      }
    }
    std::vector<Scene> &scenes = chapter < 0 ? preamble_ : chapters_[static_cast<std::size_t>(chapter)].scenes;
    if (scenes.empty() || pendingBreak) {
      Scene s;
      s.begin = p.begin;
      s.firstLine = p.firstLine;
      s.firstParagraph = i;
      scenes.push_back(s);
      pendingBreak = false;
    }
    Scene &s = scenes.back();
    s.end = p.end;
    s.lastLine = p.lastLine;
    ++s.paragraphCount;
    p.chapter = chapter;
    p.scene = static_cast<int>(scenes.size()) - 1;
    words += p.words;
  }
  totalWords_ = words;
}

Manuscript::LineKind Manuscript::lineKind(std::uint32_t line) const {
  return line < lineKinds_.size() ? lineKinds_[line] : LineKind::Blank;
}

std::optional<std::size_t> Manuscript::paragraphAtLine(std::uint32_t line) const {
  auto it = std::partition_point(paragraphs_.begin(), paragraphs_.end(),
                                 [&](const Paragraph &p) { return p.lastLine < line; });
  if (it == paragraphs_.end() || it->firstLine > line)
    return std::nullopt;
  return static_cast<std::size_t>(it - paragraphs_.begin());
}

std::optional<std::size_t> Manuscript::paragraphBefore(std::size_t offset) const {
  auto it = std::partition_point(paragraphs_.begin(), paragraphs_.end(),
                                 [&](const Paragraph &p) { return p.begin < offset; });
  if (it == paragraphs_.begin())
    return std::nullopt;
  return static_cast<std::size_t>(it - paragraphs_.begin()) - 1;
}

std::size_t Manuscript::lineStart(std::uint32_t line) const {
  return line < lineStarts_.size() ? lineStarts_[line] : text_.size();
}

std::size_t Manuscript::lineEnd(std::uint32_t line) const {
  return line + 1 < lineStarts_.size() ? lineStarts_[line + 1] - 1 : text_.size();
}

std::uint32_t Manuscript::lineOf(std::size_t offset) const {
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  return static_cast<std::uint32_t>(it - lineStarts_.begin()) - 1;
}

std::string_view Manuscript::lineText(std::uint32_t line) const {
  std::size_t b = lineStart(line), e = lineEnd(line);
  if (e > b && text_[e - 1] == '\r')
    --e;
  return std::string_view(text_).substr(b, e - b);
}

} // namespace recurrent::engine
