// LspServer: lifecycle, dispatch, outgoing calls, documents and settings (see LspServer.h).
#include "server/LspServer.h"

#include "protocol/Uri.h"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include <thread>

namespace recurrent::server {

using protocol::ResponseError;

LspServer::LspServer(Transport &transport, Options options)
    : transport_(transport), options_(std::move(options)), writer_(transport),
      bible_(std::make_unique<BibleFeatures>(*this)), coWriter_(std::make_unique<CoWriter>(*this, options_.coWriter)) {
  bindMethods();
}

LspServer::~LspServer() {
  parentWatch_.reset();
  coWriter_.reset(); // joins its pool before the strand goes away
  bible_.reset();
  writer_.stop();
}

/// The feature list: every method the server answers, in one place.
void LspServer::bindMethods() {
  // Lifecycle.
  handlers_.request("initialize", this, &LspServer::onInitialize);
  handlers_.notification("initialized", this, &LspServer::onInitialized);
  handlers_.request("shutdown", this, &LspServer::onShutdown);
  handlers_.notification("exit", this, &LspServer::onExit);
  handlers_.notification("$/setTrace", this, &LspServer::onSetTrace);
  handlers_.notification("$/cancelRequest", this, &LspServer::onCancelRequest);
  handlers_.notification("window/workDoneProgress/cancel", this, &LspServer::onProgressCancel);
  // Documents and settings.
  handlers_.notification("textDocument/didOpen", this, &LspServer::onDidOpen);
  handlers_.notification("textDocument/didChange", this, &LspServer::onDidChange);
  handlers_.notification("textDocument/didClose", this, &LspServer::onDidClose);
  handlers_.notification("textDocument/didSave", this, &LspServer::onDidSave);
  handlers_.notification("workspace/didChangeConfiguration", this, &LspServer::onDidChangeConfiguration);
  // Features.
  handlers_.request("textDocument/documentSymbol", this, &LspServer::onDocumentSymbol);
  handlers_.request("textDocument/foldingRange", this, &LspServer::onFoldingRange);
  handlers_.request("textDocument/hover", this, &LspServer::onHover);
  // The story bible: definition, references, rename, highlights, bibleAt (hover above adds to it).
  bible_->bind(handlers_);
  bible_->renamed = [this](const engine::BookLayout &book, const std::string &from, const std::string &to) {
    coWriter_->nameRenamed(book, from, to);
  };
  // Co-writing: commands, code actions, code lenses, ghost text, memory search, story state.
  coWriter_->bind(handlers_);
}

int LspServer::run() {
  auto work = asio::make_work_guard(io_);
  std::thread reader([this] { readLoop(); });
  io_.run();
  transport_.close();
  reader.join();
  writer_.stop();
  return exitCode_;
}

void LspServer::post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

void LspServer::readLoop() {
  while (true) {
    Inbound in = transport_.read();
    if (in.kind == Inbound::Kind::End) {
      post([this] {
        if (!finished_) {
          spdlog::info("input ended; exiting");
          finish(0);
        }
      });
      return;
    }
    if (in.kind == Inbound::Kind::FramingError) {
      post([this, text = std::move(in.text)] {
        logToClient(protocol::MessageType::Error, "recurrent: bad input framing: " + text);
      });
      continue;
    }
    protocol::Message message = protocol::parseMessage(in.text, options_.parseLimits);
    if (auto *request = std::get_if<protocol::Request>(&message)) {
      std::lock_guard lock(cancelMutex_);
      inFlight_.try_emplace(request->id);
    } else if (auto *note = std::get_if<protocol::Notification>(&message);
               note && note->method == "$/cancelRequest") {
      // Applied here, not on the main strand, so it overtakes requests queued behind slow work.
      protocol::CancelParams params;
      protocol::ParseIssue issue;
      if (protocol::parseParams(note->params, params, issue))
        onCancelRequest(params);
    }
    post([this, m = std::move(message)]() mutable { onInbound(std::move(m)); });
  }
}

void LspServer::onInbound(protocol::Message message) {
  if (finished_)
    return;
  std::visit(
      [this](auto &m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::Request>) {
          dispatchRequest(std::move(m));
        } else if constexpr (std::is_same_v<T, protocol::Notification>) {
          dispatchNotification(m);
        } else if constexpr (std::is_same_v<T, protocol::Response>) {
          dispatchResponse(std::move(m));
        } else {
          spdlog::warn("rejected a message: {} ({})", m.error.message, m.error.code);
          writer_.send(protocol::serializeError(m.id, m.error));
        }
      },
      message);
}

