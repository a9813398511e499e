// Which book a path belongs to, its chapter files in order, and where its state lives.
//
// API summary (stable; later additions only):
//   BookLayout::find(path)        the book holding `path`, only if it is already a story
//                                 (never creates anything): the nearest ancestor folder
//                                 with `.recurrent/book/`, else the one-file story whose
//                                 `DIR/.recurrent/NAME.md/` exists, else nullopt.
//   BookLayout::folder(root)      the folder book at `root` (for adopting: nothing is created)
//   BookLayout::singleFile(file)  the one-file story of `file` (a book of one chapter)
//   BookLayout::isStateFile(path) true for anything under a `.recurrent/` folder: never a
//                                 chapter, never a story
//   layout.chapters()             the chapter files, read from disk now, in book order
//   layout.paths()                the StatePaths of the book's state
//   layout.nextChapterPath(title) where a new chapter file goes (the naming pattern)
//   layout.createNextChapter(title) makes that file (its heading only) and lists it
//   naturalLess(a, b)             the order of chapter paths without SUMMARY.md
//
// A folder book's chapters: the links of `SUMMARY.md` (mdBook's list of links; at the
// root, else `src/SUMMARY.md`) when present — listed files that do not exist yet and
// draft chapters `[Title]()` are skipped —; otherwise every *.md, *.markdown and *.txt
// in the folder and its subfolders in natural order of their paths (`ch2` before
// `ch10`), skipping hidden and `_`-prefixed files and folders, README*, SUMMARY.md, the
// `bible/` and `notes/` folders and everything under `.recurrent/`. A one-file story
// is a book whose only chapter is its file, with today's state folder.
//
// Thread-safety: a value type; const methods read the file system and may run on any
// thread.
#pragma once

#include "engine/StatePaths.h"
#include "support/Error.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

struct ChapterFile {
  std::filesystem::path path; ///< absolute, normalised
  std::string relative;       ///< relative to the book's root, '/'-separated ("part1/02-letter.md")
  bool operator==(const ChapterFile &) const = default;
};

class BookLayout {
public:
  enum class Kind { SingleFile, Folder };

  /// An empty layout (no book, no state); assign one of the constructors below.
  BookLayout() = default;

  /// The story `path` (a file or a folder) already belongs to, or nullopt when it is none
  /// (or is a state file). Reads the file system only; creates nothing.
  static std::optional<BookLayout> find(const std::filesystem::path &path);
  /// The folder book rooted at `root` (whether or not its state exists yet).
  static BookLayout folder(const std::filesystem::path &root);
  /// The one-file story of `file` (whether or not its state exists yet).
  static BookLayout singleFile(const std::filesystem::path &file);
  /// True for paths under a `.recurrent/` folder (the state's own files).
  static bool isStateFile(const std::filesystem::path &path);

  Kind kind() const { return kind_; }
  bool isFolder() const { return kind_ == Kind::Folder; }
  /// The book's folder, or the one-file story's file.
  const std::filesystem::path &root() const { return root_; }
  /// The folder chapter paths are relative to (the root, or the file's folder).
  std::filesystem::path baseDir() const;
  const StatePaths &paths() const { return paths_; }
  /// The state folder exists (the writer made this a story at some point).
  bool hasState() const;

  /// The chapter files in book order, as on disk now. A one-file story: its file (even
  /// when it does not exist yet, for `recurrent write --out`).
  std::vector<ChapterFile> chapters() const;
  /// The SUMMARY.md that orders this book's chapters, if any.
  std::optional<std::filesystem::path> summaryFile() const;
  /// `path` is one of chapters() (by path, normalised).
  bool isChapter(const std::filesystem::path &path) const;
  /// `path` relative to baseDir(), '/'-separated.
  std::string relativePath(const std::filesystem::path &path) const;

  /// Where the chapter after the last one goes, following the last chapter's name: the
  /// last number in its name counted up with the same width and separator, in its folder
  /// (`02-the-letter.md` -> `03-<slug of title>.md`, or `03.md` without a title; `ch9.txt`
  /// -> `ch10.txt`); `chapter-01.md` for a book with no chapters. Never an existing file.
  /// A one-file story has no next chapter: InvalidArgument.
  Result<std::filesystem::path> nextChapterPath(std::string_view title = {}) const;
  /// Appends a link to `chapter` under `title` to SUMMARY.md (when the book has one;
  /// otherwise does nothing). Atomic rewrite.
  Status addToSummary(const std::filesystem::path &chapter, std::string_view title) const;
  /// Creates the next chapter file (nextChapterPath) holding only its heading, `title` or
  /// "Chapter N", and lists it in SUMMARY.md when the book has one. Never overwrites a file.
  Result<std::filesystem::path> createNextChapter(std::string_view title = {}) const;

  bool operator==(const BookLayout &) const = default;

private:
  BookLayout(Kind kind, std::filesystem::path root, StatePaths paths)
      : kind_(kind), root_(std::move(root)), paths_(std::move(paths)) {}
  Kind kind_ = Kind::SingleFile;
  std::filesystem::path root_;
  StatePaths paths_;
};

/// Natural order of '/'-separated relative paths: component by component, runs of digits
/// compared as numbers (`ch2` < `ch10`), letters case-insensitively (ties: bytewise).
bool naturalLess(std::string_view a, std::string_view b);

/// The links of an mdBook SUMMARY.md, in order (targets as written, percent-decoded,
/// without `#anchors`; external links and draft chapters left out). Pure.
std::vector<std::string> summaryLinks(std::string_view summary);

} // namespace recurrent::engine
