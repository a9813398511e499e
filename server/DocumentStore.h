// DocumentStore: the open documents, one engine::Manuscript each, kept in sync with the editor.
//
// Applies didOpen/didChange/didClose: full-text changes rebuild the manuscript; incremental changes
// convert LSP positions (in the negotiated encoding) to byte offsets and go through
// Manuscript::replace, which re-segments only what the edit touched. Also converts back: byte
// offsets to LSP positions for ranges the features return.
// Thread-safety: none; owned and used by the server's main strand only.
#pragma once

#include "engine/manuscript/Manuscript.h"
#include "protocol/Lsp.h"
#include "support/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace recurrent::server {

struct Document {
  std::string uri;
  std::string languageId;
  std::int64_t version = 0;
  engine::Manuscript manuscript;
};

/// Byte offset of an LSP position; lines past the end clamp to the text's end, columns to the line's end.
std::size_t toOffset(const engine::Manuscript &m, const protocol::Position &p, protocol::PositionEncoding enc);
protocol::Position toPosition(const engine::Manuscript &m, std::size_t offset, protocol::PositionEncoding enc);
protocol::Range toRange(const engine::Manuscript &m, std::size_t begin, std::size_t end,
                        protocol::PositionEncoding enc);

class DocumentStore {
public:
  /// Opens (or reopens, replacing) a document.
  const Document &open(const protocol::TextDocumentItem &item);
  /// Applies changes in order. An unknown uri or a reversed range is an InvalidArgument error; a
  /// version that does not increase is accepted (the editor is the source of truth) but reported.
  Status change(const protocol::DidChangeTextDocumentParams &params, protocol::PositionEncoding enc);
  bool close(const std::string &uri);
  const Document *find(const std::string &uri) const;
  std::vector<std::string> uris() const;
  std::size_t size() const { return documents_.size(); }

private:
  std::map<std::string, Document> documents_;
};

} // namespace recurrent::server
