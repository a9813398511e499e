#include "engine/bible/BiblePrompt.h"

#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/story/TokenBudget.h"

#include <algorithm>

namespace recurrent::engine {

namespace {

/// "alias Anya in the plan": how a mention names its entry, and where.
std::string mentionReason(const BibleEntry &entry, const Mention &m, std::string_view text,
                          std::string_view where) {
  std::string found(text.substr(m.begin, m.end - m.begin));
  std::string how;
  switch (m.via) {
  case Mention::Via::Name:
    how = found;
    break;
  case Mention::Via::Alias:
    how = "alias " + found;
    break;
  case Mention::Via::Key:
    how = "key " + found;
    break;
  }
  if (m.via == Mention::Via::Name && found != entry.name)
    how = entry.name + " (as " + found + ")";
  return how + " in " + std::string(where);
}

class Selector {
public:
  Selector(const BibleContext &context, const BibleSelectOptions &options)
      : context_(context), bible_(*context.bible), options_(options), state_(bible_.entries.size()) {}

  void always() {
    for (std::size_t i = 0; i < bible_.entries.size(); ++i)
      if (bible_.entries[i].include == BibleInclude::Always)
        pick(i, kBibleAlwaysReason, false);
  }

  /// Mentions in `text`, nearest-first when `backwards`.
  void mentionsIn(std::string_view text, std::string_view where, bool backwards) {
    if (text.empty() || !context_.names)
      return;
    auto found = context_.names->scan(text);
    if (backwards)
      std::reverse(found.begin(), found.end());
    for (const auto &m : found) {
      if (m.excluded || m.entry >= bible_.entries.size())
        continue;
      const auto &e = bible_.entries[m.entry];
      std::string reason = mentionReason(e, m, text, where);
      switch (e.include) {
      case BibleInclude::Always: // already in
      case BibleInclude::Mentioned:
        pick(m.entry, std::move(reason), false);
        break;
      case BibleInclude::Never:
        leaveOut(m.entry, std::move(reason), "include: never");
        break;
      case BibleInclude::Related:
        leaveOut(m.entry, std::move(reason),
                 "include: related (only through an included entry's related list)");
        break;
      }
    }
  }

  /// One level of `related` entries of what is picked so far.
  void related() {
    std::size_t added = 0;
    const std::size_t direct = picks_.size();
    for (std::size_t p = 0; p < direct; ++p) {
      const auto &from = bible_.entries[picks_[p].entry];
      for (const auto &name : from.related) {
        auto target = bible_.find(name);
        if (!target || state_[*target] == State::Picked)
          continue;
        std::string reason = "related to " + from.name;
        if (bible_.entries[*target].include == BibleInclude::Never) {
          leaveOut(*target, std::move(reason), "include: never");
          continue;
        }
        if (added == options_.maxRelated) {
          leaveOut(*target, std::move(reason),
                   "over the limit of " + std::to_string(options_.maxRelated) + " related entries");
          continue;
        }
        pick(*target, std::move(reason), true);
        ++added;
      }
    }
  }

  BibleSelection finish() {
    BibleSelection out;
    out.picks = std::move(picks_);
    for (auto &l : leftOut_)
      if (state_[l.entry] != State::Picked)
        out.leftOut.push_back(std::move(l));
    return out;
  }

private:
  enum class State { None, Picked, LeftOut };

  void pick(std::size_t entry, std::string reason, bool viaRelation) {
    if (state_[entry] == State::Picked)
      return;
    state_[entry] = State::Picked;
    BiblePick p;
    p.entry = entry;
    p.name = bible_.entries[entry].name;
    p.reason = std::move(reason);
    p.always = bible_.entries[entry].include == BibleInclude::Always;
    p.related = viaRelation;
    p.text = renderBibleEntry(context_, entry, options_.entryTokens, &p.cut);
    picks_.push_back(std::move(p));
  }

  void leaveOut(std::size_t entry, std::string reason, std::string why) {
    if (state_[entry] != State::None)
      return;
    state_[entry] = State::LeftOut;
    leftOut_.push_back({entry, bible_.entries[entry].name, std::move(reason), std::move(why)});
  }

  const BibleContext &context_;
  const Bible &bible_;
  BibleSelectOptions options_;
  std::vector<State> state_;
  std::vector<BiblePick> picks_;
  std::vector<BibleLeftOut> leftOut_;
};

} // namespace

BibleSelection selectBibleEntries(const BibleContext &context, const BibleScanInput &input,
                                  const BibleSelectOptions &options) {
  if (!context.bible || context.bible->entries.empty())
    return {};
  Selector s(context, options);
  s.always();
  s.mentionsIn(input.plan, "the plan", false);
  for (auto it = input.recent.rbegin(); it != input.recent.rend(); ++it)
    s.mentionsIn(it->text, it->label, true);
  for (const auto &r : input.retrieved)
    s.mentionsIn(r.text, "the memory of " + r.label, false);
  s.related();
  return s.finish();
}

std::string renderBibleEntry(const BibleContext &context, std::size_t entry, int maxTokens, bool *cut) {
  if (cut)
    *cut = false;
  const Bible &bible = *context.bible;
  const auto &e = bible.entries.at(entry);
  EntryState at;
  if (context.facts) {
    at = context.facts->at(bible, entry, context.chapter, context.offset);
  } else {
    at.description = e.description;
    at.details = e.details;
  }
  std::string head = e.name + " (" + bibleEntryTypeName(e.type) + ")";
  std::string tail;
  for (const auto &d : at.details)
    tail += "\n- " + d.key + ": " + d.value;
  for (const auto &f : at.facts)
    tail += "\n- " + f.text;
  auto whole = [&](std::string_view description) {
    return head + (description.empty() ? "" : ": " + std::string(description)) + tail;
  };
  std::string text = whole(at.description);
  if (estimateTokens(text) <= maxTokens)
    return text;
  if (cut)
    *cut = true;
  // The description goes first: details and facts are what keeps the story consistent.
  int room = maxTokens - estimateTokens(whole({})) - 2;
  if (room >= 16)
    return whole(cutToTokens(at.description, room));
  return cutToTokens(text, maxTokens);
}

} // namespace recurrent::engine
