// LSP types for the editing features: code actions, code lenses, inline completion, workspace
// symbols, commands, and the server-to-client edit and message requests.
//
// Same conventions as Lsp.h: LSP's field names, free fromJson (naming the bad field) and
// hand-written to_json that omits absent optionals. Plain values; no thread-safety concerns.
#pragma once

#include "protocol/Lsp.h"

#include <optional>
#include <string>
#include <vector>

namespace recurrent::protocol {

struct Command {
  std::string title;
  std::string command;
  std::optional<json> arguments; ///< an array
};
void to_json(json &j, const Command &c);

struct TextEdit {
  Range range;
  std::string newText;
};
void to_json(json &j, const TextEdit &e);

/// `WorkspaceEdit` with `changes` only (every client supports it).
struct WorkspaceEdit {
  std::string uri;
  std::vector<TextEdit> edits;
};
void to_json(json &j, const WorkspaceEdit &e);

struct ApplyWorkspaceEditParams {
  std::optional<std::string> label;
  WorkspaceEdit edit;
};
void to_json(json &j, const ApplyWorkspaceEditParams &p);
struct ApplyWorkspaceEditResult {
  bool applied = false;
  std::optional<std::string> failureReason;
};
bool fromJson(const json &v, ApplyWorkspaceEditResult &out, const std::string &path, ParseIssue &issue);

struct ShowMessageParams {
  MessageType type = MessageType::Info;
  std::string message;
};
void to_json(json &j, const ShowMessageParams &p);

struct ExecuteCommandParams {
  std::string command;
  std::vector<json> arguments;
};
bool fromJson(const json &v, ExecuteCommandParams &out, const std::string &path, ParseIssue &issue);

struct CodeActionParams {
  TextDocumentIdentifier textDocument;
  Range range;
};
bool fromJson(const json &v, CodeActionParams &out, const std::string &path, ParseIssue &issue);
struct CodeAction {
  std::string title;
  std::optional<std::string> kind;
  std::optional<Command> command;
};
void to_json(json &j, const CodeAction &a);

struct CodeLensParams {
  TextDocumentIdentifier textDocument;
};
bool fromJson(const json &v, CodeLensParams &out, const std::string &path, ParseIssue &issue);
struct CodeLens {
  Range range;
  std::optional<Command> command;
};
void to_json(json &j, const CodeLens &l);

/// LSP 3.18 `textDocument/inlineCompletion`.
struct InlineCompletionParams {
  TextDocumentIdentifier textDocument;
  Position position;
  int triggerKind = 1; ///< context.triggerKind: 1 Invoked, 2 Automatic
};
bool fromJson(const json &v, InlineCompletionParams &out, const std::string &path, ParseIssue &issue);
struct InlineCompletionItem {
  std::string insertText;
  std::optional<Range> range;
  std::optional<Command> command;
};
void to_json(json &j, const InlineCompletionItem &i);

struct WorkspaceSymbolParams {
  std::string query;
};
bool fromJson(const json &v, WorkspaceSymbolParams &out, const std::string &path, ParseIssue &issue);
struct SymbolInformation {
  std::string name;
  SymbolKind kind = SymbolKind::String;
  std::string uri;
  Range range;
  std::optional<std::string> containerName;
};
void to_json(json &j, const SymbolInformation &s);

} // namespace recurrent::protocol
