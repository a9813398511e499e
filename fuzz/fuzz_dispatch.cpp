// Fuzzes what the server does with a body before a handler runs: the JSON-RPC envelope and the
// params parsers of the LSP types, without threads (fast). Nothing may throw or crash; a bad field
// must be named. fuzz_lsp_session sends the same bodies through the server's real handler table.
#include "protocol/JsonRpc.h"
#include "protocol/Lsp.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {
template <typename T> void tryParams(const recurrent::protocol::json &params) {
  T out{};
  recurrent::protocol::ParseIssue issue;
  if (!recurrent::protocol::parseParams(params, out, issue) && issue.problem.empty())
    __builtin_trap();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace recurrent::protocol;
  std::string_view body(reinterpret_cast<const char *>(data), size);
  Message message = parseMessage(body);
  const json *params = nullptr;
  if (auto *r = std::get_if<Request>(&message))
    params = &r->params;
  else if (auto *n = std::get_if<Notification>(&message))
    params = &n->params;
  else if (auto *m = std::get_if<Malformed>(&message))
    (void)serializeError(m->id, m->error);
  if (!params)
    return 0;
  tryParams<InitializeParams>(*params);
  tryParams<DidOpenTextDocumentParams>(*params);
  tryParams<DidChangeTextDocumentParams>(*params);
  tryParams<TextDocumentPositionParams>(*params);
  tryParams<CancelParams>(*params);
  tryParams<DidChangeConfigurationParams>(*params);
  return 0;
}
