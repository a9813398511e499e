// LspTestClient: drives the real LspServer through an InMemoryTransport (clangd's LSPClient style).
//
// The server runs on its own thread exactly as `recurrent lsp` does. call(...).take() waits for the
// reply (with a timeout) and fails the test on an error; takeError() expects one. takeNotifications
// drains what the server sent. sync() is a barrier: everything sent before it has been handled.
// Server→client requests are answered by handlers (workspace/configuration returns `settings`).
// Like slang-server's ClientHarness, it fails the test at teardown on any error nobody took: an
// error reply, an id-less error (parse errors) or a window/logMessage of type Error.
// Thread-safety: the test thread calls everything; one receiver thread files what arrives.
#pragma once

#include "server/InMemoryTransport.h"
#include "server/LspServer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace recurrent::test {

using nlohmann::json;

class LspTestClient {
public:
  struct Options {
    server::LspServer::Options server;
    protocol::FrameDecoder::Options framing;
    std::chrono::milliseconds timeout{10000};
  };
  LspTestClient() : LspTestClient(Options{}) {}
  explicit LspTestClient(Options options);
  ~LspTestClient();

  class CallResult {
  public:
    /// The result; fails the test on an error or a timeout (then returns null).
    json take();
    /// The error object ({code, message}); fails the test on a result or a timeout.
    json takeError();
    /// The raw response ({result} or {error}), or null after a timeout.
    json takeResponse();
    std::int64_t id() const { return id_; }
    /// Whether the reply has come, without waiting (sync() first: the server then handled the request).
    bool answered() const;

  private:
    friend class LspTestClient;
    CallResult(LspTestClient &client, std::int64_t id) : client_(client), id_(id) {}
    LspTestClient &client_;
    std::int64_t id_;
  };

  CallResult call(const std::string &method, const json &params);
  void notify(const std::string &method, const json &params);
  /// Every notification with `method` received so far (waits for outstanding ones via sync()).
  std::vector<json> takeNotifications(const std::string &method);
  /// Barrier: returns once the server handled every message sent before it.
  void sync();

  /// initialize (with these capabilities) + initialized; returns the initialize result.
  json initialize(const json &capabilities = json::object());
  /// A didOpen for `uri` with `text`, version 1.
  void open(const std::string &uri, const std::string &text, std::int64_t version = 1);
  /// shutdown then exit; returns the server's exit code.
  int stop();
  /// Waits for the server thread to end (after exit, or after closeInput); returns its exit code.
  int waitForExit();

  /// Handles a server→client request; the result is sent back.
  void onRequest(const std::string &method, std::function<json(const json &params)> handler);
  /// Server→client requests received so far with `method` (their params).
  std::vector<json> takeRequests(const std::string &method);
  /// Error replies that carried no id (parse errors, invalid requests).
  std::vector<json> takeUnmatchedErrors();

  /// The workspace/configuration answer for section `recurrent`.
  json settings = json::object();
  server::InMemoryTransport &transport() { return transport_; }
  server::LspServer &server() { return *server_; }

private:
  void receiveLoop();
  json waitResponse(std::int64_t id);

  Options options_;
  server::InMemoryTransport transport_;
  std::unique_ptr<server::LspServer> server_;
  std::thread serverThread_, receiver_;
  int exitCode_ = -1;
  bool exited_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::int64_t nextId_ = 1;
  std::map<std::int64_t, json> responses_;
  std::vector<std::pair<std::string, json>> notifications_;
  std::vector<std::pair<std::string, json>> requests_;
  std::vector<json> unmatchedErrors_;
  std::vector<std::string> unexpected_; ///< errors nobody took, reported at teardown
  std::map<std::string, std::function<json(const json &)>> handlers_;
  bool stopping_ = false;
};

/// A document URI under a fake folder (never touched on disk).
std::string testUri(const std::string &name);

} // namespace recurrent::test
