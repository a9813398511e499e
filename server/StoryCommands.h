// StoryCommands: the writer's word that makes a story: recurrent.newStory (an opening for an empty
// file), recurrent.adopt (this file's or book's memory and plans), recurrent.makeBook (the folder
// becomes a book, then is adopted), recurrent.newChapter (the book's next chapter file).
//
// Thread-safety: main strand only (the model's work runs on the Services' pool).
#pragma once

#include "protocol/Commands.h"
#include "server/Services.h"

#include <functional>
#include <memory>
#include <string>

namespace recurrent::server {

class StoryCommands {
public:
  /// `joinBook(uri)` moves an open document from its one-file story to the folder book it now belongs to.
  StoryCommands(Services &services, std::function<void(const std::string &)> joinBook)
      : s_(services), joinBook_(std::move(joinBook)) {}

  void newStory(const protocol::NewStoryArgs &args, ReplyOnce reply);
  void adopt(const protocol::AdoptArgs &args, ReplyOnce reply);
  void makeBook(const protocol::AdoptArgs &args, ReplyOnce reply);
  void newChapter(const protocol::NewChapterArgs &args, ReplyOnce reply);

private:
  /// newStory once the new story's state is open.
  void writeOpening(const std::string &uri, const engine::InitInput &input, ReplyOnce reply);
  /// adopt once the story's state is open: asks about the cost first when it is high.
  void adoptOpened(const protocol::AdoptArgs &args, ReplyOnce reply);
  void startAdopt(const protocol::AdoptArgs &args, std::shared_ptr<const engine::Manuscript> snapshot,
                  ReplyOnce reply);

  Services &s_;
  std::function<void(const std::string &)> joinBook_;
};

} // namespace recurrent::server
