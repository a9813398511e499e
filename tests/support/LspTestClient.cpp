// LspTestClient (see LspTestClient.h).
#include "tests/support/LspTestClient.h"

#include "protocol/JsonRpc.h"

#include <doctest/doctest.h>

namespace recurrent::test {

std::string testUri(const std::string &name) { return "file:///recurrent-test/" + name; }

LspTestClient::LspTestClient(Options options) : options_(std::move(options)), transport_(options_.framing) {
  server_ = std::make_unique<server::LspServer>(transport_, options_.server);
  onRequest("workspace/configuration", [this](const json &params) {
    json out = json::array();
    for (std::size_t i = 0; i < params.value("items", json::array()).size(); ++i)
      out.push_back(settings);
    return out;
  });
  onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  onRequest("client/registerCapability", [](const json &) { return json(nullptr); });
  serverThread_ = std::thread([this] { exitCode_ = server_->run(); });
  receiver_ = std::thread([this] { receiveLoop(); });
}

LspTestClient::~LspTestClient() {
  if (!exited_) {
    transport_.clientCloseInput();
    waitForExit();
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  receiver_.join();
  for (const auto &problem : unexpected_)
    FAIL_CHECK("unexpected from the server: " << problem);
  for (const auto &e : unmatchedErrors_)
    FAIL_CHECK("unexpected id-less error from the server: " << e.dump());
  for (const auto &[method, params] : notifications_)
    if (method == "window/logMessage" && params.value("type", 0) == 1)
      FAIL_CHECK("unexpected error log from the server: " << params.dump());
}

void LspTestClient::receiveLoop() {
  while (true) {
    auto body = transport_.clientReceive(std::chrono::milliseconds(20));
    if (!body) {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
      continue;
    }
    json message = json::parse(*body, nullptr, false);
    std::lock_guard lock(mutex_);
    if (message.is_discarded() || !message.is_object()) {
      unexpected_.push_back("a body that is not a JSON object: " + *body);
      continue;
    }
    if (message.contains("method") && message.contains("id")) {
      std::string method = message["method"];
      json params = message.value("params", json());
      requests_.emplace_back(method, params);
      auto it = handlers_.find(method);
      json reply{{"jsonrpc", "2.0"}, {"id", message["id"]}};
      if (it == handlers_.end())
        reply["error"] = {{"code", protocol::MethodNotFound}, {"message", "test client does not handle " + method}};
      else
        reply["result"] = it->second(params);
      transport_.clientSend(reply.dump());
    } else if (message.contains("method")) {
      notifications_.emplace_back(message["method"], message.value("params", json()));
    } else if (message.contains("id") && message["id"].is_number_integer()) {
      responses_[message["id"].get<std::int64_t>()] = message;
    } else {
      unmatchedErrors_.push_back(message);
    }
    changed_.notify_all();
  }
}

LspTestClient::CallResult LspTestClient::call(const std::string &method, const json &params) {
  std::int64_t id;
  {
    std::lock_guard lock(mutex_);
    id = nextId_++;
  }
  transport_.clientSend(protocol::serializeRequest(id, method, params));
  return CallResult(*this, id);
}

void LspTestClient::notify(const std::string &method, const json &params) {
  transport_.clientSend(protocol::serializeNotification(method, params));
}

json LspTestClient::waitResponse(std::int64_t id) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, options_.timeout, [&] { return responses_.count(id) > 0; }))
    return nullptr;
  json out = std::move(responses_[id]);
  responses_.erase(id);
  return out;
}

bool LspTestClient::CallResult::answered() const {
  std::lock_guard lock(client_.mutex_);
  return client_.responses_.count(id_) > 0;
}

json LspTestClient::CallResult::takeResponse() { return client_.waitResponse(id_); }

json LspTestClient::CallResult::take() {
  json response = takeResponse();
  if (response.is_null()) {
    FAIL_CHECK("no reply to request " << id_ << " within the timeout");
    return nullptr;
  }
  if (response.contains("error")) {
    FAIL_CHECK("request " << id_ << " failed: " << response["error"].dump());
    return nullptr;
  }
  return response["result"];
}

json LspTestClient::CallResult::takeError() {
  json response = takeResponse();
  if (response.is_null()) {
    FAIL_CHECK("no reply to request " << id_ << " within the timeout");
    return json::object();
  }
  if (!response.contains("error")) {
    FAIL_CHECK("request " << id_ << " succeeded but an error was expected: " << response.dump());
    return json::object();
  }
  return response["error"];
}

void LspTestClient::sync() {
  // The main strand handles messages in order, so the reply to a request sent last means every
  // earlier message was handled; the single writer means their output arrived before it.
  json error = call("$/recurrent/sync", nullptr).takeError();
  CHECK(error.value("code", 0) == protocol::MethodNotFound);
}

std::vector<json> LspTestClient::takeNotifications(const std::string &method) {
  sync();
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  std::erase_if(notifications_, [&](auto &n) {
    if (n.first != method)
      return false;
    out.push_back(std::move(n.second));
    return true;
  });
  return out;
}

std::vector<json> LspTestClient::takeRequests(const std::string &method) {
  sync();
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  std::erase_if(requests_, [&](auto &r) {
    if (r.first != method)
      return false;
    out.push_back(std::move(r.second));
    return true;
  });
  return out;
}

std::vector<json> LspTestClient::takeUnmatchedErrors() {
  sync();
  std::lock_guard lock(mutex_);
  return std::exchange(unmatchedErrors_, {});
}

void LspTestClient::onRequest(const std::string &method, std::function<json(const json &)> handler) {
  std::lock_guard lock(mutex_);
  handlers_[method] = std::move(handler);
}

json LspTestClient::initialize(const json &capabilities) {
  json result = call("initialize", {{"processId", nullptr},
                                    {"clientInfo", {{"name", "LspTestClient"}}},
                                    {"rootUri", nullptr},
                                    {"capabilities", capabilities}})
                    .take();
  notify("initialized", json::object());
  return result;
}

void LspTestClient::open(const std::string &uri, const std::string &text, std::int64_t version) {
  notify("textDocument/didOpen",
         {{"textDocument", {{"uri", uri}, {"languageId", "markdown"}, {"version", version}, {"text", text}}}});
}

int LspTestClient::stop() {
  CHECK(call("shutdown", nullptr).take().is_null());
  notify("exit", nullptr);
  return waitForExit();
}

int LspTestClient::waitForExit() {
  if (!exited_) {
    serverThread_.join();
    exited_ = true;
  }
  return exitCode_;
}

} // namespace recurrent::test
