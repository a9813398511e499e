// What a prompt held, as `recurrent/lastPrompt` shows it: the budget, and the story bible's entries with
// reasons.
//
// `budget`: {limit, reservedForAnswer, used, included, trimmed} (engine::budgetReportJson), each item {kind,
// label, tokens, truncated, reason?, cutReason?}. `bible`: {included: [{name, reason, tokens}], leftOut:
// [{name, reason, why}]}: every entry the prompt got and why ("alias Anya in the plan"), and every candidate
// left out and why ("include: never", "over the story bible's share of the prompt (25%, 1600 tokens)").
//
// Thread-safety: pure functions.
#pragma once

#include "engine/story/TokenBudget.h"
#include "protocol/Results.h"

namespace recurrent::server {

protocol::json budgetJson(const engine::BudgetReport &report);
protocol::PromptBible promptBible(const engine::BudgetReport &report);

} // namespace recurrent::server
