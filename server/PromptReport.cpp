#include "server/PromptReport.h"

#include "engine/story/CallLog.h"

namespace recurrent::server {
using nlohmann::json;

json budgetJson(const engine::BudgetReport &report) {
  return json::parse(engine::budgetReportJson(report));
}

protocol::PromptBible promptBible(const engine::BudgetReport &report) {
  protocol::PromptBible bible;
  for (const auto &i : report.included)
    if (i.kind == engine::SourceKind::BibleEntry)
      bible.included.push_back({i.label, i.reason, i.tokens, std::nullopt});
  for (const auto &i : report.trimmed)
    if (i.kind == engine::SourceKind::BibleEntry && !i.truncated)
      bible.leftOut.push_back({i.label, i.reason, std::nullopt, i.cutReason});
  return bible;
}

} // namespace recurrent::server
