// The story bible's files: entries (characters, places, ...) read from the writer's Markdown, and fact comments.
//
// A bible is plain Markdown beside the book: `BOOK/bible/` for a folder book, `DIR/NAME.bible/` for the
// one-file story `DIR/NAME.md`. Each `*.md` file there is one entry (its first heading is the name), except
// a file named `bible.md`, which holds one entry per `## Name` section (for a small cast). An entry file may
// open with YAML front matter; a `bible.md` section may open with the same `---` block right under its
// heading:
//
//   type: character|place|object|lore|other   aliases: [..]   include: always|mentioned|related|never
//   case: auto|sensitive|insensitive          exclude: [..]   keys: [..] (`/regex/i` or plain)   related: [..]
//
// The body is the description; `- key: value` lines are details; a `Notes` sub-heading starts text that is
// kept out of anything a model sees. Facts that become true later live in the chapters, where they become
// true: `<!-- fact: Ana: scar on her left cheek -->` adds a fact to Ana, `<!-- fact: Ana.eyes: one eye
// lost -->` replaces her `eyes` detail from that point on.
//
// Nothing here throws or stops on a malformed file: a problem becomes a BibleDiagnostic (file, line,
// message) and the entry is used as far as it can be. Lines are 0-based (LSP's); printers add one.
//
// Thread-safety: plain values and pure functions (loadBible reads the file system); any thread.
#pragma once

#include "engine/book/BookLayout.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

enum class BibleEntryType { Character, Place, Object, Lore, Other };
/// When an entry reaches a prompt: always, when mentioned (the default), only through a `related` entry
/// that is included, never.
enum class BibleInclude { Always, Mentioned, Related, Never };
/// How names match the text (see MentionIndex.h for `Auto`).
enum class BibleCase { Auto, Sensitive, Insensitive };

const char *bibleEntryTypeName(BibleEntryType type);
const char *bibleIncludeName(BibleInclude include);
const char *bibleCaseName(BibleCase rule);

struct BibleDetail {
  std::string key, value;
  std::uint32_t line = 0;
  bool operator==(const BibleDetail &) const = default;
};

struct BibleEntry {
  std::string name;                  ///< the first heading's text
  BibleEntryType type = BibleEntryType::Other;
  std::vector<std::string> aliases;  ///< without the ones another entry already owns (see diagnostics)
  BibleInclude include = BibleInclude::Mentioned;
  BibleCase caseRule = BibleCase::Auto;
  std::vector<std::string> exclude;  ///< phrases whose mentions of the name do not count ("Ana's Diner")
  std::vector<std::string> keys;     ///< extra triggers: `/regex/flags` (ECMAScript, flag `i`) or plain words
  std::vector<std::string> related;  ///< names of other entries
  std::string description;           ///< the body without details and notes, trimmed
  std::vector<BibleDetail> details;  ///< `- key: value` lines, in order
  std::string notes;                 ///< the Notes section: never sent to a model
  std::filesystem::path file;
  std::uint32_t line = 0;            ///< the heading's line in `file`
  bool nameShadowed = false;         ///< an earlier entry already has this name: its mentions go there
  bool operator==(const BibleEntry &) const = default;
};

struct BibleDiagnostic {
  enum class Severity { Error, Warning };
  std::filesystem::path file;
  std::uint32_t line = 0;
  Severity severity = Severity::Error;
  std::string message;
  bool operator==(const BibleDiagnostic &) const = default;
};

/// `<!-- fact: TARGET: TEXT -->` in a chapter.
struct FactComment {
  std::string target;              ///< "Ana" or "Ana.eyes", trimmed
  std::string text;                ///< what becomes true, trimmed
  std::size_t begin = 0, end = 0;  ///< byte range of the whole comment in the chapter's text
  std::uint32_t line = 0;
  bool operator==(const FactComment &) const = default;
};

struct Bible {
  std::filesystem::path folder;
  std::vector<BibleEntry> entries;  ///< in file order (files by name), then section order
  std::vector<BibleDiagnostic> diagnostics;

  /// The entry named `name` or having it as an alias (case-insensitive for ASCII letters).
  std::optional<std::size_t> find(std::string_view name) const;
  /// Which entry a fact is about and which detail it replaces (empty: it adds a fact). The whole target
  /// is tried as a name first ("St. Petersburg"), then split at its last '.' ("Ana.eyes").
  struct FactTarget {
    std::size_t entry = 0;
    std::string detail;
  };
  std::optional<FactTarget> resolveFact(const FactComment &fact) const;
};

/// Where a book's bible lives: `ROOT/bible/` for a folder book, `DIR/NAME.bible/` for `DIR/NAME.md`.
std::filesystem::path bibleFolder(const BookLayout &layout);

/// The book a bible file belongs to: `ROOT/bible/...` of a folder book, `DIR/NAME.bible/...` of `DIR/NAME.md`
/// (nullopt: `file` is in no bible folder).
std::optional<BookLayout> bookOfBibleFile(const std::filesystem::path &file);

/// The entries of one file's text. `multiEntry`: the `bible.md` form (`## Name` sections). Pure.
std::vector<BibleEntry> parseBibleFile(const std::filesystem::path &file, std::string_view text, bool multiEntry,
                                       std::vector<BibleDiagnostic> &diagnostics);

/// Texts that replace files of the bible folder (the editor's unsaved entry files), by path.
using BibleOverlays = std::map<std::filesystem::path, std::string>;

/// Reads every `*.md` file under `folder` (sorted by path, hidden files skipped) and checks names across
/// entries: a name or alias already owned by an earlier entry gets a diagnostic and is dropped from the
/// later one (a duplicated name marks it nameShadowed). A missing folder is an empty bible, no diagnostic.
/// An overlay under `folder` is read instead of its file (or as a file, if it is not on disk yet).
Bible loadBible(const std::filesystem::path &folder, const BibleOverlays &overlays = {});
/// The entries of parsed files, checked across entries as loadBible does (for text not on disk).
Bible assembleBible(std::filesystem::path folder, std::vector<BibleEntry> entries,
                    std::vector<BibleDiagnostic> diagnostics);

/// The fact comments of a chapter's text, in order. A `fact:` comment without `TARGET: TEXT` is reported
/// in `problems` (file left empty) and skipped.
std::vector<FactComment> parseFactComments(std::string_view text, std::vector<BibleDiagnostic> *problems = nullptr);
/// The comment parseFactComments reads back: `<!-- fact: TARGET: TEXT -->` ("Ana" or "Ana.eyes").
std::string factComment(std::string_view target, std::string_view text);

} // namespace recurrent::engine
