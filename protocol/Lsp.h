// The LSP types the server speaks: plain structs with LSP's field names, and free to_json/fromJson.
//
// Serialisers omit absent optionals (nlohmann would write null). Parsers never throw: fromJson
// returns false and records the path of the first bad field (`textDocument.uri: expected a string`)
// so the server can answer InvalidParams naming it. Only the fields the server uses are modelled;
// unknown fields are ignored. Thread-safe (plain values and pure functions).
#pragma once

#include "protocol/Encoding.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::protocol {

using json = nlohmann::json;

/// Where parsing failed: the dotted path of the field and what was wrong with it.
struct ParseIssue {
  std::string path;
  std::string problem;
  std::string describe() const { return path.empty() ? problem : path + ": " + problem; }
};

/// Reads the fields of one JSON object into a struct, clangd ObjectMapper style.
class FieldReader {
public:
  FieldReader(const json &value, std::string path, ParseIssue &issue);
  explicit operator bool() const { return ok_; }
  template <typename T> bool required(const char *name, T &out);
  template <typename T> bool optional(const char *name, std::optional<T> &out);
  /// A field whose absence leaves `out` at its default.
  template <typename T> bool withDefault(const char *name, T &out);
  /// The raw value of a field, or null.
  const json &raw(const char *name) const;
  std::string childPath(const char *name) const { return path_.empty() ? name : path_ + "." + name; }

private:
  const json &value_;
  std::string path_;
  ParseIssue &issue_;
  bool ok_ = true;
};

bool fromJson(const json &v, std::string &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, bool &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, std::int64_t &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, std::uint32_t &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, int &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, double &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, json &out, const std::string &path, ParseIssue &issue);
template <typename T>
bool fromJson(const json &v, std::vector<T> &out, const std::string &path, ParseIssue &issue) {
  if (!v.is_array()) {
    issue = {path, "expected an array"};
    return false;
  }
  out.clear();
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    T item{};
    if (!fromJson(v[i], item, path + "[" + std::to_string(i) + "]", issue))
      return false;
    out.push_back(std::move(item));
  }
  return true;
}

template <typename T> bool FieldReader::required(const char *name, T &out) {
  if (!ok_)
    return false;
  auto it = value_.find(name);
  if (it == value_.end() || it->is_null()) {
    issue_ = {childPath(name), "missing"};
    return ok_ = false;
  }
  return ok_ = fromJson(*it, out, childPath(name), issue_);
}
template <typename T> bool FieldReader::optional(const char *name, std::optional<T> &out) {
  if (!ok_)
    return false;
  auto it = value_.find(name);
  if (it == value_.end() || it->is_null()) {
    out.reset();
    return true;
  }
  T v{};
  if (!fromJson(*it, v, childPath(name), issue_))
    return ok_ = false;
  out = std::move(v);
  return true;
}
template <typename T> bool FieldReader::withDefault(const char *name, T &out) {
  if (!ok_)
    return false;
  auto it = value_.find(name);
  if (it == value_.end() || it->is_null())
    return true;
  return ok_ = fromJson(*it, out, childPath(name), issue_);
}

/// Parses `params` into T; on failure `issue` names the field.
template <typename T> bool parseParams(const json &params, T &out, ParseIssue &issue) {
  return fromJson(params, out, "", issue);
}

// --- Basic structures ------------------------------------------------------------------------

struct Position {
  std::uint32_t line = 0;
  std::uint32_t character = 0; ///< in the negotiated position encoding's units
  bool operator==(const Position &) const = default;
};
struct Range {
  Position start, end;
  bool operator==(const Range &) const = default;
};
struct Location {
  std::string uri;
  Range range;
};
struct TextDocumentIdentifier {
  std::string uri;
};
struct VersionedTextDocumentIdentifier {
  std::string uri;
  std::int64_t version = 0;
};
struct TextDocumentItem {
  std::string uri;
  std::string languageId;
  std::int64_t version = 0;
  std::string text;
};
struct TextDocumentPositionParams {
  TextDocumentIdentifier textDocument;
  Position position;
};

void to_json(json &j, const Position &p);
void to_json(json &j, const Range &r);
void to_json(json &j, const Location &l);
bool fromJson(const json &v, Position &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, Range &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, TextDocumentIdentifier &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, VersionedTextDocumentIdentifier &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, TextDocumentItem &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, TextDocumentPositionParams &out, const std::string &path, ParseIssue &issue);

// --- Lifecycle -------------------------------------------------------------------------------

