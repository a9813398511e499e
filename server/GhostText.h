// GhostTextFeature: textDocument/inlineCompletion: the next paragraph offered as ghost text, written
// only when the writer asks (or, with recurrent.automaticGhostText, when the editor asks as they type);
// recurrent.acceptInline commits the accepted paragraph as the story's step. An edit while it is
// being written makes it stale: the request answers ContentModified.
//
// Thread-safety: main strand only (the model's work runs on the Services' pool).
#pragma once

#include "protocol/Commands.h"
#include "protocol/LspEditing.h"
#include "server/Services.h"

#include <cstdint>

namespace recurrent::server {

class GhostTextFeature {
public:
  explicit GhostTextFeature(Services &services) : s_(services) {}

  void complete(const protocol::InlineCompletionParams &params, ReplyOnce reply);
  void accept(const protocol::AcceptInlineArgs &args, ReplyOnce reply);

private:
  Services &s_;
  std::uint64_t nextId_ = 1;
};

} // namespace recurrent::server