ReplyOnce LspServer::makeReply(const protocol::Request &request) {
  CancelToken token;
  {
    std::lock_guard lock(cancelMutex_);
    token = inFlight_[request.id].token();
  }
  return ReplyOnce(request.id, request.method, token,
                   [this](const protocol::RequestId &id, std::optional<json> result,
                          std::optional<ResponseError> error) { sendReply(id, std::move(result), std::move(error)); });
}

void LspServer::sendReply(const protocol::RequestId &id, std::optional<json> result,
                          std::optional<ResponseError> error) {
  {
    std::lock_guard lock(cancelMutex_);
    inFlight_.erase(id);
  }
  if (error)
    writer_.send(protocol::serializeError(id, *error));
  else
    writer_.send(protocol::serializeResult(id, result ? *result : json(nullptr)));
}

void LspServer::dispatchRequest(protocol::Request request) {
  trace("Received request '" + request.method + " - (" + protocol::describeId(request.id) + ")'.");
  ReplyOnce reply = makeReply(request);
  auto fail = [&](int code, std::string message) { reply.error(ResponseError{code, std::move(message), std::nullopt}); };
  if (state_ == State::Uninitialized && request.method != "initialize")
    return fail(protocol::ServerNotInitialized, "server not initialized: send initialize first");
  if (state_ != State::Uninitialized && request.method == "initialize")
    return fail(protocol::InvalidRequest, "initialize was already received");
  if (state_ == State::ShutDown)
    return fail(protocol::InvalidRequest, "server is shutting down: only exit is accepted");
  const auto *handler = handlers_.findRequest(request.method);
  if (!handler)
    return fail(protocol::MethodNotFound, "unknown method: " + request.method);
  if (reply.token().cancelled())
    return fail(protocol::RequestCancelled, "request cancelled");
  try {
    (*handler)(request.params, reply);
  } catch (const std::exception &e) {
    spdlog::error("{} threw: {}", request.method, e.what());
    if (!reply.replied())
      fail(protocol::InternalError, request.method + " failed: " + e.what());
  }
}

void LspServer::dispatchNotification(const protocol::Notification &notification) {
  trace("Received notification '" + notification.method + "'.");
  if (state_ == State::Uninitialized && notification.method != "exit") {
    spdlog::warn("dropped {} received before initialize", notification.method);
    return;
  }
  const auto *handler = handlers_.findNotification(notification.method);
  if (!handler) {
    if (notification.method.rfind("$/", 0) != 0) // `$/` notifications may be ignored silently
      spdlog::warn("unknown notification {}", notification.method);
    return;
  }
  try {
    (*handler)(notification.params);
  } catch (const std::exception &e) {
    spdlog::error("{} threw: {}", notification.method, e.what());
  }
}

void LspServer::dispatchResponse(protocol::Response response) {
  CallCallback callback;
  std::string method;
  {
    std::lock_guard lock(callMutex_);
    auto *number = std::get_if<std::int64_t>(&response.id);
    auto it = number ? pendingCalls_.find(*number) : pendingCalls_.end();
    if (it == pendingCalls_.end()) {
      spdlog::warn("reply to unknown request {}", protocol::describeId(response.id));
      return;
    }
    method = std::move(it->second.first);
    callback = std::move(it->second.second);
    pendingCalls_.erase(it);
  }
  if (response.error)
    spdlog::warn("client answered {} with error {}: {}", method, response.error->code, response.error->message);
  callback(std::move(response.result), std::move(response.error));
}

void LspServer::notify(const std::string &method, const json &params) {
  writer_.send(protocol::serializeNotification(method, params));
}

void LspServer::call(const std::string &method, const json &params, CallCallback callback) {
  std::int64_t id;
  std::optional<std::pair<std::string, CallCallback>> evicted;
  {
    std::lock_guard lock(callMutex_);
    id = nextCallId_++;
    if (pendingCalls_.size() >= options_.maxPendingCalls) {
      auto oldest = pendingCalls_.begin();
      evicted = std::move(oldest->second);
      pendingCalls_.erase(oldest);
    }
    pendingCalls_.emplace(id, std::make_pair(method, std::move(callback)));
  }
  if (evicted) {
    spdlog::warn("too many calls awaiting the client; giving up on the oldest ({})", evicted->first);
    post([cb = std::move(evicted->second)] {
      cb(std::nullopt, ResponseError{protocol::RequestFailed, "the client never answered", std::nullopt});
    });
  }
  writer_.send(protocol::serializeRequest(id, method, params));
}

