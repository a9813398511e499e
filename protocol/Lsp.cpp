// Serialisation of the LSP types (see Lsp.h).
#include "protocol/Lsp.h"

#include <algorithm>
#include <limits>

namespace recurrent::protocol {
namespace {

const json &nullJson() {
  static const json kNull;
  return kNull;
}

bool expectObject(const json &v, const std::string &path, ParseIssue &issue) {
  if (v.is_object())
    return true;
  issue = {path, "expected an object"};
  return false;
}

/// Follows a path of object keys; null when any step is missing.
const json &dig(const json &v, std::initializer_list<const char *> keys) {
  const json *cur = &v;
  for (const char *k : keys) {
    if (!cur->is_object())
      return nullJson();
    auto it = cur->find(k);
    if (it == cur->end())
      return nullJson();
    cur = &*it;
  }
  return *cur;
}

bool digBool(const json &v, std::initializer_list<const char *> keys) {
  const json &b = dig(v, keys);
  return b.is_boolean() && b.get<bool>();
}

} // namespace

FieldReader::FieldReader(const json &value, std::string path, ParseIssue &issue)
    : value_(value), path_(std::move(path)), issue_(issue) {
  ok_ = expectObject(value, path_, issue);
}

const json &FieldReader::raw(const char *name) const {
  if (!value_.is_object())
    return nullJson();
  auto it = value_.find(name);
  return it == value_.end() ? nullJson() : *it;
}

bool fromJson(const json &v, std::string &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_string()) {
    issue = {path, "expected a string"};
    return false;
  }
  out = v.get<std::string>();
  return true;
}
bool fromJson(const json &v, bool &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_boolean()) {
    issue = {path, "expected a boolean"};
    return false;
  }
  out = v.get<bool>();
  return true;
}
bool fromJson(const json &v, std::int64_t &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_number_integer()) {
    issue = {path, "expected an integer"};
    return false;
  }
  out = v.get<std::int64_t>();
  return true;
}
bool fromJson(const json &v, std::uint32_t &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
      v.get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
    issue = {path, "expected a non-negative integer"};
    return false;
  }
  out = static_cast<std::uint32_t>(v.get<std::int64_t>());
  return true;
}
bool fromJson(const json &v, int &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < std::numeric_limits<int>::min() ||
      v.get<std::int64_t>() > std::numeric_limits<int>::max()) {
    issue = {path, "expected an integer"};
    return false;
  }
  out = v.get<int>();
  return true;
}
bool fromJson(const json &v, double &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_number()) {
    issue = {path, "expected a number"};
    return false;
  }
  out = v.get<double>();
  return true;
}
bool fromJson(const json &v, json &out, const std::string &, ParseIssue &) {
  out = v;
  return true;
}

void to_json(json &j, const Position &p) { j = json{{"line", p.line}, {"character", p.character}}; }
void to_json(json &j, const Range &r) { j = json{{"start", r.start}, {"end", r.end}}; }

bool fromJson(const json &v, Position &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("line", out.line) && o.required("character", out.character);
}

void to_json(json &j, const Location &l) { j = json{{"uri", l.uri}, {"range", l.range}}; }
bool fromJson(const json &v, Range &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("start", out.start) && o.required("end", out.end);
}
bool fromJson(const json &v, TextDocumentIdentifier &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("uri", out.uri);
}
bool fromJson(const json &v, VersionedTextDocumentIdentifier &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("uri", out.uri) && o.required("version", out.version);
}
bool fromJson(const json &v, TextDocumentItem &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("uri", out.uri) && o.withDefault("languageId", out.languageId) &&
         o.required("version", out.version) && o.required("text", out.text);
}
bool fromJson(const json &v, TextDocumentPositionParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument) && o.required("position", out.position);
}

bool fromJson(const json &v, ClientInfo &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("name", out.name) && o.optional("version", out.version);
}

