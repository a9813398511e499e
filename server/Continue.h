// ContinueFeature: recurrent.continue: the next paragraph, after the paragraph at the cursor, written
// with the chosen plan. It streams into the document through workspace/applyEdit (EditStream) and is
// committed to the story only for the text the editor applied; then the model checks it (ContinuityCheck).
//
// Thread-safety: main strand only (the model's work runs on the Services' pool).
#pragma once

#include "protocol/Commands.h"
#include "server/Services.h"

#include <string>

namespace recurrent::server {

class ContinuityCheck;

class ContinueFeature {
public:
  ContinueFeature(Services &services, ContinuityCheck &check) : s_(services), check_(check) {}

  void run(const protocol::ContinueArgs &args, ReplyOnce reply);

private:
  /// Insert position (byte offset) and the text around the paragraph for a continuation at `cursor`.
  struct Placement {
    std::size_t offset = 0;
    std::string prefix, suffix;
  };
  static Placement placeAfter(const engine::Manuscript &m, std::size_t cursor);

  Services &s_;
  ContinuityCheck &check_;
};

} // namespace recurrent::server
