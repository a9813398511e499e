// CoWriter: co-writing in the editor. Builds the co-writing features over one Services (the open
// books, the pool, the writing job's life), registers their methods and commands, and passes them
// the document events.
//
// The features, one file each, only translate between LSP and the engine:
//   Continue          recurrent.continue (the next paragraph, streamed into the document)
//   GhostText         textDocument/inlineCompletion, recurrent.acceptInline
//   Plans             code actions and lenses, suggestPlans, setPlans, setShortTermMemory, undoStep
//   StoryCommands     newStory, adopt, makeBook, newChapter
//   ContinuityCheck   recurrent.check, and the check after a step or a save
//   BibleExtraction   recurrent.extractBibleEntries with a model
//   MemoryViews       workspace/symbol, recurrent/storyState, bookOutline, lastPrompt, hover summaries
// The memory's upkeep (Indexing.cpp) and the undo of a vanished step (StepUndo.cpp) are the Services'.
// The surface is docs/LSP.md; command arguments are typed in protocol/Commands.h.
//
// Thread-safety: main strand only; the features' pool jobs post their results back to it.
#pragma once

#include "protocol/LspEditing.h"
#include "server/BibleExtraction.h"
#include "server/Continue.h"
#include "server/ContinuityCheck.h"
#include "server/GhostText.h"
#include "server/HandlerTable.h"
#include "server/MemoryViews.h"
#include "server/Plans.h"
#include "server/Services.h"
#include "server/StoryCommands.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::server {

class LspServer;

/// workspace/didChangeWatchedFiles: the URIs of the files created, changed or deleted.
struct WatchedFilesParams {
  std::vector<std::string> uris;
};
bool fromJson(const protocol::json &v, WatchedFilesParams &out, const std::string &path,
              protocol::ParseIssue &issue);

class CoWriter {
public:
  using Options = Services::Options;

  CoWriter(LspServer &server, Options options);
  ~CoWriter();
  CoWriter(const CoWriter &) = delete;
  CoWriter &operator=(const CoWriter &) = delete;

  /// Registers the co-writing methods in the server's table.
  void bind(HandlerTable &table);
  /// Capabilities to merge into the initialize result.
  protocol::json capabilities() const;

  // Document events, from the server (main strand).
  void documentOpened(const std::string &uri);
  void documentChanged(const std::string &uri);
  void documentClosed(const std::string &uri);
  void documentSaved(const std::string &uri) { check_.saved(uri); }
  void settingsChanged();
  /// Called by HandlerTable when a notification's params do not parse.
  void reportBadNotification(const std::string &method, const protocol::ParseIssue &issue);

  /// The editor applied a bible rename in `book`: the story's short-term memory, plans and summaries follow.
  void nameRenamed(const engine::BookLayout &book, const std::string &oldName, const std::string &newName);
  /// The long-term memory summary of a paragraph (for hover), if indexed.
  std::optional<std::string> summaryFor(const std::string &uri, std::size_t paragraph) const {
    return views_.summaryFor(uri, paragraph);
  }
  /// Stops pool work (cancels running jobs) before the server exits.
  void shutdown();

private:
  void onExecuteCommand(const protocol::ExecuteCommandParams &params, ReplyOnce reply);
  /// workspace/symbol searches every story's memory: once each is open.
  void onWorkspaceSymbol(const protocol::WorkspaceSymbolParams &params, ReplyOnce reply);
  void onWatchedFilesChanged(const WatchedFilesParams &params);
  /// nameRenamed for a story with none of its chapters open: its state is opened for the rename alone.
  void renameInClosedBook(const engine::BookLayout &book, const std::string &oldName, const std::string &newName);

  /// Adds the command `name`: its `arguments[0]` parsed as Args (InvalidParams naming the bad field),
  /// run once the settings are known and while its document is open.
  template <typename Args, typename Feature>
  void command(const char *name, Feature &feature, void (Feature::*run)(const Args &, ReplyOnce));
  /// Registers `method`, answered by `run` once the document's book is open (Workspace::whenOpen).
  template <typename Params, typename Feature>
  void requestOnBook(HandlerTable &table, const char *method, Feature &feature,
                     void (Feature::*run)(const Params &, ReplyOnce));

  Services services_;
  ContinuityCheck check_;
  ContinueFeature continue_;
  GhostTextFeature ghostText_;
  PlansFeature plans_;
  StoryCommands story_;
  BibleExtraction extraction_;
  MemoryViews views_;
  std::map<std::string, std::function<void(const protocol::json &, ReplyOnce)>> commands_;
};

} // namespace recurrent::server
