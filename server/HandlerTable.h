// HandlerTable: method name → handler, with params parsed into the handler's struct.
//
// Registering a method is one line (`table.request("textDocument/hover", this, &LspServer::onHover)`),
// so LspServer::bindMethods() reads as the server's feature list. Params that do not parse are
// answered with InvalidParams naming the field, before the handler runs.
// Thread-safety: filled once at construction, then read-only (the main strand dispatches).
#pragma once

#include "protocol/Lsp.h"
#include "server/ReplyOnce.h"

#include <functional>
#include <map>
#include <string>

namespace recurrent::server {

/// Params for methods that take none (`shutdown`, `exit`, `initialized`): anything is accepted.
struct NoParams {};
inline bool fromJson(const protocol::json &, NoParams &, const std::string &, protocol::ParseIssue &) { return true; }

/// Params passed through untouched, for handlers that read JSON themselves.
struct RawParams {
  protocol::json value;
};
inline bool fromJson(const protocol::json &v, RawParams &out, const std::string &, protocol::ParseIssue &) {
  out.value = v;
  return true;
}

class HandlerTable {
public:
  using RequestHandler = std::function<void(const protocol::json &params, ReplyOnce reply)>;
  /// Bad params are reported through the owner's reportBadNotification (a notification has no reply).
  using NotificationHandler = std::function<void(const protocol::json &params)>;

  template <typename Params, typename Owner>
  void request(const std::string &method, Owner *owner, void (Owner::*handler)(const Params &, ReplyOnce)) {
    request<Params>(method, [owner, handler](const Params &params, ReplyOnce reply) {
      (owner->*handler)(params, std::move(reply));
    });
  }

  template <typename Params>
  void request(const std::string &method, std::function<void(const Params &, ReplyOnce)> handler) {
    requests_[method] = [handler = std::move(handler)](const protocol::json &params, ReplyOnce reply) {
      Params parsed{};
      protocol::ParseIssue issue;
      if (!fromJson(params, parsed, "", issue)) {
        reply.error(protocol::ResponseError{protocol::InvalidParams, "invalid params: " + issue.describe(), std::nullopt});
        return;
      }
      handler(parsed, std::move(reply));
    };
  }

  template <typename Params, typename Owner>
  void notification(const std::string &method, Owner *owner, void (Owner::*handler)(const Params &)) {
    notifications_[method] = [owner, handler, method](const protocol::json &params) {
      Params parsed{};
      protocol::ParseIssue issue;
      if (!fromJson(params, parsed, "", issue)) {
        owner->reportBadNotification(method, issue);
        return;
      }
      (owner->*handler)(parsed);
    };
  }

  const RequestHandler *findRequest(const std::string &method) const {
    auto it = requests_.find(method);
    return it == requests_.end() ? nullptr : &it->second;
  }
  const NotificationHandler *findNotification(const std::string &method) const {
    auto it = notifications_.find(method);
    return it == notifications_.end() ? nullptr : &it->second;
  }

private:
  std::map<std::string, RequestHandler> requests_;
  std::map<std::string, NotificationHandler> notifications_;
};

} // namespace recurrent::server
