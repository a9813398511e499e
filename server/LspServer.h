// LspServer: the language server's core: lifecycle, dispatch, outgoing calls, documents, settings.
//
// Threads: one reader thread blocks in Transport::read(), parses each body and posts it to the main
// strand (an asio io_context run by the thread that calls run()); `$/cancelRequest` is also applied
// by the reader at once, so requests still queued behind slow work are skipped with -32800. All
// handlers run on the main strand. One Writer thread serialises output. Slow work (the model, the
// index) will go to a small pool and reply through ReplyOnce from there.
//
// Thread-safety: run() once; post(), notify(), call() and logToClient() from any thread; everything
// else (handlers, documents(), settings) on the main strand only.
#pragma once

#include "protocol/JsonRpc.h"
#include "protocol/Lsp.h"
#include "server/BibleFeatures.h"
#include "server/CoWriter.h"
#include "server/DocumentStore.h"
#include "server/HandlerTable.h"
#include "server/ParentWatch.h"
#include "server/Settings.h"
#include "server/Transport.h"
#include "server/Writer.h"

#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace recurrent::server {

class LspServer {
public:
  struct Options {
    std::size_t maxPendingCalls = 100;   ///< server→client calls awaiting a reply; the oldest is failed beyond
    protocol::ParseLimits parseLimits;   ///< JSON nesting cap
    std::string serverVersion = "0.1.0";
    CoWriter::Options coWriter;          ///< co-writing: debounce, workers, environment
  };
  /// The reply to a server→client call: a result, or the client's error (or ours, if it never came).
  using CallCallback = std::function<void(std::optional<json> result, std::optional<protocol::ResponseError> error)>;

  LspServer(Transport &transport, Options options);
  ~LspServer();
  LspServer(const LspServer &) = delete;
  LspServer &operator=(const LspServer &) = delete;

  /// Serves until `exit` or the end of input. Returns the process exit code: 0 after shutdown+exit
  /// or at the end of input, 1 for `exit` without `shutdown`.
  int run();

  /// Runs `fn` on the main strand.
  void post(std::function<void()> fn);
  /// The main strand's context, for timers (main strand only).
  asio::io_context &ioContext() { return io_; }
  void notify(const std::string &method, const json &params);
  /// Sends a server→client request; `callback` runs on the main strand.
  void call(const std::string &method, const json &params, CallCallback callback);
  /// window/logMessage, mirrored in the server log.
  void logToClient(protocol::MessageType type, const std::string &message);

  // Main strand only.
  const protocol::ClientCapabilities &clientCapabilities() const { return client_; }
  protocol::PositionEncoding positionEncoding() const { return encoding_; }
  const DocumentStore &documents() const { return documents_; }
  /// Settings for a document (its scoped settings if the client gave some, else the global ones).
  const Settings &settingsFor(const std::string &uri) const;
  const Settings &globalSettings() const { return globalSettings_; }
  /// Runs `fn` once every workspace/configuration asked so far is answered (now, if none is out):
  /// a command sent right after didOpen must not run with the defaults instead of the writer's model.
  void whenSettingsKnown(std::function<void()> fn);
  BibleFeatures &bible() { return *bible_; }
  /// Called by HandlerTable when a notification's params do not parse.
  void reportBadNotification(const std::string &method, const protocol::ParseIssue &issue);

private:
  enum class State { Uninitialized, Initializing, Running, ShutDown };

  void bindMethods();
  void readLoop();
  void onInbound(protocol::Message message);
  void dispatchRequest(protocol::Request request);
  void dispatchNotification(const protocol::Notification &notification);
  void dispatchResponse(protocol::Response response);
  ReplyOnce makeReply(const protocol::Request &request);
  void sendReply(const protocol::RequestId &id, std::optional<json> result,
                 std::optional<protocol::ResponseError> error);
  void finish(int exitCode);
  void trace(const std::string &message);

  // Lifecycle.
  void onInitialize(const protocol::InitializeParams &params, ReplyOnce reply);
  void onInitialized(const NoParams &);
  void onShutdown(const NoParams &, ReplyOnce reply);
  void onExit(const NoParams &);
  void onSetTrace(const protocol::SetTraceParams &params);
  void onCancelRequest(const protocol::CancelParams &params);
  void onProgressCancel(const RawParams &params);
  // Documents and settings.
  void onDidOpen(const protocol::DidOpenTextDocumentParams &params);
  void onDidChange(const protocol::DidChangeTextDocumentParams &params);
  void onDidClose(const protocol::DidCloseTextDocumentParams &params);
  void onDidSave(const protocol::DidSaveTextDocumentParams &params);
  void onDidChangeConfiguration(const protocol::DidChangeConfigurationParams &params);
  void pullSettings(std::optional<std::string> scopeUri);
  void storeSettings(const std::optional<std::string> &scopeUri, const json &section);
  // Features (server/Features.cpp).
  void onDocumentSymbol(const protocol::DocumentSymbolParams &params, ReplyOnce reply);
  void onFoldingRange(const protocol::FoldingRangeParams &params, ReplyOnce reply);
  void onHover(const protocol::HoverParams &params, ReplyOnce reply);
  const Document *documentOrError(const std::string &uri, ReplyOnce &reply);

  Transport &transport_;
  Options options_;
  Writer writer_;
  HandlerTable handlers_;

  State state_ = State::Uninitialized;
  int exitCode_ = 0;
  bool finished_ = false;
  protocol::ClientCapabilities client_;
  protocol::PositionEncoding encoding_ = protocol::PositionEncoding::Utf16;
  std::string trace_ = "off";
  DocumentStore documents_;
  Settings globalSettings_;
  std::map<std::string, Settings> documentSettings_;
  std::size_t settingsPending_ = 0;                   ///< workspace/configuration calls unanswered
  std::vector<std::function<void()>> afterSettings_; ///< what waits for them

  /// Requests read but not yet answered (filled by the reader, so a cancel can overtake the queue).
  std::mutex cancelMutex_;
  std::map<protocol::RequestId, CancelSource> inFlight_;

  std::mutex callMutex_;
  std::int64_t nextCallId_ = 1;
  std::map<std::int64_t, std::pair<std::string, CallCallback>> pendingCalls_; ///< id → (method, callback)

public:
  /// Progress tokens the client may cancel (`window/workDoneProgress/cancel`); see Progress.h.
  std::map<std::string, CancelSource> &progressTokens() { return progressTokens_; }
  std::int64_t nextProgressId() { return nextProgressId_++; }

private:
  std::map<std::string, CancelSource> progressTokens_;
  std::int64_t nextProgressId_ = 1;
  /// Exits when the editor is gone (processId from initialize); reset before io_ goes.
  std::unique_ptr<ParentWatch> parentWatch_;
  /// The story bible's navigation; reset in ~LspServer, before the strand its timers use.
  std::unique_ptr<BibleFeatures> bible_;
  /// Declared last: destroyed first, while the strand and the documents it reads still exist.
  std::unique_ptr<CoWriter> coWriter_;
  /// Destroyed before every other member (~LspServer resets coWriter_ first): handlers still queued
  /// when run() returns may hold a ReplyOnce whose destructor answers through inFlight_ and writer_.
  asio::io_context io_;
};

} // namespace recurrent::server
