#include "protocol/Commands.h"

namespace recurrent::protocol {

namespace {

/// Every command's object starts with the document it acts on.
bool objectWithUri(const json &v, const std::string &path, ParseIssue &issue, FieldReader &o, std::string &uri) {
  if (!v.is_object()) {
    issue = {path, "expected an object with the document's uri"};
    return false;
  }
  return o.required("uri", uri);
}

} // namespace

bool fromJson(const json &v, UriArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri);
}

bool fromJson(const json &v, ContinueArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.optional("position", out.position) &&
         o.withDefault("plan", out.plan) && o.optional("planIndex", out.planIndex);
}

bool fromJson(const json &v, NewStoryArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.withDefault("genre", out.genre) &&
         o.withDefault("topic", out.topic) && o.withDefault("premise", out.premise) &&
         o.withDefault("language", out.language) && o.withDefault("mode", out.mode);
}

bool fromJson(const json &v, AdoptArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.withDefault("genre", out.genre) &&
         o.withDefault("language", out.language) && o.withDefault("mode", out.mode);
}

bool fromJson(const json &v, NewChapterArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.withDefault("title", out.title);
}

bool fromJson(const json &v, UndoStepArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.optional("step", out.step);
}

bool fromJson(const json &v, AcceptInlineArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.required("id", out.id);
}

bool fromJson(const json &v, SetPlansArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  if (!objectWithUri(v, path, issue, o, out.uri) || !o.required("plans", out.plans))
    return false;
  if (out.plans.empty()) {
    issue = {o.childPath("plans"), "expected a non-empty array of strings"};
    return false;
  }
  return true;
}

bool fromJson(const json &v, SetShortTermMemoryArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.required("text", out.text);
}

bool fromJson(const json &v, CheckArgs &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return objectWithUri(v, path, issue, o, out.uri) && o.withDefault("scope", out.scope) &&
         o.optional("position", out.position) && o.optional("range", out.range);
}

bool commandObject(const std::vector<json> &arguments, const json *&out, ParseIssue &issue) {
  if (arguments.empty()) {
    issue = {"arguments", "expected one object, {uri, ...}"};
    return false;
  }
  out = &arguments[0];
  return true;
}

} // namespace recurrent::protocol
