// Gathers what a prompt may include from the story: recent text, retrieved memories, earlier chapters.
//
// The one place where the manuscript-dependent sources of a prompt are collected (the
// state's own sources, short-term memory, plan and outline, come with the StoryState):
//   - recent text: the paragraphs before the cursor in the book's one manuscript, so a
//     continuation at the top of chapter N reaches back into the end of chapter N-1;
//   - retrieved memories: the long-term memory's best matches for the plan over the
//     whole book, excluding the paragraphs already in the prompt as recent text;
//   - "previously": one-paragraph summaries of the chapters before the cursor's
//     (a folder book's, given by the caller), newest last; the prompt builder drops the
//     earliest first when the budget is short.
// For a one-file story "previously" is empty and the prompt is what it always was.
// The prompt builder (Prompts, TokenBudget) decides what fits.
//
// Thread-safety: pure functions of their inputs (the memory is internally synchronised).
#pragma once

#include "engine/manuscript/Manuscript.h"
#include "engine/story/Prompts.h"
#include "support/Cancellation.h"
#include "support/Error.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::engine {

class LongTermMemory;

struct ContextRequest {
  std::optional<std::size_t> cursor;  ///< byte offset in the manuscript; none: its end
  std::string query;                  ///< what to retrieve memories for (the plan); empty: none
  int recentParagraphs = 3;
  std::size_t topK = 3;
  /// Also skip memories this close to a recent paragraph (they share its words, not news).
  std::size_t excludeAround = 2;
  std::vector<ContextParagraph> previously; ///< earlier chapters' summaries, oldest first
};

struct StoryContext {
  std::vector<ContextParagraph> recent;      ///< oldest first
  std::vector<std::size_t> recentParagraphs; ///< their indices in the manuscript
  std::size_t insertAt = 0;                  ///< where a new paragraph goes (after the cursor's paragraph)
  std::vector<ContextParagraph> retrieved;   ///< best first
  std::vector<std::size_t> retrievedParagraphs; ///< the manuscript paragraph each summarises
  std::vector<ContextParagraph> previously;  ///< oldest first
};

/// "paragraph 12" for the 0-based index 11: how prompts label a manuscript paragraph.
std::string paragraphLabel(std::size_t index);

/// The recent paragraphs before the cursor and where the next paragraph goes.
StoryContext recentContext(const Manuscript &manuscript, std::optional<std::size_t> cursor, int recentParagraphs);

/// All sources: recent text, then (when `memory` holds entries and the query is not
/// empty) retrieved memories, then the caller's "previously". Fails only when retrieval fails.
Result<StoryContext> gatherContext(const Manuscript &manuscript, const LongTermMemory *memory,
                                   const ContextRequest &request, const CancelToken &cancel);

} // namespace recurrent::engine
