// SummaryCost: asking the writer before indexing (or a long continuity check) spends a paid model's tokens.
//
// A big paste or adopting a long book summarises every new paragraph: with a paid model that is
// money. Above a threshold (`recurrent.confirmSummariesAbove`), the server asks first with
// `window/showMessageRequest` (the count and the estimated tokens); declining sends nothing.
// Thread-safety: askToSummarise runs on the main strand.
#pragma once

#include "engine/book/Book.h"

#include <cstddef>
#include <functional>
#include <string>

namespace recurrent::server {

class LspServer;

using engine::SummaryEstimate; // engine::Book::estimateSummaries: the CLI and the server count alike

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
