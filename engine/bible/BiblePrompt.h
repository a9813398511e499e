// Which story-bible entries a prompt gets, in what order, why, and as what text.
//
// A prompt continues the book at one point (a chapter and a byte offset in it: where the new paragraph
// goes). selectBibleEntries picks the entries for it, in the order of the rules:
//   1. `always` entries (in bible order);
//   2. entries mentioned in the plan, then in the recent text (the paragraph nearest the point first, and in
//      it the mention nearest the point first), then in the retrieved memories (best first);
//   3. one level of `related` entries of those (at most Options::maxRelated in all).
// `never` entries are left out; a `related`-only entry comes in through a related link, never by a mention.
// The caller passes only text before the point (the recent paragraphs, memories of earlier paragraphs), so an
// entry mentioned only later in the book is absent. Each entry is rendered as "Name (type)", its description,
// its details and the facts true at the point (BookFacts::at: facts anchored before it, replacements
// applied), capped at Options::entryTokens; its Notes never reach a prompt. Each pick carries a reason a
// writer reads
// ("alias Anya in the plan", "always", "related to Ana Petrova"); each entry that was a candidate but left
// out carries why. The prompt builder then caps the bible's share of the prompt (PromptOptions::bibleShare).
//
// Thread-safety: BibleContext is immutable once built and shared between threads; selectBibleEntries is a
// pure function of its inputs.
#pragma once

#include "engine/bible/BibleFile.h"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

class BookFacts;
class MentionIndex;

/// The bible as it stands at one point of the book (Book::bibleAt builds it).
struct BibleContext {
  std::shared_ptr<const Bible> bible;
  std::shared_ptr<const BookFacts> facts;    ///< the book's facts; null: none
  std::shared_ptr<const MentionIndex> names; ///< `bible`'s names compiled (only scan() is used)
  std::size_t chapter = 0;                   ///< the point: chapter index
  std::size_t offset = 0;                    ///< and byte offset in that chapter's text
};

/// A text scanned for mentions, with how a reason names it ("paragraph 41").
struct BibleScanText {
  std::string_view text;
  std::string label;
};

struct BibleScanInput {
  std::string_view plan;                ///< the plan (select: the candidate plans)
  std::vector<BibleScanText> recent;    ///< oldest first: the last one is nearest the point
  std::vector<BibleScanText> retrieved; ///< best first; only memories of text before the point
};

/// An entry for the prompt.
struct BiblePick {
  std::size_t entry = 0;
  std::string name;
  std::string reason;   ///< "alias Anya in the plan"
  std::string text;     ///< what the model reads
  bool always = false;  ///< include: always (its loss is reported to the writer)
  bool related = false; ///< came in through a related link
  bool cut = false;     ///< longer than the per-entry cap: shortened
};

/// A candidate left out before the budget.
struct BibleLeftOut {
  std::size_t entry = 0;
  std::string name;
  std::string reason; ///< how it came up ("Ana in paragraph 3")
  std::string why;    ///< "include: never"
};

struct BibleSelection {
  std::vector<BiblePick> picks; ///< in priority order, highest first
  std::vector<BibleLeftOut> leftOut;
};

struct BibleSelectOptions {
  std::size_t maxRelated = 4; ///< related entries added in all (one level)
  int entryTokens = 300;      ///< cap on one entry's text
};

/// The reason text of an `always` entry.
inline constexpr const char *kBibleAlwaysReason = "always";

BibleSelection selectBibleEntries(const BibleContext &context, const BibleScanInput &input,
                                  const BibleSelectOptions &options = {});

/// One entry as the model reads it at the context's point, at most `maxTokens` (description cut first, then
/// the whole; `cut` says so). Never the Notes.
std::string renderBibleEntry(const BibleContext &context, std::size_t entry, int maxTokens,
                             bool *cut = nullptr);

} // namespace recurrent::engine
