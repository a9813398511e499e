// An immutable view of a whole book at one moment: its chapters' texts and one manuscript of them all.
//
// API summary (stable; later additions only):
//   snapshot.layout()                  the book it views
//   snapshot.version()                 grows with every change of the book's text
//   snapshot.manuscript()              the book as ONE Manuscript: the chapters in order,
//                                      so paragraph indices are book-wide (memory entries'
//                                      `paragraph`, retrieval, recency across chapters)
//   snapshot.chapters()                per chapter file: path, relative name, title, text,
//                                      its range of book paragraphs, words, fromEditor
//   snapshot.chapterIndex(path)        which chapter a file is (nullopt: not a chapter)
//   snapshot.chapterText(i)            the chapter file's own text (editor overlay or disk)
//   snapshot.bookParagraph(i, local)   book-wide index of chapter i's local paragraph
//   snapshot.place(bookParagraph)      where a book paragraph is in its chapter file
//                                      (chapter, local index, bytes, lines)
//   snapshot.bookOffset(i, offset)     a byte offset in chapter i -> in manuscript().text()
//   snapshot.chapterOffset(offset)     the reverse: {chapter, byte offset in the chapter}
//
// A one-file story's snapshot has one chapter whose text IS manuscript().text(), so
// every index and offset is the file's own (today's prompts stay byte-identical). A
// folder book's chapters are joined with a blank line between them; a chapter that
// would leak into the next when joined (front matter at its top, an unclosed fence or
// comment) joins as its prose paragraphs and headings only (offsets then map through
// its paragraphs).
//
// Thread-safety: immutable after construction; share it (shared_ptr<const BookSnapshot>)
// with any number of threads. Jobs hold a snapshot, never a copy of a manuscript.
#pragma once

#include "engine/book/BookLayout.h"
#include "engine/manuscript/Manuscript.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

/// One chapter file as the snapshot holds it.
struct BookChapter {
  ChapterFile file;
  std::string title;               ///< its first heading, else the file's name without extension
  std::shared_ptr<const std::string> text; ///< the file's text (the editor's when fromEditor)
  bool fromEditor = false;         ///< the text is an open document's, not the file on disk
  std::size_t firstParagraph = 0;  ///< book-wide index of its first paragraph
  std::size_t paragraphCount = 0;
  std::uint64_t words = 0;
  // Where it sits in manuscript().text():
  std::size_t begin = 0, end = 0;  ///< byte range
  std::uint32_t firstLine = 0;     ///< book line of its first line (verbatim chapters)
  bool verbatim = true;            ///< joined as written (offsets map by adding `begin`)
};

/// Where a book paragraph is in its chapter file.
struct ParagraphPlace {
  std::size_t chapter = 0;         ///< index into chapters()
  std::size_t paragraph = 0;       ///< index among the chapter's own paragraphs
  std::size_t begin = 0, end = 0;  ///< bytes in the chapter's text
  std::uint32_t firstLine = 0, lastLine = 0; ///< lines in the chapter's text (0-based, inclusive)
};

struct ChapterOffset {
  std::size_t chapter = 0;
  std::size_t offset = 0;          ///< bytes in the chapter's text
};

class BookSnapshot {
public:
  /// Builds the book from the chapters' texts, in order. `previous` (optional) is an
  /// earlier snapshot of the same book: when no chapter's text changed it shares its
  /// manuscript; when one did, it edits a copy of that manuscript in place of that
  /// chapter (an incremental re-parse). Either way the result equals a fresh build.
  struct ChapterSource {
    ChapterFile file;
    std::shared_ptr<const std::string> text;
    bool fromEditor = false;
  };
  static std::shared_ptr<const BookSnapshot> build(BookLayout layout, std::vector<ChapterSource> chapters,
                                                   std::uint64_t version,
                                                   const std::shared_ptr<const BookSnapshot> &previous = nullptr);

  const BookLayout &layout() const { return layout_; }
  std::uint64_t version() const { return version_; }
  const Manuscript &manuscript() const { return *manuscript_; }
  /// The book manuscript, shareable beyond the snapshot's life.
  std::shared_ptr<const Manuscript> manuscriptPtr() const { return manuscript_; }
  const std::vector<BookChapter> &chapters() const { return chapters_; }
  std::optional<std::size_t> chapterIndex(const std::filesystem::path &path) const;
  std::string_view chapterText(std::size_t chapter) const { return *chapters_.at(chapter).text; }

  std::size_t bookParagraph(std::size_t chapter, std::size_t localParagraph) const {
    return chapters_.at(chapter).firstParagraph + localParagraph;
  }
  /// nullopt when the index is past the book's last paragraph.
  std::optional<ParagraphPlace> place(std::size_t bookParagraph) const;
  /// The chapter holding a book paragraph.
  std::optional<std::size_t> chapterOfParagraph(std::size_t bookParagraph) const;
  /// A byte offset in chapter `chapter`'s text -> the offset in manuscript().text() (clamped).
  std::size_t bookOffset(std::size_t chapter, std::size_t offset) const;
  /// A byte offset in manuscript().text() -> the chapter and the offset in its text.
  ChapterOffset chapterOffset(std::size_t bookOffset) const;
  std::uint64_t totalWords() const { return manuscript_->totalWords(); }

private:
  BookSnapshot() = default;
  bool oneFile() const;
  /// Appends chapter i as it is joined (verbatim, or its paragraphs and headings, which fills
  /// spans_[i]) and returns where its own text ends in what it appended.
  std::size_t appendPiece(std::size_t i, std::string &text);
  /// The verbatim chapters whose joint with the next chapter is not a blank line in `m`.
  std::vector<std::size_t> leakingChapters(const Manuscript &m) const;
  /// Builds this snapshot from `previous` when at most one chapter's text changed; false: build fresh.
  bool reuse(const BookSnapshot &previous);
  bool replaceChapter(const BookSnapshot &previous, std::size_t chapter);
  void locateChapters();
  /// For chapters joined as paragraphs only: each paragraph's place in its own file.
  struct LocalSpan {
    std::size_t begin = 0, end = 0;
    std::uint32_t firstLine = 0, lastLine = 0;
  };
  BookLayout layout_;
  std::uint64_t version_ = 0;
  std::shared_ptr<const Manuscript> manuscript_;
  std::vector<BookChapter> chapters_;
  std::vector<std::vector<LocalSpan>> spans_; ///< per chapter; empty for verbatim ones
};

} // namespace recurrent::engine
