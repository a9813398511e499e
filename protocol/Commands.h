// The arguments of recurrent's workspace/executeCommand commands (docs/LSP.md), as typed structs.
//
// Each command takes one object, `arguments[0]`. Its parser names the first bad field
// (`arguments[0].planIndex: expected an integer`) so the server answers InvalidParams that say
// what to fix. Thread-safe (plain values and pure functions).
#pragma once

#include "protocol/Lsp.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::protocol {

inline constexpr const char *kContinueCommand = "recurrent.continue";
inline constexpr const char *kNewStoryCommand = "recurrent.newStory";
inline constexpr const char *kAdoptCommand = "recurrent.adopt";
inline constexpr const char *kMakeBookCommand = "recurrent.makeBook";
inline constexpr const char *kNewChapterCommand = "recurrent.newChapter";
inline constexpr const char *kSuggestPlansCommand = "recurrent.suggestPlans";
inline constexpr const char *kUndoStepCommand = "recurrent.undoStep";
inline constexpr const char *kAcceptInlineCommand = "recurrent.acceptInline";
inline constexpr const char *kSetPlansCommand = "recurrent.setPlans";
inline constexpr const char *kSetShortTermMemoryCommand = "recurrent.setShortTermMemory";
inline constexpr const char *kCheckCommand = "recurrent.check";

/// `{uri}`: suggestPlans, extractBibleEntries.
struct UriArgs {
  std::string uri;
};

/// recurrent.continue: the plan is `plan` (free text), else plan `planIndex`, else the plan comment at
/// `position`, else the first plan.
struct ContinueArgs {
  std::string uri;
  std::optional<Position> position;
  std::string plan;
  std::optional<std::int64_t> planIndex;
};

/// recurrent.newStory: a topic or a premise is needed (checked by the command, which says so).
struct NewStoryArgs {
  std::string uri, genre, topic, premise, language, mode;
};

/// recurrent.adopt and recurrent.makeBook.
struct AdoptArgs {
  std::string uri, genre, language, mode;
};

/// recurrent.newChapter: `title` (optional) names the file and its heading.
struct NewChapterArgs {
  std::string uri, title;
};

/// recurrent.undoStep: with `step`, only while that is still the last step (an answer to an old offer).
struct UndoStepArgs {
  std::string uri;
  std::optional<std::int64_t> step;
};

/// recurrent.acceptInline: the id of the ghost text on offer.
struct AcceptInlineArgs {
  std::string uri;
  std::int64_t id = 0;
};

struct SetPlansArgs {
  std::string uri;
  std::vector<std::string> plans; ///< at least one
};

struct SetShortTermMemoryArgs {
  std::string uri, text;
};

/// recurrent.check: `scope` "paragraph" needs `position`, "selection" needs `range`.
struct CheckArgs {
  std::string uri;
  std::string scope = "chapter";
  std::optional<Position> position;
  std::optional<Range> range;
};

bool fromJson(const json &v, UriArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, ContinueArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, NewStoryArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, AdoptArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, NewChapterArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, UndoStepArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, AcceptInlineArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, SetPlansArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, SetShortTermMemoryArgs &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, CheckArgs &out, const std::string &path, ParseIssue &issue);

/// The object a command's `arguments` hold; false (with `issue`) when there is none.
bool commandObject(const std::vector<json> &arguments, const json *&out, ParseIssue &issue);

} // namespace recurrent::protocol
