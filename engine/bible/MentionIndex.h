// Where the bible's names are mentioned in the book: every (chapter, byte range) of every entry, kept current with edits.
//
// The index matches each entry's name, aliases and keys (plain words, or `/regex/i`) in every chapter text:
//   - Word boundaries are Unicode ones: a match must not touch a letter or digit of a non-CJK script on
//     either side ("Ana" is not found in "Anastasia" or "Žana"). CJK names (Han, kana, hangul) are matched
//     as substrings: those scripts put no spaces between words ("安娜" in "安娜说").
//   - English plural and possessive forms count: Ana's, Ana’s, Anas, Anas', Joneses. The mention's range is
//     the name only, so a rename keeps the ending. A space in a name matches any white space inside a
//     paragraph (a name broken across lines); ' and ’ match each other.
//   - Case: `sensitive` matches the bytes as written; `insensitive` folds case (ASCII, Latin-1, Latin
//     Extended-A, Greek, Cyrillic); `auto` (the default) folds case except for a name's capital initial: a
//     name written "Rose" is found as "Rose" or "ROSE" but never as "rose", while a name written in lower case
//     ("the smuggler's daughter") is found in any case. The rule looks at the name only, never at the rest of
//     the book, so an edit in one chapter cannot change what is found in another; a sentence-initial common
//     word ("Rose early, she ...") is what `exclude` and `case: sensitive` are for.
//   - Exclusions: an entry's mention inside one of its `exclude` phrases ("Ana's Diner", matched case-
//     insensitively) is kept with `excluded` set and is not counted; other entries' mentions there are.
//   - Regex keys (`/Petrov(a|s)?/i`, ECMAScript) match within a line; a line longer than 4 KB is matched in
//     pieces cut after a space (std::regex recurses per character: this keeps it off the stack's end).
//   - The longest name wins where several start at one place ("Ana Petrova" over "Ana"); mentions never overlap.
//   - Text is scanned paragraph by paragraph (runs of non-blank lines), so no match crosses a blank line and
//     an edit re-scans only the paragraphs it touched (applyEdit); updateChapter re-scans one chapter. Neither
//     ever rescans the book.
// Comments, front matter and headings are text like any other: a name in a plan or fact comment is a mention.
//
// Thread-safety: not synchronised. One owner builds and updates it (the book's strand); const methods may run
// on several threads while nobody updates it.
#pragma once

#include "engine/bible/BibleFile.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace recurrent::engine {

class BookSnapshot;

struct Mention {
  enum class Via { Name, Alias, Key };
  std::size_t entry = 0;            ///< index into Bible::entries
  std::size_t chapter = 0;          ///< index into the book's chapters
  std::size_t begin = 0, end = 0;   ///< bytes of the name in the chapter's text (no plural/possessive ending)
  Via via = Via::Name;
  bool caseFolded = false;          ///< the text's case differs from the name as written (uncertain for a rename)
  bool excluded = false;            ///< inside one of the entry's exclusions: not counted
  bool operator==(const Mention &) const = default;
};

class MentionIndex {
public:
  /// Compiles the bible's names (a copy: the bible may go away). Shadowed names and `never`-included entries
  /// are still indexed (the editor navigates them); shadowed names belong to their first owner already.
  explicit MentionIndex(const Bible &bible);
  ~MentionIndex();
  MentionIndex(MentionIndex &&) noexcept;
  MentionIndex &operator=(MentionIndex &&) noexcept;

  /// Scans every chapter of `book` (replacing what was indexed).
  void build(const BookSnapshot &book);
  void build(const std::vector<std::string_view> &chapters);
  /// Re-scans chapter `chapter` only (it must exist), whose text is now `text`.
  void updateChapter(std::size_t chapter, std::string_view text);
  /// Chapter `chapter` had bytes [begin, begin + oldLength) replaced by `newLength` bytes, giving `newText`:
  /// re-scans the paragraphs around the edit and shifts the mentions after it.
  void applyEdit(std::size_t chapter, std::string_view newText, std::size_t begin, std::size_t oldLength,
                 std::size_t newLength);

  /// A chapter file added at position `chapter` (0..chapterCount()): scanned; the later ones renumbered.
  void insertChapter(std::size_t chapter, std::string_view text);
  /// Chapter `chapter` left the book (deleted, or no longer listed): its mentions go, the later ones renumbered.
  void removeChapter(std::size_t chapter);

  /// The mentions in `text`, as if it were chapter `chapter` (pure; what build uses).
  std::vector<Mention> scan(std::string_view text, std::size_t chapter = 0) const;

  std::size_t chapterCount() const { return chapters_.size(); }
  std::size_t entryCount() const { return entryCount_; }
  /// The chapter's mentions, by position.
  const std::vector<Mention> &chapterMentions(std::size_t chapter) const { return chapters_.at(chapter); }
  /// Every mention of `entry` in book order, excluded ones too.
  std::vector<Mention> mentionsOf(std::size_t entry) const;
  /// Mentions of `entry` that count (not excluded).
  std::size_t mentionCount(std::size_t entry) const;
  /// Its first counted mention in book order.
  std::optional<Mention> firstAppearance(std::size_t entry) const;

private:
  struct Compiled;
  struct ExclusionHit {
    std::size_t entry = 0, begin = 0, end = 0;
  };
  void scanNames(std::string_view text, std::size_t from, std::size_t to, std::size_t chapter,
                 std::vector<Mention> &out, std::vector<ExclusionHit> *exclusions) const;
  void scanRange(std::string_view text, std::size_t from, std::size_t to, std::size_t chapter,
                 std::vector<Mention> &out) const;
  void renumberFrom(std::size_t chapter);
  std::unique_ptr<Compiled> compiled_;
  std::size_t entryCount_ = 0;
  std::vector<std::vector<Mention>> chapters_;
};

} // namespace recurrent::engine
