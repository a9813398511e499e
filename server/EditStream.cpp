#include "server/EditStream.h"

#include "protocol/LspEditing.h"
#include "server/LspServer.h"

namespace recurrent::server {

std::shared_ptr<EditStream> EditStream::create(LspServer &server, std::string uri, protocol::Position at,
                                               protocol::PositionEncoding encoding, std::string label) {
  return std::shared_ptr<EditStream>(new EditStream(server, std::move(uri), at, encoding, std::move(label)));
}

EditStream::EditStream(LspServer &server, std::string uri, protocol::Position at,
                       protocol::PositionEncoding encoding, std::string label)
    : server_(server), uri_(std::move(uri)), at_(at), encoding_(encoding), label_(std::move(label)) {
  static std::int64_t nextGroup = 1; // main strand only
  group_ = nextGroup++;
}

void EditStream::append(std::string_view text) {
  if (target_ || failed_)
    return;
  queued_.append(text);
  pump();
}

void EditStream::restart() {
  if (target_ || failed_)
    return;
  queued_.clear();
  clearRequested_ = true;
  pump();
}

void EditStream::finish(std::string finalText, Done done) {
  target_ = std::move(finalText);
  done_ = std::move(done);
  queued_.clear();
  pump();
}

void EditStream::abort(Done done) { finish(std::string(), std::move(done)); }

protocol::Position EditStream::endOf(const std::string &text) const {
  protocol::Position end = at_;
  std::size_t lastBreak = text.rfind('\n');
  std::string_view tail = text;
  if (lastBreak != std::string::npos) {
    std::size_t lines = 0;
    for (char c : text)
      lines += c == '\n';
    end.line += static_cast<std::uint32_t>(lines);
    end.character = 0;
    tail = std::string_view(text).substr(lastBreak + 1);
  }
  end.character += protocol::byteToColumn(tail, tail.size(), encoding_);
  return end;
}

void EditStream::fail(std::string reason) {
  failed_ = true;
  failure_ = std::move(reason);
  queued_.clear();
}

void EditStream::pump() {
  if (inFlight_)
    return;
  auto self = shared_from_this();
  if (failed_) {
    if (done_) {
      auto done = std::move(done_);
      done_ = nullptr;
      done(false, failure_, inserted_);
    }
    return;
  }
  if (!server_.documents().find(uri_)) {
    // Closed in the editor: an edit now would reopen the file behind the writer's back.
    fail("the document was closed");
    pump();
    return;
  }
  if (target_) {
    if (inserted_ == *target_) {
      if (done_) {
        auto done = std::move(done_);
        done_ = nullptr;
        done(true, {}, inserted_);
      }
      return;
    }
    // Keep the common prefix, replace the rest: usually an append of the stream's last piece.
    std::size_t common = 0;
    while (common < inserted_.size() && common < target_->size() && inserted_[common] == (*target_)[common])
      ++common;
    // Never split a UTF-8 sequence.
    while (common > 0 && (static_cast<unsigned char>((*target_)[common]) & 0xC0) == 0x80)
      --common;
    std::string keep = inserted_.substr(0, common);
    protocol::Range range{endOf(keep), endOf(inserted_)};
    std::string replacement = target_->substr(common);
    std::string next = *target_;
    send(range, std::move(replacement), [self, next] { self->inserted_ = next; });
    return;
  }
  if (clearRequested_) {
    clearRequested_ = false;
    if (!inserted_.empty()) {
      send({at_, endOf(inserted_)}, "", [self] { self->inserted_.clear(); });
      return;
    }
  }
  if (queued_.empty())
    return;
  std::string piece = std::move(queued_);
  queued_.clear();
  protocol::Position end = endOf(inserted_);
  send({end, end}, piece, [self, piece] { self->inserted_ += piece; });
}

void EditStream::send(protocol::Range range, std::string newText, std::function<void()> onApplied) {
  inFlight_ = true;
  protocol::ApplyWorkspaceEditParams params;
  params.label = label_;
  params.edit.uri = uri_;
  params.edit.edits.push_back({range, std::move(newText)});
  json message = json(params);
  message["editGroup"] = group_; // one undo step per group in the clients (docs/LSP.md)
  auto self = shared_from_this();
  server_.call("workspace/applyEdit", message,
               [self, onApplied = std::move(onApplied)](std::optional<json> result,
                                                        std::optional<protocol::ResponseError> error) {
                 self->inFlight_ = false;
                 if (error) {
                   self->fail("the editor did not apply the edit: " + error->message);
                 } else {
                   protocol::ApplyWorkspaceEditResult applied;
                   protocol::ParseIssue issue;
                   if (!result || !protocol::fromJson(*result, applied, "", issue))
                     self->fail("the editor answered applyEdit without `applied`");
                   else if (!applied.applied)
                     self->fail("the editor refused the edit" +
                                (applied.failureReason ? ": " + *applied.failureReason : std::string()));
                   else
                     onApplied();
                 }
                 self->pump();
               });
}

} // namespace recurrent::server
