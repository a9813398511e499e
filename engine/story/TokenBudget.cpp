#include "engine/story/TokenBudget.h"

#include "support/Utf8.h"

#include <algorithm>
#include <map>

namespace recurrent::engine {

namespace {
constexpr int kMessageFraming = 4;
} // namespace

int estimateTokens(std::string_view text) {
  long ascii = 0, cjk = 0, other = 0;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = utf8::next(text, i);
    if (cp < 0x80)
      ++ascii;
    else if (utf8::isCjk(cp) || utf8::isCjkPunctuation(cp))
      ++cjk;
    else
      ++other;
  }
  return static_cast<int>((ascii + 3) / 4 + cjk + (other + 1) / 2);
}

int estimateTokens(const std::vector<ChatMessage> &messages) {
  int total = 3; // the reply's priming
  for (const auto &m : messages)
    total += kMessageFraming + estimateTokens(m.content);
  return total;
}

const char *sourceKindName(SourceKind kind) {
  switch (kind) {
  case SourceKind::ShortTermMemory: return "short-term memory";
  case SourceKind::Plan: return "plan";
  case SourceKind::Outline: return "outline";
  case SourceKind::Synopsis: return "synopsis";
  case SourceKind::RecentText: return "recent text";
  case SourceKind::RetrievedMemory: return "retrieved memory";
  case SourceKind::BibleEntry: return "story bible";
  case SourceKind::Material: return "material";
  case SourceKind::ChapterSummary: return "chapter summary";
  }
  return "material";
}

PromptBuilder::PromptBuilder(Options options) : options_(options) {}

std::string cutToTokens(std::string_view text, int tokens, bool keepTail) {
  if (tokens <= 0)
    return {};
  // Shrink by bytes until the estimate fits; estimates are monotone in length.
  std::size_t lo = 0, hi = text.size();
  while (lo < hi) {
    std::size_t mid = (lo + hi + 1) / 2;
    auto piece = keepTail ? utf8::suffixBytes(text, mid) : utf8::prefixBytes(text, mid);
    if (estimateTokens(piece) + 1 <= tokens)
      lo = mid;
    else
      hi = mid - 1;
  }
  std::string_view piece = keepTail ? utf8::suffixBytes(text, lo) : utf8::prefixBytes(text, lo);
  if (keepTail) {
    auto space = piece.find_first_of(" \n");
    if (space != std::string_view::npos && space < 40 && space + 1 < piece.size())
      piece.remove_prefix(space + 1);
    return "…" + std::string(piece);
  }
  auto space = piece.find_last_of(" \n");
  if (space != std::string_view::npos && piece.size() - space < 40 && space > 0)
    piece = piece.substr(0, space);
  return std::string(piece) + "…";
}

