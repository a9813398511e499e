// The LSP feature handlers: thin translation from requests to Outline over the open document.
#include "server/LspServer.h"
#include "server/Outline.h"

#include <algorithm>

namespace recurrent::server {

const Document *LspServer::documentOrError(const std::string &uri, ReplyOnce &reply) {
  const Document *doc = documents_.find(uri);
  if (!doc)
    reply.error(protocol::ResponseError{protocol::InvalidParams,
                                        "textDocument.uri: document is not open: " + uri, std::nullopt});
  return doc;
}

void LspServer::onDocumentSymbol(const protocol::DocumentSymbolParams &params, ReplyOnce reply) {
  // FIXME: clients without hierarchicalDocumentSymbolSupport get the hierarchy too (every client we
  // target supports it); a flat SymbolInformation[] fallback would go here.
  if (const Document *doc = documentOrError(params.textDocument.uri, reply))
    reply(documentSymbols(doc->manuscript, encoding_));
}

void LspServer::onFoldingRange(const protocol::FoldingRangeParams &params, ReplyOnce reply) {
  if (const Document *doc = documentOrError(params.textDocument.uri, reply))
    reply(foldingRanges(doc->manuscript));
}

void LspServer::onHover(const protocol::HoverParams &params, ReplyOnce reply) {
  const Document *doc = documentOrError(params.textDocument.uri, reply);
  if (!doc)
    return;
  const auto &formats = client_.hoverContentFormat;
  bool markdown = formats.empty() || std::find(formats.begin(), formats.end(), "markdown") != formats.end();
  auto hover = paragraphHover(doc->manuscript, params.position, encoding_, markdown);
  // A bible name: its entry as true at this point comes first.
  if (auto entry = bible_->hover(doc->uri, params.position, markdown)) {
    protocol::Hover named;
    named.contents.kind = markdown ? "markdown" : "plaintext";
    named.contents.value = *entry + (hover ? (markdown ? "\n\n---\n\n" : "\n\n") + hover->contents.value : "");
    reply(named);
    return;
  }
  if (hover) {
    // The long-term memory's summary of the paragraph, once indexed.
    std::size_t offset = toOffset(doc->manuscript, params.position, encoding_);
    if (auto index = doc->manuscript.paragraphBefore(offset + 1))
      if (auto summary = coWriter_->summaryFor(doc->uri, *index))
        hover->contents.value += (markdown ? "\n\n**Memory:** " : "\n\nMemory: ") + *summary;
    reply(*hover);
  }
  else
    reply(nullptr);
}

} // namespace recurrent::server
