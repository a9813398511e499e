// EditStream: puts generated text into an editor's document through `workspace/applyEdit`.
//
// The text is inserted at one fixed position, piece by piece as the model streams it (or in one
// piece), with at most one applyEdit in flight: each edit's position is computed from the text
// already acknowledged, so it does not depend on when the editor's didChange arrives. Text that
// arrives while an edit is in flight is coalesced into the next one. restart() and abort() delete
// what was inserted (a retried stream starts over; a cancelled one leaves the document as it was).
// finish() makes the inserted text equal the final text, then reports what the editor holds.
// Nothing is sent for a document the editor closed (that would reopen the file behind the writer's
// back): the stream fails instead. Every edit of one stream carries the same `editGroup`, so an
// editor can make the whole stream one undo step.
//
// Thread-safety: main strand only; the LspServer call callbacks also run there.
#pragma once

#include "protocol/Encoding.h"
#include "protocol/Lsp.h"

#include <functional>
#include <memory>
#include <string>

namespace recurrent::server {

class LspServer;

class EditStream : public std::enable_shared_from_this<EditStream> {
public:
  /// `applied` is false when the editor refused an edit; `inserted` is the text it holds then.
  using Done = std::function<void(bool applied, std::string reason, std::string inserted)>;

  static std::shared_ptr<EditStream> create(LspServer &server, std::string uri, protocol::Position at,
                                            protocol::PositionEncoding encoding, std::string label);

  /// Queues streamed text.
  void append(std::string_view text);
  /// Removes what was inserted so far (the model retried, its stream starts over).
  void restart();
  /// Brings the document's inserted text to `finalText` and calls `done` once every edit is answered.
  void finish(std::string finalText, Done done);
  /// Removes everything inserted, then calls `done`.
  void abort(Done done);

  const std::string &inserted() const { return inserted_; }

private:
  EditStream(LspServer &server, std::string uri, protocol::Position at, protocol::PositionEncoding encoding,
             std::string label);
  void pump();
  void send(protocol::Range range, std::string newText, std::function<void()> onApplied);
  protocol::Position endOf(const std::string &text) const;
  void fail(std::string reason);

  LspServer &server_;
  std::string uri_;
  protocol::Position at_;
  protocol::PositionEncoding encoding_;
  std::string label_;
  std::int64_t group_ = 0;

  std::string inserted_;        ///< acknowledged by the editor
  std::string queued_;          ///< appended, not yet sent
  bool inFlight_ = false;
  bool failed_ = false;
  std::string failure_;
  bool clearRequested_ = false; ///< delete inserted_ before sending more
  std::optional<std::string> target_; ///< finish(): the exact final text
  Done done_;
};

} // namespace recurrent::server