bool fromJson(const json &v, ClientCapabilities &out, const std::string &path, ParseIssue &issue) {
  if (!expectObject(v, path, issue))
    return false;
  // Capabilities are read leniently: a malformed capability means "not supported".
  if (const json &encodings = dig(v, {"general", "positionEncodings"}); encodings.is_array())
    for (const auto &e : encodings)
      if (e.is_string())
        out.positionEncodings.push_back(e.get<std::string>());
  out.workspaceConfiguration = digBool(v, {"workspace", "configuration"});
  out.didChangeConfigurationDynamic = digBool(v, {"workspace", "didChangeConfiguration", "dynamicRegistration"});
  out.workDoneProgress = digBool(v, {"window", "workDoneProgress"});
  out.hierarchicalDocumentSymbols =
      digBool(v, {"textDocument", "documentSymbol", "hierarchicalDocumentSymbolSupport"});
  out.lineFoldingOnly = digBool(v, {"textDocument", "foldingRange", "lineFoldingOnly"});
  if (const json &formats = dig(v, {"textDocument", "hover", "contentFormat"}); formats.is_array())
    for (const auto &f : formats)
      if (f.is_string())
        out.hoverContentFormat.push_back(f.get<std::string>());
  out.applyEdit = digBool(v, {"workspace", "applyEdit"});
  out.showDocument = digBool(v, {"window", "showDocument", "support"});
  out.didChangeWatchedFilesDynamic = digBool(v, {"workspace", "didChangeWatchedFiles", "dynamicRegistration"});
  out.documentChanges = digBool(v, {"workspace", "workspaceEdit", "documentChanges"});
  out.changeAnnotations = dig(v, {"workspace", "workspaceEdit", "changeAnnotationSupport"}).is_object();
  if (const json &ops = dig(v, {"workspace", "workspaceEdit", "resourceOperations"}); ops.is_array())
    out.createFiles = std::find(ops.begin(), ops.end(), "create") != ops.end();
  out.codeLensRefresh = digBool(v, {"workspace", "codeLens", "refreshSupport"});
  out.diagnosticCodeDescription = digBool(v, {"textDocument", "publishDiagnostics", "codeDescriptionSupport"});
  out.pullDiagnostics = dig(v, {"textDocument", "diagnostic"}).is_object();
  out.diagnosticRefresh = digBool(v, {"workspace", "diagnostics", "refreshSupport"});
  return true;
}

bool fromJson(const json &v, InitializeParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  if (!o)
    return false;
  const json &pid = o.raw("processId");
  if (!pid.is_null() && !o.optional("processId", out.processId))
    return false;
  return o.optional("clientInfo", out.clientInfo) && o.optional("rootUri", out.rootUri) &&
         o.withDefault("capabilities", out.capabilities) &&
         o.optional("initializationOptions", out.initializationOptions) && o.optional("trace", out.trace);
}

bool fromJson(const json &v, SetTraceParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("value", out.value);
}

bool fromJson(const json &v, CancelParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  if (!o.required("id", out.id))
    return false;
  if (!out.id.is_number_integer() && !out.id.is_string()) {
    issue = {o.childPath("id"), "expected an integer or a string"};
    return false;
  }
  return true;
}

bool fromJson(const json &v, DidOpenTextDocumentParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument);
}
bool fromJson(const json &v, TextDocumentContentChangeEvent &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.optional("range", out.range) && o.required("text", out.text);
}
bool fromJson(const json &v, DidChangeTextDocumentParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument) && o.required("contentChanges", out.contentChanges);
}
bool fromJson(const json &v, DidCloseTextDocumentParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument);
}
bool fromJson(const json &v, DidSaveTextDocumentParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument) && o.optional("text", out.text);
}
bool fromJson(const json &v, DidChangeConfigurationParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.withDefault("settings", out.settings);
}
bool fromJson(const json &v, DocumentSymbolParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument);
}
bool fromJson(const json &v, FoldingRangeParams &out, const std::string &path, ParseIssue &issue) {
  FieldReader o(v, path, issue);
  return o.required("textDocument", out.textDocument);
}

void to_json(json &j, const DocumentSymbol &s) {
  j = json{{"name", s.name},
           {"kind", static_cast<int>(s.kind)},
           {"range", s.range},
           {"selectionRange", s.selectionRange}};
  if (s.detail)
    j["detail"] = *s.detail;
  if (!s.children.empty())
    j["children"] = s.children;
}

void to_json(json &j, const FoldingRange &f) {
  j = json{{"startLine", f.startLine}, {"endLine", f.endLine}};
  if (f.kind)
    j["kind"] = *f.kind;
  if (f.collapsedText)
    j["collapsedText"] = *f.collapsedText;
}

void to_json(json &j, const MarkupContent &m) { j = json{{"kind", m.kind}, {"value", m.value}}; }
void to_json(json &j, const Hover &h) {
  j = json{{"contents", h.contents}};
  if (h.range)
    j["range"] = *h.range;
}

void to_json(json &j, const LogMessageParams &p) {
  j = json{{"type", static_cast<int>(p.type)}, {"message", p.message}};
}

void to_json(json &j, const ConfigurationItem &i) {
  j = json::object();
  if (i.scopeUri)
    j["scopeUri"] = *i.scopeUri;
  if (i.section)
    j["section"] = *i.section;
}
void to_json(json &j, const ConfigurationParams &p) { j = json{{"items", p.items}}; }

void to_json(json &j, const WorkDoneProgress &p) {
  j = json{{"kind", p.kind}};
  if (p.title)
    j["title"] = *p.title;
  if (p.message)
    j["message"] = *p.message;
  if (p.percentage)
    j["percentage"] = *p.percentage;
  if (p.cancellable)
    j["cancellable"] = *p.cancellable;
}

} // namespace recurrent::protocol
