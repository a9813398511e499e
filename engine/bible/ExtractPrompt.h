// "Extract bible entries from this chapter" with a model: one request for a chapter, one parser for its entries.
//
// The prompt holds the chapter's text (cut at its end to fit the context, and then it says so) and the names the
// bible already has, so the model does not repeat them; the answer is `{"entries": [{name, type, aliases,
// description}]}`. The parser trusts none of it: an entry whose name and aliases all miss the chapter is dropped
// (invented), as is one the bible has (name or alias, case-insensitive) or one already given; an alias not in the
// chapter is dropped; an unknown type is `other`; descriptions are cut to two sentences; at most `limit` entries.
// Offline there is no such call: the candidates come from NameCandidates.
//
// Pure functions; thread-safe.
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/llm/ChatModel.h"
#include "support/Error.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

struct ExtractRequestInput {
  std::string language;                ///< the story's language (empty: English)
  std::string chapterName;             ///< "03-harbour.md", for the prompt
  std::string chapterText;
  std::vector<std::string> knownNames; ///< the bible's names and aliases
  std::size_t limit = 10;              ///< entries asked for at most
  int contextTokens = 8192;
  int answerTokens = 1200;
};

struct ExtractRequest {
  ChatRequest request;                 ///< task "extract", schema "bible_entries"
  bool cut = false;                    ///< the chapter did not fit: only its beginning was sent
  std::size_t sentBytes = 0;           ///< of the chapter's text
};

/// Fails when the context cannot hold the instructions and some of the chapter.
Result<ExtractRequest> makeExtractRequest(const ExtractRequestInput &in);

struct ExtractedEntry {
  std::string name;
  BibleEntryType type = BibleEntryType::Other;
  std::vector<std::string> aliases;
  std::string description;             ///< at most two sentences; may be empty
};

struct ExtractedEntries {
  std::vector<ExtractedEntry> entries;
  std::size_t dropped = 0;             ///< entries left out: invented, known, repeated, blank, over the limit
};

/// The entries of an answer (a <think> block and text around the JSON are tolerated). BadAnswer when there is no
/// object with an `entries` array.
Result<ExtractedEntries> parseExtractAnswer(std::string_view answer, std::string_view chapterText,
                                            const std::vector<std::string> &knownNames, std::size_t limit);

} // namespace recurrent::engine
