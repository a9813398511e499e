#include "protocol/Results.h"

namespace recurrent::protocol {

namespace {

/// Writes an optional field only when it has a value (nlohmann would write null).
template <typename T> void putIf(json &j, const char *name, const std::optional<T> &value) {
  if (value)
    j[name] = *value;
}

} // namespace

void to_json(json &j, const NewStoryResult &r) { j = json{{"title", r.title}}; }
void to_json(json &j, const AdoptResult &r) { j = json{{"paragraphs", r.paragraphs}, {"plans", r.plans}}; }
void to_json(json &j, const NewChapterResult &r) { j = json{{"uri", r.uri}, {"file", r.file}}; }
void to_json(json &j, const ContinueResult &r) { j = json{{"step", r.step}, {"words", r.words}}; }
void to_json(json &j, const PlansResult &r) { j = json{{"plans", r.plans}}; }
void to_json(json &j, const StepResult &r) { j = json{{"step", r.step}}; }

void to_json(json &j, const CheckResult &r) {
  j = json{{"findings", r.findings}, {"paragraphs", r.paragraphs}, {"fromCache", r.fromCache},
           {"calls", r.calls},       {"dropped", r.dropped},       {"cancelled", r.cancelled}};
  putIf(j, "offline", r.offline);
}

void to_json(json &j, const ExtractResult &r) { j = json{{"added", r.added}, {"files", r.files}}; }

void to_json(json &j, const BookChapterView &c) {
  j = json{{"uri", c.uri}, {"file", c.file}, {"title", c.title}, {"paragraphs", c.paragraphs}, {"words", c.words}};
  putIf(j, "summary", c.summary);
}

void to_json(json &j, const BookView &b) { j = json{{"root", b.root}, {"folder", b.folder}, {"chapters", b.chapters}}; }

void to_json(json &j, const StoryCounts &c) {
  j = json{{"paragraphs", c.paragraphs}, {"memoryEntries", c.memoryEntries}, {"words", c.words}, {"chapters", c.chapters}};
}

void to_json(json &j, const StoryStateResult &s) {
  j = json{{"adopted", s.adopted},   {"step", s.step},       {"plans", s.plans},
           {"shortTermMemory", s.shortTermMemory}, {"counts", s.counts}, {"busy", s.busy},
           {"indexing", s.indexing}, {"readOnly", s.readOnly}, {"bibleFile", s.bibleFile}};
  if (!s.adopted)
    return;
  j.update(json{{"title", s.title},
                {"genre", s.genre},
                {"language", s.language},
                {"mode", s.mode},
                {"rationale", s.rationale},
                {"outline", s.outline},
                {"provider", s.provider},
                {"model", s.model},
                {"offline", s.offline},
                {"statePath", s.statePath}});
  putIf(j, "readOnlyReason", s.readOnlyReason);
  putIf(j, "book", s.book);
}

void to_json(json &j, const PromptMessage &m) { j = json{{"role", m.role}, {"content", m.content}}; }

void to_json(json &j, const PromptBibleEntry &e) {
  j = json{{"name", e.name}, {"reason", e.reason}};
  putIf(j, "tokens", e.tokens);
  putIf(j, "why", e.why);
}

void to_json(json &j, const PromptBible &b) { j = json{{"included", b.included}, {"leftOut", b.leftOut}}; }

void to_json(json &j, const LastPromptResult &r) {
  j = json{{"task", r.task},
           {"messages", r.messages},
           {"answer", r.answer},
           {"error", r.error},
           {"model", r.model},
           {"promptTokens", r.promptTokens},
           {"completionTokens", r.completionTokens},
           {"attempts", r.attempts},
           {"seconds", r.seconds},
           {"time", r.time}};
  putIf(j, "reasoning", r.reasoning);
  putIf(j, "budget", r.budget);
  putIf(j, "bible", r.bible);
}

void to_json(json &j, const BibleDetail &d) { j = json{{"key", d.key}, {"value", d.value}}; }
void to_json(json &j, const BibleFact &f) { j = json{{"text", f.text}, {"file", f.file}, {"line", f.line}}; }

void to_json(json &j, const BibleEntryAt &e) {
  j = json{{"name", e.name},
           {"type", e.type},
           {"aliases", e.aliases},
           {"include", e.include},
           {"description", e.description},
           {"details", e.details},
           {"facts", e.facts},
           {"mentions", e.mentions},
           {"location", e.location}};
  putIf(j, "first", e.first);
}

void to_json(json &j, const BibleAtResult &r) { j = json{{"folder", r.folder}, {"entries", r.entries}, {"here", r.here}}; }

void to_json(json &j, const StatusParams &p) {
  j = json{{"uri", p.uri}, {"state", p.state}};
  putIf(j, "provider", p.provider);
  putIf(j, "model", p.model);
  putIf(j, "memoryEntries", p.memoryEntries);
  putIf(j, "step", p.step);
  putIf(j, "message", p.message);
}

} // namespace recurrent::protocol
