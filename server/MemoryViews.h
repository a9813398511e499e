// MemoryViews: what the writer reads of the story's memory: workspace/symbol (the bible's names,
// then the memory's paragraphs of every open book, chapters open or closed), recurrent/storyState,
// recurrent/bookOutline, recurrent/lastPrompt, and a paragraph's summary for hover.
//
// Thread-safety: main strand only (searches and chapter summaries run on the Services' pool).
#pragma once

#include "protocol/LspEditing.h"
#include "server/Services.h"

#include <optional>
#include <string>

namespace recurrent::server {

/// `{uri}`: the params of recurrent/storyState, recurrent/bookOutline and recurrent/lastPrompt.
struct UriParams {
  std::string uri;
};
bool fromJson(const protocol::json &v, UriParams &out, const std::string &path, protocol::ParseIssue &issue);

class MemoryViews {
public:
  explicit MemoryViews(Services &services) : s_(services) {}

  void workspaceSymbol(const protocol::WorkspaceSymbolParams &params, ReplyOnce reply);
  void storyState(const UriParams &params, ReplyOnce reply);
  void bookOutline(const UriParams &params, ReplyOnce reply);
  void lastPrompt(const UriParams &params, ReplyOnce reply);
  /// The long-term memory summary of a paragraph (for hover), if indexed.
  std::optional<std::string> summaryFor(const std::string &uri, std::size_t paragraph) const;

private:
  Services &s_;
};

} // namespace recurrent::server
