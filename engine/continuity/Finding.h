// A continuity finding: one place in a chapter that contradicts the book's own facts, like a compiler warning.
//
// Every check (the deterministic ones in this folder and the model's) reports Findings; the server turns them
// into LSP diagnostics, `recurrent check` prints them as `file:line:col: warning: ...`. Positions are byte
// ranges in the chapter's text (BookSnapshot::chapterText), so a finding moves with the text it quotes.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine {

enum class FindingSeverity { Warning, Information, Hint }; ///< bible contradiction, memory-based, style

/// Where the contradicted truth is written: a bible entry's line, a fact comment, or an earlier paragraph.
struct FindingSource {
  enum class Kind { BibleEntry, Fact, Paragraph };
  Kind kind = Kind::BibleEntry;
  std::filesystem::path file;      ///< the bible file or the chapter file
  std::uint32_t line = 0;          ///< 0-based
  std::string quote;               ///< what it says there
  bool operator==(const FindingSource &) const = default;
};

struct Finding {
  std::string code;                ///< the check: "name-misspelling", "dead-character-acts", "pov-drift",
                                   ///< or a model subtype: "characterization", "factual-detail", ...
  FindingSeverity severity = FindingSeverity::Warning;
  std::size_t chapter = 0;         ///< index into the book's chapters
  std::size_t begin = 0, end = 0;  ///< bytes of the quoted span in the chapter's text
  std::string message;             ///< one sentence a writer reads: "‘Elizabteh’ looks like a misspelling of ‘Elizabeth’"
  std::vector<FindingSource> sources;
  std::optional<std::string> replacement; ///< what the quick fix puts in place of the span, if any
  std::string entry;               ///< the bible entry concerned, if any (its name)
  /// Stable across runs and unrelated edits: code + entry + the quoted text (for "Ignore (intentional)").
  std::string fingerprint;
  bool operator==(const Finding &) const = default;
};

} // namespace recurrent::engine
