// ContinuityCheck: the model's continuity check (engine/continuity/ModelCheck): recurrent.check over
// a paragraph, a selection, a chapter or the book, as the book's one job; quietly after a step's new
// paragraph and, with checkOnSave, after a save. Its findings are published by BibleFeatures.
//
// Thread-safety: main strand only (the model's work runs on the Services' pool).
#pragma once

#include "engine/book/BookSnapshot.h"
#include "engine/continuity/ModelCheck.h"
#include "protocol/Commands.h"
#include "server/Services.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace recurrent::server {

class ContinuityCheck {
public:
  explicit ContinuityCheck(Services &services) : s_(services) {}

  /// recurrent.check {uri, scope?, position?, range?}; with the offline stand-in, scope "book" shows
  /// the offline checks of every chapter.
  void run(const protocol::CheckArgs &args, ReplyOnce reply);
  /// The check of a new paragraph (`inserted` at byte `at` of the chapter), after its step: no reply.
  /// Waits for the next didChange when the editor's text does not have it yet.
  void afterStep(const std::string &uri, std::size_t at, const std::string &inserted);
  /// A chapter was saved: with checkOnSave, its paragraphs are checked quietly (the cache skips those
  /// already checked as they are).
  void saved(const std::string &uri);

private:
  /// The check's options for the document's settings (its context window).
  engine::continuity::ModelCheckOptions optionsFor(const std::string &uri) const;
  /// Starts a check of `paragraphs` (book-wide indices), as the book's one job when `reply` is set.
  /// After a `wholeBook` check the closed chapters' findings are published too.
  void start(OpenBook &book, const std::string &uri, std::shared_ptr<const engine::BookSnapshot> snapshot,
             std::vector<std::size_t> paragraphs, std::optional<ReplyOnce> reply, bool wholeBook = false);

  Services &s_;
};

} // namespace recurrent::server
