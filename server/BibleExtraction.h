// BibleExtraction: recurrent.extractBibleEntries with a model: one call for the chapter's characters,
// places and things (engine/bible/ExtractPrompt), as the book's one job through the book's recorded
// model; BibleFeatures writes the entry files. Offline, or in a file that is not a story, the names
// come from the text (BibleFeatures) and no model is asked.
//
// Thread-safety: main strand only (the model's work runs on the Services' pool).
#pragma once

#include "protocol/Commands.h"
#include "server/Services.h"

namespace recurrent::server {

class BibleExtraction {
public:
  explicit BibleExtraction(Services &services) : s_(services) {}

  void run(const protocol::UriArgs &args, ReplyOnce reply);

private:
  Services &s_;
};

} // namespace recurrent::server
