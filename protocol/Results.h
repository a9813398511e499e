// The results of recurrent's commands and custom requests, and its status notification (docs/LSP.md), as
// typed structs with to_json.
//
// The handlers fill these instead of building JSON by hand, so a result's shape is written down once,
// beside its documentation, and unit-tested. Serialisers omit absent optionals. Thread-safe (plain values
// and pure functions).
#pragma once

#include "protocol/Lsp.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::protocol {

/// recurrent.newStory.
struct NewStoryResult {
  std::string title;
};

/// recurrent.adopt and recurrent.makeBook.
struct AdoptResult {
  std::uint64_t paragraphs = 0;
  std::vector<std::string> plans;
};

/// recurrent.newChapter: the new file, and its path relative to the book.
struct NewChapterResult {
  std::string uri, file;
};

/// recurrent.continue.
struct ContinueResult {
  std::int64_t step = 0;
  std::uint64_t words = 0; ///< of the text the editor applied
};

/// recurrent.suggestPlans and recurrent.setPlans.
struct PlansResult {
  std::vector<std::string> plans;
};

/// recurrent.undoStep and recurrent.acceptInline: the step counter afterwards.
struct StepResult {
  std::int64_t step = 0;
};

/// recurrent.check.
struct CheckResult {
  std::uint64_t findings = 0, paragraphs = 0, fromCache = 0, calls = 0, dropped = 0;
  bool cancelled = false;
  std::optional<bool> offline; ///< true: the offline checks ran, no model was asked
};

/// recurrent.extractBibleEntries: the names of the new entries and their files.
struct ExtractResult {
  std::vector<std::string> added, files;
};

struct BookChapterView {
  std::string uri, file, title; ///< `file`: relative to the book's root
  std::uint64_t paragraphs = 0, words = 0;
  std::optional<std::string> summary; ///< recurrent/bookOutline only
};

/// A book's chapters: `book` of recurrent/storyState, and recurrent/bookOutline.
struct BookView {
  std::string root;
  bool folder = false;
  std::vector<BookChapterView> chapters;
};

struct StoryCounts {
  std::uint64_t paragraphs = 0, memoryEntries = 0, words = 0, chapters = 0;
};

/// recurrent/storyState. A file that is not a story has only `adopted: false`, `step`, `plans`,
/// `shortTermMemory`, `counts`, the job flags and `bibleFile`; the story's fields are written when adopted.
struct StoryStateResult {
  bool adopted = false;
  bool bibleFile = false; ///< an entry file of a story bible: the book's notes, never a story
  std::string title, genre, language, mode;
  std::int64_t step = 0;
  std::string shortTermMemory, rationale, outline;
  std::vector<std::string> plans;
  StoryCounts counts;
  std::string provider, model;
  bool offline = false, busy = false, indexing = false, readOnly = false;
  std::optional<std::string> readOnlyReason;
  std::string statePath;
  std::optional<BookView> book;
};

struct PromptMessage {
  std::string role, content;
};

/// A story bible entry in a prompt, or left out of it, and why.
struct PromptBibleEntry {
  std::string name, reason;
  std::optional<std::int64_t> tokens; ///< included entries
  std::optional<std::string> why;     ///< left-out entries: why they were left out
};

struct PromptBible {
  std::vector<PromptBibleEntry> included, leftOut;
};

/// recurrent/lastPrompt (null before the first call).
struct LastPromptResult {
  std::string task;
  std::vector<PromptMessage> messages;
  std::string answer, error, model, time;
  std::optional<std::string> reasoning; ///< a reasoning model's thinking, apart from the answer
  std::int64_t promptTokens = 0, completionTokens = 0, attempts = 0;
  double seconds = 0;
  std::optional<json> budget; ///< the engine's budget report, as calls.jsonl has it
  std::optional<PromptBible> bible;
};

struct BibleDetail {
  std::string key, value;
};

/// A fact of the bible true at the point, and where it was written.
struct BibleFact {
  std::string text, file;
  std::uint32_t line = 0;
};

struct BibleEntryAt {
  std::string name, type, include, description;
  std::vector<std::string> aliases;
  std::vector<BibleDetail> details;
  std::vector<BibleFact> facts;
  std::uint64_t mentions = 0;
  Location location;             ///< the entry in its file
  std::optional<Location> first; ///< its first mention in the book
};

/// recurrent/bibleAt: every entry as true at a point, and those named in the paragraph there.
struct BibleAtResult {
  std::string folder;
  std::vector<std::string> here;
  std::vector<BibleEntryAt> entries;
};

/// The recurrent/status notification, for a status bar.
struct StatusParams {
  std::string uri;
  std::string state; ///< idle, indexing, writing, updating, checking
  std::optional<std::string> provider, model, message;
  std::optional<std::uint64_t> memoryEntries;
  std::optional<std::int64_t> step;
};

void to_json(json &j, const NewStoryResult &r);
void to_json(json &j, const AdoptResult &r);
void to_json(json &j, const NewChapterResult &r);
void to_json(json &j, const ContinueResult &r);
void to_json(json &j, const PlansResult &r);
void to_json(json &j, const StepResult &r);
void to_json(json &j, const CheckResult &r);
void to_json(json &j, const ExtractResult &r);
void to_json(json &j, const BookChapterView &c);
void to_json(json &j, const BookView &b);
void to_json(json &j, const StoryCounts &c);
void to_json(json &j, const StoryStateResult &s);
void to_json(json &j, const PromptMessage &m);
void to_json(json &j, const PromptBibleEntry &e);
void to_json(json &j, const PromptBible &b);
void to_json(json &j, const LastPromptResult &r);
void to_json(json &j, const BibleDetail &d);
void to_json(json &j, const BibleFact &f);
void to_json(json &j, const BibleEntryAt &e);
void to_json(json &j, const BibleAtResult &r);
void to_json(json &j, const StatusParams &p);

} // namespace recurrent::protocol
