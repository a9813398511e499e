// SummaryCost: what indexing would send to a paid model, and asking the writer before it (or a long
// continuity check) spends it.
//
// A big paste or adopting a long book summarises every new paragraph: with a paid model that is
// money. Above a threshold (`recurrent.confirmSummariesAbove`), the server asks first with
// `window/showMessageRequest` (the count and the estimated tokens); declining sends nothing.
// Thread-safety: estimateSummaries is pure (the memory is internally synchronised); askToSummarise
// runs on the main strand.
#pragma once

#include "engine/manuscript/Manuscript.h"
#include "engine/memory/LongTermMemory.h"

#include <cstddef>
#include <functional>
#include <string>

namespace recurrent::server {

class LspServer;

struct SummaryEstimate {
  std::size_t paragraphs = 0; ///< paragraphs with no summary for their text yet
  std::size_t tokens = 0;     ///< estimated prompt + answer tokens to summarise them
};

/// The paragraphs of `manuscript` the memory has no entry for (by text hash), and their cost.
SummaryEstimate estimateSummaries(const engine::LongTermMemory &memory, const engine::Manuscript &manuscript);

/// The accepting actions' titles (tests and clients match them).
inline constexpr const char *kSummariseAction = "Summarise";
inline constexpr const char *kCheckAction = "Check";

/// Asks `message` with the actions `action` and "Not now"; `answer(true)` only when the writer chose
/// `action` (a dismissed question or a client error is a no).
void askBeforeSpending(LspServer &server, const std::string &message, const std::string &action,
                       std::function<void(bool)> answer);

/// Asks whether to summarise `estimate.paragraphs` paragraphs of `file` with `model`; `answer(true)`
/// only when the writer chose kSummariseAction (a dismissed question or a client error is a no).
void askToSummarise(LspServer &server, const std::string &file, const std::string &model,
                    const SummaryEstimate &estimate, std::function<void(bool)> answer);

} // namespace recurrent::server