void LspServer::logToClient(protocol::MessageType type, const std::string &message) {
  switch (type) {
  case protocol::MessageType::Error:
    spdlog::error("{}", message);
    break;
  case protocol::MessageType::Warning:
    spdlog::warn("{}", message);
    break;
  default:
    spdlog::info("{}", message);
  }
  notify("window/logMessage", protocol::LogMessageParams{type, message});
}

void LspServer::trace(const std::string &message) {
  if (trace_ != "off")
    notify("$/logTrace", json{{"message", message}});
}

void LspServer::finish(int exitCode) {
  if (finished_)
    return;
  finished_ = true;
  exitCode_ = exitCode;
  coWriter_->shutdown(); // cancel every model call and index now: nobody is left to use them
  parentWatch_.reset();
  io_.stop();
}

void LspServer::reportBadNotification(const std::string &method, const protocol::ParseIssue &issue) {
  logToClient(protocol::MessageType::Error, method + ": invalid params: " + issue.describe());
}

// --- Lifecycle --------------------------------------------------------------------------------

void LspServer::onInitialize(const protocol::InitializeParams &params, ReplyOnce reply) {
  client_ = params.capabilities;
  encoding_ = protocol::PositionEncoding::Utf16; // the default every client supports
  for (const auto &name : client_.positionEncodings)
    if (name == "utf-8")
      encoding_ = protocol::PositionEncoding::Utf8; // no conversion at all: preferred when offered
  if (params.trace)
    trace_ = *params.trace;
  state_ = State::Running;
  parentWatch_ = std::make_unique<ParentWatch>(io_, params.processId, [this] { finish(0); });
  spdlog::info("initialize from {} (position encoding {})",
               params.clientInfo ? params.clientInfo->name : std::string("an unnamed client"),
               protocol::encodingName(encoding_));
  json capabilities{
      {"positionEncoding", protocol::encodingName(encoding_)},
      {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
      {"documentSymbolProvider", true},
      {"foldingRangeProvider", true},
      {"hoverProvider", true},
  };
  capabilities.update(coWriter_->capabilities());
  capabilities.update(bible_->capabilities());
  reply(json{{"capabilities", capabilities},
             {"serverInfo", {{"name", "recurrent"}, {"version", options_.serverVersion}}}});
}

void LspServer::onInitialized(const NoParams &) {
  if (client_.didChangeConfigurationDynamic)
    call("client/registerCapability",
         json{{"registrations", json::array({{{"id", "recurrent-configuration"},
                                               {"method", "workspace/didChangeConfiguration"}}})}},
         [](auto, auto) {});
  // Chapters changed outside the editor (a checkout, another editor, a deleted or renamed file):
  // the books follow them.
  if (client_.didChangeWatchedFilesDynamic)
    call("client/registerCapability",
         json{{"registrations",
               json::array({{{"id", "recurrent-chapters"},
                             {"method", "workspace/didChangeWatchedFiles"},
                             {"registerOptions", {{"watchers", json::array({{{"globPattern", "**/*.{md,markdown,txt}"}}})}}}}})}},
         [](auto, auto) {});
  if (client_.workspaceConfiguration)
    pullSettings(std::nullopt);
}

void LspServer::onShutdown(const NoParams &, ReplyOnce reply) {
  state_ = State::ShutDown;
  spdlog::info("shutdown");
  coWriter_->shutdown();
  reply(nullptr);
}

void LspServer::onExit(const NoParams &) {
  int code = state_ == State::ShutDown ? 0 : 1;
  if (code != 0)
    spdlog::warn("exit without shutdown");
  finish(code);
}

void LspServer::onSetTrace(const protocol::SetTraceParams &params) {
  if (params.value != "off" && params.value != "messages" && params.value != "verbose") {
    reportBadNotification("$/setTrace", {"value", "expected off, messages or verbose"});
    return;
  }
  trace_ = params.value;
}

void LspServer::onCancelRequest(const protocol::CancelParams &params) {
  protocol::RequestId id = params.id.is_string() ? protocol::RequestId(params.id.get<std::string>())
                                                 : protocol::RequestId(params.id.get<std::int64_t>());
  std::lock_guard lock(cancelMutex_);
  if (auto it = inFlight_.find(id); it != inFlight_.end())
    it->second.cancel();
}

void LspServer::onProgressCancel(const RawParams &params) {
  const json &token = params.value.is_object() && params.value.contains("token") ? params.value["token"] : json();
  std::string key = token.is_string() ? token.get<std::string>() : token.dump();
  if (auto it = progressTokens_.find(key); it != progressTokens_.end())
    it->second.cancel();
}

// --- Documents and settings -------------------------------------------------------------------

void LspServer::onDidOpen(const protocol::DidOpenTextDocumentParams &params) {
  const Document &doc = documents_.open(params.textDocument);
  spdlog::debug("opened {} ({} bytes, {} paragraphs)", doc.uri, doc.manuscript.text().size(),
                doc.manuscript.paragraphs().size());
  if (client_.workspaceConfiguration)
    pullSettings(doc.uri);
  bible_->documentOpened(doc.uri);
  coWriter_->documentOpened(doc.uri);
}

void LspServer::onDidChange(const protocol::DidChangeTextDocumentParams &params) {
  Status status = documents_.change(params, encoding_);
  if (!status.ok())
    logToClient(protocol::MessageType::Warning, "textDocument/didChange: " + status.error().message);
  bible_->documentChanged(params.textDocument.uri);
  coWriter_->documentChanged(params.textDocument.uri);
}

void LspServer::onDidClose(const protocol::DidCloseTextDocumentParams &params) {
  spdlog::info("didClose {}", params.textDocument.uri);
  if (!documents_.close(params.textDocument.uri))
    spdlog::warn("didClose for a document that is not open: {}", params.textDocument.uri);
  documentSettings_.erase(params.textDocument.uri);
  bible_->documentClosed(params.textDocument.uri);
  coWriter_->documentClosed(params.textDocument.uri);
}

void LspServer::onDidSave(const protocol::DidSaveTextDocumentParams &params) {
  if (!documents_.find(params.textDocument.uri))
    spdlog::warn("didSave for a document that is not open: {}", params.textDocument.uri);
  // Clients without file watching (Neovim 0.7) tell of a saved entry or chapter only here.
  if (auto path = protocol::uriToPath(params.textDocument.uri))
    bible_->filesChanged({*path});
  coWriter_->documentSaved(params.textDocument.uri);
}

void LspServer::onDidChangeConfiguration(const protocol::DidChangeConfigurationParams &params) {
  if (client_.workspaceConfiguration) {
    pullSettings(std::nullopt); // the notification's payload is unreliable in the pull model
    for (const auto &uri : documents_.uris())
      pullSettings(uri);
    return;
  }
  if (params.settings.is_object() && params.settings.contains("recurrent"))
    storeSettings(std::nullopt, params.settings["recurrent"]);
}

void LspServer::pullSettings(std::optional<std::string> scopeUri) {
  protocol::ConfigurationParams request{{protocol::ConfigurationItem{scopeUri, "recurrent"}}};
  ++settingsPending_;
  call("workspace/configuration", request,
       [this, scopeUri](std::optional<json> result, std::optional<ResponseError> error) {
         if (error || !result || !result->is_array() || result->empty()) {
           spdlog::warn("workspace/configuration gave no settings{}", error ? ": " + error->message : "");
         } else if (!scopeUri || documents_.find(*scopeUri)) { // else closed meanwhile
           storeSettings(scopeUri, (*result)[0]);
         }
         if (--settingsPending_ > 0)
           return;
         auto waiting = std::move(afterSettings_);
         afterSettings_.clear();
         for (auto &fn : waiting)
           fn();
       });
}

void LspServer::whenSettingsKnown(std::function<void()> fn) {
  if (settingsPending_ == 0)
    fn();
  else
    afterSettings_.push_back(std::move(fn));
}

void LspServer::storeSettings(const std::optional<std::string> &scopeUri, const json &section) {
  std::vector<std::string> warnings;
  Settings settings = parseSettings(section, warnings);
  for (const auto &w : warnings)
    logToClient(protocol::MessageType::Warning, w);
  if (scopeUri)
    documentSettings_[*scopeUri] = settings;
  else
    globalSettings_ = settings;
  coWriter_->settingsChanged();
}

const Settings &LspServer::settingsFor(const std::string &uri) const {
  auto it = documentSettings_.find(uri);
  return it == documentSettings_.end() ? globalSettings_ : it->second;
}

} // namespace recurrent::server
