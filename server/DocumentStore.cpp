// DocumentStore and position conversion (see DocumentStore.h).
#include "server/DocumentStore.h"

#include <algorithm>

namespace recurrent::server {

namespace {
/// A line's text without its line terminator ('\r' of a CRLF included).
std::string_view lineContent(const engine::Manuscript &m, std::uint32_t line) {
  std::string_view text = m.lineText(line);
  if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r')
    text.remove_suffix(1);
  return text;
}
} // namespace

std::size_t toOffset(const engine::Manuscript &m, const protocol::Position &p, protocol::PositionEncoding enc) {
  if (p.line >= m.lineCount())
    return m.text().size();
  return m.lineStart(p.line) + protocol::columnToByte(lineContent(m, p.line), p.character, enc);
}

protocol::Position toPosition(const engine::Manuscript &m, std::size_t offset, protocol::PositionEncoding enc) {
  offset = std::min(offset, m.text().size());
  std::uint32_t line = m.lineOf(offset);
  std::size_t start = m.lineStart(line);
  return {line, protocol::byteToColumn(lineContent(m, line), offset - start, enc)};
}

protocol::Range toRange(const engine::Manuscript &m, std::size_t begin, std::size_t end,
                        protocol::PositionEncoding enc) {
  return {toPosition(m, begin, enc), toPosition(m, end, enc)};
}

const Document &DocumentStore::open(const protocol::TextDocumentItem &item) {
  Document doc{item.uri, item.languageId, item.version, engine::Manuscript(item.text)};
  return documents_.insert_or_assign(item.uri, std::move(doc)).first->second;
}

Status DocumentStore::change(const protocol::DidChangeTextDocumentParams &params, protocol::PositionEncoding enc) {
  auto it = documents_.find(params.textDocument.uri);
  if (it == documents_.end())
    return Error{ErrorKind::InvalidArgument, "didChange for a document that is not open: " + params.textDocument.uri};
  Document &doc = it->second;
  std::optional<Error> problem;
  if (params.textDocument.version <= doc.version)
    problem = Error{ErrorKind::InvalidArgument, "didChange version " + std::to_string(params.textDocument.version) +
                                                    " does not follow " + std::to_string(doc.version) + " for " +
                                                    doc.uri};
  for (std::size_t i = 0; i < params.contentChanges.size(); ++i) {
    const auto &change = params.contentChanges[i];
    if (!change.range) {
      doc.manuscript = engine::Manuscript(change.text);
      continue;
    }
    std::size_t begin = toOffset(doc.manuscript, change.range->start, enc);
    std::size_t end = toOffset(doc.manuscript, change.range->end, enc);
    if (begin > end) {
      problem = Error{ErrorKind::InvalidArgument,
                      "contentChanges[" + std::to_string(i) + "].range: start is after end; change skipped"};
      continue;
    }
    doc.manuscript.replace(begin, end, change.text);
  }
  doc.version = params.textDocument.version;
  if (problem)
    return *problem;
  return okStatus();
}

bool DocumentStore::close(const std::string &uri) { return documents_.erase(uri) > 0; }

const Document *DocumentStore::find(const std::string &uri) const {
  auto it = documents_.find(uri);
  return it == documents_.end() ? nullptr : &it->second;
}

std::vector<std::string> DocumentStore::uris() const {
  std::vector<std::string> out;
  for (const auto &[uri, doc] : documents_)
    out.push_back(uri);
  return out;
}

} // namespace recurrent::server
