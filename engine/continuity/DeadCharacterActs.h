// Check "dead-character-acts": a character whose `status` says dead (or absent, elsewhere, gone, ...) at
// that point of the book is named as speaking or acting: a Warning, its source the fact comment (or the
// bible's detail line) that set the status.
//
// The status is the entry's `status` detail as it stands at the mention (BookFacts: a
// `<!-- fact: Ana.status: dead -->` replaces it from the comment on, a later `Ana.status: alive` undoes it).
// Its first word decides: dead, deceased, died, killed, murdered, slain, executed, drowned, buried (dead);
// absent, away, elsewhere, gone, departed, missing, abroad, exiled (away).
//
// Clear evidence only (precision first); the mention must be the subject:
//   - "…,” said Ana" / "…?” asked the old prince": a speech verb right after a closing quotation mark,
//     then the name;
//   - "Ana said, “…" / "“…” Ana said": the name, then a speech verb, with a quotation mark just before the
//     name or just after the verb;
//   - "Ana walked …": the name at a sentence's or clause's start (the paragraph's start, after . ! ? ; : ,
//     a dash, a quotation mark, or "and", "then", "but"), then a past-tense verb of acting or speaking.
// A paragraph that remembers or dreams (remembered, recalled, dream, ghost, memory, ...) is skipped: the
// dead speak in memories.
//
// Thread-safety: stateless; check() may run on several threads at once.
#pragma once

#include "engine/continuity/CheckContext.h"

#include <vector>

namespace recurrent::engine::continuity {

class DeadCharacterActs {
public:
  std::vector<Finding> check(const CheckContext &context, const ChapterView &view) const;

  enum class Status { Present, Dead, Away };
  /// What a status value says ("dead (at Borodino)" -> Dead).
  static Status classify(std::string_view value);
};

} // namespace recurrent::engine::continuity
