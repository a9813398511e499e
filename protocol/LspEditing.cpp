// Serialisation of the editing types (see LspEditing.h).
#include "protocol/LspEditing.h"

namespace recurrent::protocol {

void to_json(json &j, const Command &c) {
  j = json{{"title", c.title}, {"command", c.command}};
  if (c.arguments)
    j["arguments"] = *c.arguments;
}

void to_json(json &j, const TextEdit &e) { j = json{{"range", e.range}, {"newText", e.newText}}; }

void to_json(json &j, const WorkspaceEdit &e) { j = json{{"changes", json{{e.uri, e.edits}}}}; }

void to_json(json &j, const ApplyWorkspaceEditParams &p) {
  j = json{{"edit", p.edit}};
  if (p.label)
    j["label"] = *p.label;
}

bool fromJson(const json &v, ApplyWorkspaceEditResult &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("applied", out.applied) && o.optional("failureReason", out.failureReason);
}

void to_json(json &j, const ShowMessageParams &p) {
  j = json{{"type", static_cast<int>(p.type)}, {"message", p.message}};
}

bool fromJson(const json &v, ExecuteCommandParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("command", out.command) && o.withDefault("arguments", out.arguments);
}

bool fromJson(const json &v, CodeActionParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument) && o.required("range", out.range);
}

void to_json(json &j, const CodeAction &a) {
  j = json{{"title", a.title}};
  if (a.kind)
    j["kind"] = *a.kind;
  if (a.command)
    j["command"] = *a.command;
}

bool fromJson(const json &v, CodeLensParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument);
}

void to_json(json &j, const CodeLens &l) {
  j = json{{"range", l.range}};
  if (l.command)
    j["command"] = *l.command;
}

bool fromJson(const json &v, InlineCompletionParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  if (!(o.required("textDocument", out.textDocument) && o.required("position", out.position)))
    return false;
  const json &context = o.raw("context");
  if (context.is_object() && context.contains("triggerKind")) {
    if (!fromJson(context["triggerKind"], out.triggerKind, o.childPath("context") + ".triggerKind", issue))
      return false;
  }
  return true;
}

void to_json(json &j, const InlineCompletionItem &i) {
  j = json{{"insertText", i.insertText}};
  if (i.range)
    j["range"] = *i.range;
  if (i.command)
    j["command"] = *i.command;
}

bool fromJson(const json &v, WorkspaceSymbolParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("query", out.query);
}

void to_json(json &j, const SymbolInformation &s) {
  j = json{{"name", s.name},
           {"kind", static_cast<int>(s.kind)},
           {"location", json{{"uri", s.uri}, {"range", s.range}}}};
  if (s.containerName)
    j["containerName"] = *s.containerName;
}

} // namespace recurrent::protocol
