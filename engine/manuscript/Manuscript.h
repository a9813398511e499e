// The manuscript model: a story's text segmented into paragraphs, chapters and scenes.
//
// Rules (DESIGN.md section 3): a paragraph is a run of non-blank lines (a line
// holding only whitespace, U+3000 included, is blank). Headings (`#`...) and lines
// such as `Chapter 12`, `CHAPTER XII`, `BOOK ONE: 1805`, `第一回` open chapters;
// `***` or `* * *` separate scenes. Front matter, HTML comments and fenced code
// are not prose. `<!-- plan: ... -->` is the writer's plan for the next paragraph.
// In detail (engine/manuscript/LineRules.h has each line rule):
// - Headings and scene breaks are not paragraphs. A Markdown heading, a scene-break
//   line, a fence or a comment ends the paragraph above it, as in CommonMark.
// - A plain-text chapter line (`Chapter 12`, `CHAPTER I. Title`, `Chapter the First`,
//   `BOOK ONE: 1805`, `Part Two`, `FIRST EPILOGUE`, `I. A SCANDAL IN BOHEMIA`, `第一回`,
//   `第十二章 ...`) is a heading only when it is a paragraph of its own and at most 80
//   characters; `CHAPTER I.` with a short title line under it (no blank line between)
//   is one heading. BOOK/PART lines and CHAPTER lines are all level-1 chapters, in text
//   order (no nesting: a BOOK line directly followed by a CHAPTER line is a chapter with
//   no scenes). A table of contents written one entry per paragraph reads as such
//   empty chapters; one written as a single paragraph is prose.
// - Scene breaks: `***`, `* * *`, `---`, `___` (3+ marks), `⁂`, `#` alone, and a bare
//   upper-case Roman numeral paragraph (`II.`, a numbered section).
// - Front matter: `---` on the first line up to the next `---` or `...` line; without
//   that closing line, the first line is a scene break.
// - Comments: from a line starting with `<!--` through the line holding `-->` (whole
//   lines; an unclosed comment runs to the end). A comment inside a prose line is prose.
//   Fences: ``` or ~~~ (3+) up to a closing run of the same mark at least as long.
//
// Offsets are byte offsets into the UTF-8 text; lines are 0-based. Editors speak
// UTF-16 positions: the server converts with the line index exposed here.
// An edit re-segments only the region it touched; the result always equals a
// full parse of the new text (tests check this after thousands of random edits).
//
// Thread-safety: none; one owner thread mutates and reads it. Copy to share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

/// Stable identity of a paragraph's text (64-bit FNV-1a of its bytes, with
/// line ends normalised to '\n' and trailing whitespace of each line trimmed).
using ParagraphHash = std::uint64_t;
ParagraphHash hashParagraphText(std::string_view text);

struct Paragraph {
  std::size_t begin = 0;      ///< byte offset of its first character (its first line's start, indentation included)
  std::size_t end = 0;        ///< byte offset just past its last non-newline character
  std::uint32_t firstLine = 0;
  std::uint32_t lastLine = 0; ///< inclusive
  ParagraphHash hash = 0;
  int chapter = -1;           ///< index into chapters(), -1 before the first chapter heading
  int scene = 0;              ///< index of the scene within its chapter (or within the preamble)
  std::uint32_t words = 0;    ///< words, counting each CJK character as one word
  bool operator==(const Paragraph &) const = default;
};

struct Scene {
  std::size_t begin = 0, end = 0;   ///< byte range from its first to its last paragraph
  std::uint32_t firstLine = 0, lastLine = 0;
  std::size_t firstParagraph = 0;   ///< index into paragraphs()
  std::size_t paragraphCount = 0;
  bool operator==(const Scene &) const = default;
};

struct Chapter {
  std::string title;                ///< the heading text without `#` marks, trimmed
  std::size_t begin = 0;            ///< byte offset of the heading line
  std::size_t end = 0;              ///< byte offset where the chapter's content ends
  std::uint32_t headingLine = 0;
  std::uint32_t lastLine = 0;       ///< inclusive; last line before the next chapter (or the text's end)
  int level = 1;                    ///< `#` count for Markdown headings; 1 for `Chapter N` style lines
  std::vector<Scene> scenes;        ///< at least one when the chapter has paragraphs
  bool operator==(const Chapter &) const = default;
};

