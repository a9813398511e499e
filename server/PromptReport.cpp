#include "server/PromptReport.h"

#include "engine/story/CallLog.h"

namespace recurrent::server {
using nlohmann::json;

json budgetJson(const engine::BudgetReport &report) {
  return json::parse(engine::budgetReportJson(report));
}

json bibleJson(const engine::BudgetReport &report) {
  json included = json::array(), leftOut = json::array();
  for (const auto &i : report.included)
    if (i.kind == engine::SourceKind::BibleEntry)
      included.push_back({{"name", i.label}, {"reason", i.reason}, {"tokens", i.tokens}});
  for (const auto &i : report.trimmed)
    if (i.kind == engine::SourceKind::BibleEntry && !i.truncated)
      leftOut.push_back({{"name", i.label}, {"reason", i.reason}, {"why", i.cutReason}});
  return {{"included", included}, {"leftOut", leftOut}};
}

} // namespace recurrent::server