/// The client capabilities the server acts on.
struct ClientCapabilities {
  std::vector<std::string> positionEncodings; ///< general.positionEncodings, in preference order
  bool workspaceConfiguration = false;        ///< workspace.configuration
  bool didChangeConfigurationDynamic = false;
  bool workDoneProgress = false;              ///< window.workDoneProgress
  bool hierarchicalDocumentSymbols = false;   ///< textDocument.documentSymbol.hierarchicalDocumentSymbolSupport
  bool lineFoldingOnly = false;               ///< textDocument.foldingRange.lineFoldingOnly
  std::vector<std::string> hoverContentFormat; ///< textDocument.hover.contentFormat
  bool applyEdit = false;                     ///< workspace.applyEdit
  bool showDocument = false;                  ///< window.showDocument.support
  bool didChangeWatchedFilesDynamic = false;  ///< workspace.didChangeWatchedFiles.dynamicRegistration
  bool documentChanges = false;               ///< workspace.workspaceEdit.documentChanges
  bool changeAnnotations = false;             ///< workspace.workspaceEdit.changeAnnotationSupport
  bool createFiles = false;                   ///< workspace.workspaceEdit.resourceOperations has "create"
  bool codeLensRefresh = false;               ///< workspace.codeLens.refreshSupport
  bool diagnosticCodeDescription = false;     ///< textDocument.publishDiagnostics.codeDescriptionSupport
  bool pullDiagnostics = false;               ///< textDocument.diagnostic: the client pulls open documents'
  bool diagnosticRefresh = false;             ///< workspace.diagnostics.refreshSupport
};
struct ClientInfo {
  std::string name;
  std::optional<std::string> version;
};
struct InitializeParams {
  std::optional<std::int64_t> processId;
  std::optional<ClientInfo> clientInfo;
  std::optional<std::string> rootUri;
  ClientCapabilities capabilities;
  std::optional<json> initializationOptions;
  std::optional<std::string> trace; ///< "off" | "messages" | "verbose"
};
bool fromJson(const json &v, ClientInfo &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, ClientCapabilities &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, InitializeParams &out, const std::string &path, ParseIssue &issue);

struct SetTraceParams {
  std::string value;
};
bool fromJson(const json &v, SetTraceParams &out, const std::string &path, ParseIssue &issue);

struct CancelParams {
  json id; ///< integer or string
};
bool fromJson(const json &v, CancelParams &out, const std::string &path, ParseIssue &issue);

// --- Documents -------------------------------------------------------------------------------

struct DidOpenTextDocumentParams {
  TextDocumentItem textDocument;
};
struct TextDocumentContentChangeEvent {
  std::optional<Range> range; ///< absent: `text` replaces the whole document
  std::string text;
};
struct DidChangeTextDocumentParams {
  VersionedTextDocumentIdentifier textDocument;
  std::vector<TextDocumentContentChangeEvent> contentChanges;
};
struct DidCloseTextDocumentParams {
  TextDocumentIdentifier textDocument;
};
struct DidSaveTextDocumentParams {
  TextDocumentIdentifier textDocument;
  std::optional<std::string> text;
};
struct DidChangeConfigurationParams {
  json settings;
};
bool fromJson(const json &v, DidOpenTextDocumentParams &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, TextDocumentContentChangeEvent &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, DidChangeTextDocumentParams &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, DidCloseTextDocumentParams &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, DidSaveTextDocumentParams &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, DidChangeConfigurationParams &out, const std::string &path, ParseIssue &issue);

// --- Features --------------------------------------------------------------------------------

struct DocumentSymbolParams {
  TextDocumentIdentifier textDocument;
};
struct FoldingRangeParams {
  TextDocumentIdentifier textDocument;
};
using HoverParams = TextDocumentPositionParams;
/// textDocument/diagnostic: the document (identifier and previousResultId are not used: every answer is full).
using DocumentDiagnosticParams = DocumentSymbolParams;
bool fromJson(const json &v, DocumentSymbolParams &out, const std::string &path, ParseIssue &issue);
bool fromJson(const json &v, FoldingRangeParams &out, const std::string &path, ParseIssue &issue);

enum class SymbolKind { File = 1, Module = 2, Namespace = 3, Package = 4, Class = 5, String = 15, Object = 19, Key = 20, Event = 24 };
struct DocumentSymbol {
  std::string name;
  std::optional<std::string> detail;
  SymbolKind kind = SymbolKind::Namespace;
  Range range;
  Range selectionRange;
  std::vector<DocumentSymbol> children;
};
void to_json(json &j, const DocumentSymbol &s);

struct FoldingRange {
  std::uint32_t startLine = 0;
  std::uint32_t endLine = 0;
  std::optional<std::string> kind; ///< "comment" | "imports" | "region"
  std::optional<std::string> collapsedText;
};
void to_json(json &j, const FoldingRange &f);

struct MarkupContent {
  std::string kind = "markdown"; ///< "plaintext" | "markdown"
  std::string value;
};
struct Hover {
  MarkupContent contents;
  std::optional<Range> range;
};
void to_json(json &j, const MarkupContent &m);
void to_json(json &j, const Hover &h);

// --- Window and workspace (server to client) -----------------------------------------------

enum class MessageType { Error = 1, Warning = 2, Info = 3, Log = 4 };
struct LogMessageParams {
  MessageType type = MessageType::Info;
  std::string message;
};
void to_json(json &j, const LogMessageParams &p);

struct ConfigurationItem {
  std::optional<std::string> scopeUri;
  std::optional<std::string> section;
};
struct ConfigurationParams {
  std::vector<ConfigurationItem> items;
};
void to_json(json &j, const ConfigurationItem &i);
void to_json(json &j, const ConfigurationParams &p);

/// $/progress values: kind "begin" | "report" | "end".
struct WorkDoneProgress {
  std::string kind;
  std::optional<std::string> title;
  std::optional<std::string> message;
  std::optional<std::uint32_t> percentage;
  std::optional<bool> cancellable;
};
void to_json(json &j, const WorkDoneProgress &p);

} // namespace recurrent::protocol
