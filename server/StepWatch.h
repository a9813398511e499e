// StepWatch: notices when the text of a document's last committed step leaves the manuscript.
//
// A writer who undoes a streamed paragraph with the editor's own undo (`u`, Ctrl+Z) removes the
// text but not the step: the short-term memory, the plans and the step counter still hold it.
// CoWriter tells the watch what each step committed; after an edit it asks whether that text is
// gone, and then offers (or, by setting, runs) recurrent.undoStep. The text counts as present while
// its opening or its closing words are in the manuscript, so editing a word inside it is not a
// removal. A vanished step is reported once, and again only after its text came back and left again.
//
// Thread-safety: main strand only (plain data, no locking).
#pragma once

#include "engine/manuscript/Manuscript.h"

#include <map>
#include <optional>
#include <string>

namespace recurrent::server {

class StepWatch {
public:
  /// `step` committed `paragraph` into the document at `uri` (replaces the previous watch).
  void committed(const std::string &uri, long step, std::string paragraph);
  /// Stops watching `uri` (its step was undone, or the document closed).
  void forget(const std::string &uri);
  /// The watched step, when its text is no longer in `manuscript` (once per disappearance).
  std::optional<long> vanished(const std::string &uri, const engine::Manuscript &manuscript);
  /// True while the text `uri`'s step `step` committed is still missing (the writer may have redone it
  /// before answering the offer).
  bool stillMissing(const std::string &uri, long step, const engine::Manuscript &manuscript) const;

  /// Whether `paragraph` is (mostly) in `text`: its opening or its closing words are.
  static bool present(const std::string &paragraph, const std::string &text);

private:
  struct Watched {
    long step = 0;
    std::string paragraph;
    bool reported = false;
  };
  std::map<std::string, Watched> watched_;
};

} // namespace recurrent::server
