// A step whose paragraph the writer removed with the editor's own undo: the story's memory offers
// (or, by setting, runs) the undo of that step too, so memory and manuscript agree again.
#include "server/Services.h"

#include "protocol/Commands.h"
#include "server/LspServer.h"

#include <spdlog/spdlog.h>

namespace recurrent::server {

using protocol::json;

void Services::stepTextVanished(const std::string &uri, long step) {
  std::string mode = server.settingsFor(uri).undoStepWithText.value_or("ask");
  spdlog::info("the text of step {} left {} (undoStepWithText: {})", step, uri, mode);
  if (mode == "never")
    return;
  if (mode == "always") {
    undoVanishedStep(uri, step);
    return;
  }
  std::string undo = "Undo step " + std::to_string(step);
  json params{{"type", static_cast<int>(protocol::MessageType::Warning)},
              {"message", "The paragraph of step " + std::to_string(step) +
                              " is no longer in the manuscript, but the story's memory still holds it "
                              "(short-term memory, plans, step count)."},
              // The command lets a client that cannot answer later (Neovim 0.7) run the choice itself.
              {"actions", json::array({{{"title", undo},
                                        {"command", protocol::kUndoStepCommand},
                                        {"arguments", json::array({{{"uri", uri}, {"step", step}}})}},
                                       {{"title", "Keep the memory"}}})}};
  server.call("window/showMessageRequest", params,
               [this, uri, step, undo](std::optional<json> result, std::optional<protocol::ResponseError>) {
                 if (result && result->is_object() && result->value("title", "") == undo)
                   undoVanishedStep(uri, step);
               });
}

void Services::undoVanishedStep(const std::string &uri, long step) {
  OpenBook *st = workspace.bookOf(uri);
  const Document *doc = server.documents().find(uri);
  if (!st || !doc || !st->session)
    return;
  if (st->jobs.writing() || !stepWatch.stillMissing(uri, step, doc->manuscript) ||
      st->session->state().step != step) {
    showMessage(protocol::MessageType::Info, "step " + std::to_string(step) +
                                          " was not undone: its paragraph is back or the story moved on");
    return;
  }
  stepWatch.forget(uri);
  st->jobs.pauseIndex();
  background<Result<long>>([session = st->session] { return session->undoStep(); },
                           [this, uri](Result<long> restored) {
                             if (!restored) {
                               showError("cannot undo the step", restored.error());
                             } else {
                               showMessage(protocol::MessageType::Info,
                                    "the story's memory is back at step " + std::to_string(*restored));
                               sendStatus(uri, "idle");
                             }
                             scheduleIndex(uri);
                           });
}

} // namespace recurrent::server