struct PlanComment {
  std::string plan;                 ///< the text after `plan:`, trimmed
  std::size_t begin = 0, end = 0;   ///< byte range of the whole comment
  std::uint32_t line = 0;
  bool operator==(const PlanComment &) const = default;
};

class Manuscript {
public:
  Manuscript() = default;
  explicit Manuscript(std::string text);

  const std::string &text() const { return text_; }

  /// Replaces bytes [begin, end) with `replacement` and re-segments the region it touched.
  /// Offsets are clamped to the text. Offsets that split a UTF-8 sequence are the caller's bug.
  void replace(std::size_t begin, std::size_t end, std::string_view replacement);

  const std::vector<Paragraph> &paragraphs() const { return paragraphs_; }
  const std::vector<Chapter> &chapters() const { return chapters_; }
  /// Scenes before the first chapter heading (the preamble), if it holds paragraphs.
  const std::vector<Scene> &preambleScenes() const { return preamble_; }
  const std::vector<PlanComment> &planComments() const { return plans_; }

  std::string_view paragraphText(const Paragraph &p) const { return std::string_view(text_).substr(p.begin, p.end - p.begin); }
  /// The paragraph whose lines contain `line`, if any.
  std::optional<std::size_t> paragraphAtLine(std::uint32_t line) const;
  /// The last paragraph that starts before byte `offset` (for "continue from here").
  std::optional<std::size_t> paragraphBefore(std::size_t offset) const;

  // Line index.
  std::uint32_t lineCount() const { return static_cast<std::uint32_t>(lineStarts_.size()); }
  std::size_t lineStart(std::uint32_t line) const;  ///< clamped to the text's end
  std::size_t lineEnd(std::uint32_t line) const;    ///< offset of the line's '\n' (or the text's end)
  std::uint32_t lineOf(std::size_t offset) const;
  std::string_view lineText(std::uint32_t line) const;

  std::uint64_t totalWords() const { return totalWords_; }

  /// Structural equality (text, paragraphs, chapters, scenes, plans, line index):
  /// what the incremental-vs-full-parse property test compares.
  bool operator==(const Manuscript &) const = default;

  /// What the segmenter made of one line (kept per line so an edit can find where to resume).
  enum class LineKind : std::uint8_t { Blank, Prose, Heading, SceneBreak, FrontMatter, Fence, Comment };
  LineKind lineKind(std::uint32_t line) const;

  /// A chapter heading line, before chapters() is assembled from it.
  struct Heading {
    std::uint32_t line = 0;
    int level = 1;
    std::string title;
    bool operator==(const Heading &) const = default;
  };

private:
  void parseAll();
  /// Rebuilds chapters_, preamble_ and each paragraph's chapter/scene from the segments.
  void assemble();
  /// An edit that replaced paragraphs of one scene by others, with no heading or scene break on
  /// either side: the chapter tree keeps its shape and only moves.
  struct ProseEdit {
    std::size_t firstParagraph = 0, removed = 0, added = 0;
    int chapter = -1, scene = 0;
    std::int64_t lineDelta = 0, byteDelta = 0, wordDelta = 0;
  };
  void assembleAfterProseEdit(const ProseEdit &edit);

  std::string text_;
  std::vector<std::size_t> lineStarts_{0};
  std::vector<Paragraph> paragraphs_;
  std::vector<Chapter> chapters_;
  std::vector<Scene> preamble_;
  std::vector<PlanComment> plans_;
  // Segments (the source of chapters_ and preamble_), all sorted by line.
  std::vector<LineKind> lineKinds_{LineKind::Blank};
  std::vector<Heading> headings_;
  std::vector<std::uint32_t> sceneBreaks_; ///< lines of scene-break markers
  std::uint64_t totalWords_ = 0;
};

} // namespace recurrent::engine
