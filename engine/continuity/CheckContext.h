// What every deterministic continuity check reads: the bible, where its names are mentioned, the facts,
// the book's capitalised words, the word list; and the part of one chapter to check.
//
// A check looks at the paragraphs it is given and nothing else of the chapter's text (so the server can
// re-check one edited paragraph), but may look anywhere in the book's indexes (a fact three chapters back,
// how often a word occurs in the book).
//
// Thread-safety: plain references; valid while the owner (ContinuityChecker) does not update.
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/continuity/Finding.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {
class BookSnapshot;
}

namespace recurrent::engine::continuity {

class NameCensus;
class NameDictionary;

/// A paragraph's bytes in its chapter's text.
struct ParagraphSpan {
  std::size_t begin = 0, end = 0;
  bool operator==(const ParagraphSpan &) const = default;
};

/// The part of a chapter a check looks at.
struct ChapterView {
  std::size_t chapter = 0;               ///< index into the book's chapters
  std::string_view text;                 ///< the chapter file's whole text
  std::filesystem::path file;            ///< the chapter file (for sources in it)
  std::vector<ParagraphSpan> paragraphs; ///< the prose paragraphs to check, in text order
};

struct CheckContext {
  const Bible &bible;
  const MentionIndex &mentions;
  const BookFacts &facts;
  const NameCensus &census;
  const NameDictionary *dictionary = nullptr; ///< null: no word list on this machine
  const std::vector<std::filesystem::path> &chapterFiles; ///< by chapter index (sources in other chapters)
};

/// The chapter's prose paragraphs [first, first + count) (local indices) as spans; count clamped.
ChapterView chapterView(const BookSnapshot &book, std::size_t chapter, std::size_t first = 0,
                        std::size_t count = static_cast<std::size_t>(-1));

/// code + entry + quoted text, hashed: stable across runs and across edits elsewhere.
std::string fingerprintOf(std::string_view code, std::string_view entry, std::string_view quote);

/// The mentions of the chapter that start inside [begin, end).
std::vector<Mention> mentionsIn(const MentionIndex &index, std::size_t chapter, std::size_t begin,
                                std::size_t end);

/// 0-based line of byte `offset` in `text`.
std::uint32_t lineAt(std::string_view text, std::size_t offset);

} // namespace recurrent::engine::continuity