Result<BuiltPrompt> PromptBuilder::build() const {
  const int limit = options_.contextTokens;
  const int available = limit - options_.answerTokens;

  // Sections in order of first appearance; each source keeps its own (possibly cut) text.
  std::vector<std::string> sectionOrder;
  for (const auto &s : sources_)
    if (std::find(sectionOrder.begin(), sectionOrder.end(), s.section) == sectionOrder.end())
      sectionOrder.push_back(s.section);

  const std::size_t n = sources_.size();
  std::vector<std::string> texts;
  std::vector<bool> kept(n, true), truncated(n, false);
  std::vector<int> costs(n);
  for (std::size_t i = 0; i < n; ++i) {
    texts.push_back(sources_[i].text);
    costs[i] = estimateTokens(texts[i]) + 1; // + the blank line between items
  }

  auto render = [&] {
    std::string user = preamble_;
    for (const auto &section : sectionOrder) {
      std::string body;
      for (std::size_t i = 0; i < n; ++i) {
        if (!kept[i] || sources_[i].section != section || texts[i].empty())
          continue;
        if (!body.empty())
          body += "\n\n";
        body += texts[i];
      }
      if (body.empty())
        continue;
      if (!user.empty())
        user += "\n\n";
      user += "## " + section + "\n\n" + body;
    }
    if (!instructions_.empty()) {
      if (!user.empty())
        user += "\n\n";
      user += instructions_;
    }
    std::vector<ChatMessage> messages;
    if (!system_.empty())
      messages.push_back({"system", system_});
    messages.push_back({"user", std::move(user)});
    return messages;
  };

  // The estimate is additive (and, with per-item rounding up, never below the estimate of
  // the rendered whole), so trimming works on sums and renders once.
  const int fixed = estimateTokens(std::vector<ChatMessage>{{"system", system_}, {"user", preamble_ + instructions_}}) +
                    schemaTokens_ + 2;
  std::vector<int> sectionHeading, keptInSection(sectionOrder.size(), 0);
  std::vector<std::size_t> sectionOf(n);
  for (const auto &section : sectionOrder)
    sectionHeading.push_back(estimateTokens("## " + section) + 2);
  int used = fixed;
  for (std::size_t i = 0; i < n; ++i) {
    sectionOf[i] = static_cast<std::size_t>(
        std::find(sectionOrder.begin(), sectionOrder.end(), sources_[i].section) - sectionOrder.begin());
    if (keptInSection[sectionOf[i]]++ == 0)
      used += sectionHeading[sectionOf[i]];
    used += costs[i];
  }

  std::vector<std::string> cutReasons(n);
  // Droppable sources, lowest priority first (later-added first on ties).
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n; ++i)
    if (sources_[i].trim == Trim::Drop)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (sources_[a].priority != sources_[b].priority)
      return sources_[a].priority < sources_[b].priority;
    return a > b;
  });
  auto drop = [&](std::size_t victim, const std::string &why) {
    kept[victim] = false;
    cutReasons[victim] = why;
    used -= costs[victim];
    if (--keptInSection[sectionOf[victim]] == 0)
      used -= sectionHeading[sectionOf[victim]];
  };
  // 1. Kinds over their own cap give up their lowest sources first.
  for (const auto &cap : caps_) {
    int kindUsed = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (sources_[i].kind == cap.kind)
        kindUsed += costs[i];
    for (std::size_t victim : order) {
      if (kindUsed <= cap.tokens)
        break;
      if (sources_[victim].kind != cap.kind || !kept[victim])
        continue;
      kindUsed -= costs[victim];
      drop(victim, cap.why);
    }
  }
  // 2. Drop droppable sources until the prompt fits.
  for (std::size_t victim : order) {
    if (used <= available)
      break;
    if (kept[victim])
      drop(victim, "the prompt was full");
  }
  // 3. Cut truncatable sources, the largest first, until the prompt fits.
  while (used > available) {
    int victim = -1;
    for (std::size_t i = 0; i < n; ++i) {
      bool cuttable = sources_[i].trim == Trim::KeepHead || sources_[i].trim == Trim::KeepTail;
      if (!kept[i] || !cuttable || truncated[i] || costs[i] < 64)
        continue;
      if (victim < 0 || costs[i] > costs[victim])
        victim = static_cast<int>(i);
    }
    if (victim < 0)
      break;
    int target = std::max(48, costs[victim] - (used - available) - 8);
    texts[victim] = cutToTokens(sources_[victim].text, target, sources_[victim].trim == Trim::KeepTail);
    truncated[victim] = true;
    int newCost = estimateTokens(texts[victim]) + 1;
    used -= costs[victim] - newCost;
    costs[victim] = newCost;
  }
  auto messages = render();
  used = std::max(used, estimateTokens(messages) + schemaTokens_);
  if (used > available) {
    return Error{ErrorKind::Config,
                 "the prompt's essentials need about " + std::to_string(used) + " tokens, but only " +
                     std::to_string(std::max(0, available)) + " fit (context " + std::to_string(limit) + " minus " +
                     std::to_string(options_.answerTokens) +
                     " kept for the answer): raise --context-tokens (recurrent.contextTokens) or shorten the "
                     "short-term memory"};
  }

  BuiltPrompt out;
  out.messages = std::move(messages);
  out.report.limit = limit;
  out.report.reservedForAnswer = options_.answerTokens;
  out.report.used = used;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    std::string label = sources_[i].label.empty() ? sources_[i].section : sources_[i].label;
    int whole = estimateTokens(sources_[i].text);
    const std::string &reason = sources_[i].reason;
    if (!kept[i]) {
      out.report.trimmed.push_back({sources_[i].kind, label, whole, false, reason, cutReasons[i]});
      continue;
    }
    int tokens = estimateTokens(texts[i]);
    out.report.included.push_back({sources_[i].kind, label, tokens, truncated[i], reason, {}});
    if (truncated[i])
      out.report.trimmed.push_back({sources_[i].kind, label, whole - tokens, true, reason, "cut to fit the prompt"});
  }
  for (const auto &item : leftOut_)
    out.report.trimmed.push_back(item);
  return out;
}

} // namespace recurrent::engine
