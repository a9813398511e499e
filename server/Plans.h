// PlansFeature: the plans for the next paragraph and the story state the writer edits: the code
// actions and lenses that offer the plans (and Adopt / Make Book in a file that is not a story yet),
// recurrent.suggestPlans, recurrent.setPlans, recurrent.setShortTermMemory and recurrent.undoStep.
//
// Thread-safety: main strand only (the model's work runs on the Services' pool).
#pragma once

#include "protocol/Commands.h"
#include "protocol/LspEditing.h"
#include "server/Services.h"

namespace recurrent::server {

class PlansFeature {
public:
  explicit PlansFeature(Services &services) : s_(services) {}

  void codeActions(const protocol::CodeActionParams &params, ReplyOnce reply);
  void codeLenses(const protocol::CodeLensParams &params, ReplyOnce reply);
  void suggest(const protocol::UriArgs &args, ReplyOnce reply);
  void setPlans(const protocol::SetPlansArgs &args, ReplyOnce reply);
  void setShortTermMemory(const protocol::SetShortTermMemoryArgs &args, ReplyOnce reply);
  void undoStep(const protocol::UndoStepArgs &args, ReplyOnce reply);

private:
  Services &s_;
};

/// The kind of recurrent's code actions.
inline constexpr const char *kActionKind = "refactor.rewrite.recurrent";

} // namespace recurrent::server
