#include "server/MemoryViews.h"

#include "protocol/Results.h"
#include "protocol/Uri.h"
#include "server/BibleFeatures.h"
#include "server/LspServer.h"
#include "server/PromptReport.h"

#include <filesystem>
#include <map>

namespace recurrent::server {

using protocol::json;
namespace fs = std::filesystem;

namespace {

/// The book's shape for the writer (recurrent/storyState, recurrent/bookOutline).
protocol::BookView bookView(const engine::BookSnapshot &book) {
  protocol::BookView view{book.layout().root().string(), book.layout().isFolder(), {}};
  for (const auto &c : book.chapters())
    view.chapters.push_back({protocol::pathToUri(c.file.path), c.file.relative, c.title, c.paragraphCount, c.words, {}});
  return view;
}

} // namespace

bool fromJson(const json &v, UriParams &out, const std::string &path, protocol::ParseIssue &issue) {
  protocol::FieldReader o(v, path, issue);
  return o.required("uri", out.uri);
}

void MemoryViews::workspaceSymbol(const protocol::WorkspaceSymbolParams &params, ReplyOnce reply) {
  // One search per book: its memory covers every chapter, open or not.
  struct Source {
    std::shared_ptr<engine::StorySession> session;
    std::shared_ptr<const engine::BookSnapshot> book;
    std::map<fs::path, std::string> openUris; ///< the URIs the editor uses for the open chapters
  };
  auto sources = std::make_shared<std::vector<Source>>();
  json entries = json::array(); // the bible's names first: they are what a writer searches for most
  for (const auto &symbol : s_.server.bible().symbols(params.query))
    entries.push_back(json(symbol));
  for (OpenBook *state : s_.workspace.books()) {
    if (!state->story || params.query.empty())
      continue;
    auto session = s_.workspace.session(*state->uris.begin());
    if (!session)
      continue;
    Source source{*session, s_.workspace.snapshot(*state), {}};
    for (const auto &uri : state->uris)
      if (auto path = protocol::uriToPath(uri))
        source.openUris[path->lexically_normal()] = uri;
    sources->push_back(std::move(source));
  }
  if (sources->empty()) {
    reply(entries);
    return;
  }
  auto encoding = s_.server.positionEncoding();
  s_.background<json>(
      [sources, query = params.query, token = reply.token(), encoding, entries] {
        json symbols = entries;
        for (const auto &source : *sources) {
          auto hits = source.session->memory().search(query, 10, {}, token);
          if (!hits)
            continue;
          const engine::BookSnapshot &book = *source.book;
          std::map<std::size_t, engine::Manuscript> chapterTexts; // for positions in closed chapters
          for (const auto &hit : *hits) {
            auto place = book.place(hit.paragraph);
            if (!place)
              continue;
            const engine::Manuscript *chapter = &book.manuscript(); // a one-file story: the file
            if (book.layout().isFolder()) {
              auto it = chapterTexts.find(place->chapter);
              if (it == chapterTexts.end())
                it = chapterTexts.emplace(place->chapter, engine::Manuscript(std::string(book.chapterText(place->chapter)))).first;
              chapter = &it->second;
            }
            const engine::BookChapter &file = book.chapters()[place->chapter];
            protocol::SymbolInformation symbol;
            symbol.name = "¶" + std::to_string(place->paragraph + 1) + " " +
                          (hit.summary.empty() ? hit.snippet : hit.summary);
            auto open = source.openUris.find(file.file.path);
            symbol.uri = open != source.openUris.end() ? open->second : protocol::pathToUri(file.file.path);
            symbol.range = toRange(*chapter, place->begin, place->end, encoding);
            if (!hit.chapter.empty())
              symbol.containerName = hit.chapter;
            else if (book.layout().isFolder())
              symbol.containerName = file.title;
            symbols.push_back(json(symbol));
          }
        }
        return symbols;
      },
      [reply](json symbols) mutable { reply(std::move(symbols)); });
}

void MemoryViews::storyState(const UriParams &params, ReplyOnce reply) {
  const Document *doc = s_.server.documents().find(params.uri);
  if (!doc) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  const auto &m = doc->manuscript;
  OpenBook *st = s_.workspace.bookOf(params.uri);
  protocol::StoryStateResult result;
  result.counts = {m.paragraphs().size(), 0, m.totalWords(), m.chapters().size()};
  result.bibleFile = !st && isBibleFile(params.uri);
  if ((st && !st->story) || result.bibleFile) {
    // Not a story (yet, or ever: an entry file of the bible): the same shape, empty, so a status bar
    // can say "not a story".
    reply(result);
    return;
  }
  auto session = s_.workspace.session(params.uri);
  if (!session) {
    reply.error(session.error());
    return;
  }
  const auto &s = **session;
  engine::StoryState state = s.state();
  result.counts.memoryEntries = s.memoryEntries();
  // The book as of the last index (the open chapters' latest text is in it after the debounce).
  auto book = st->lastSnapshot ? st->lastSnapshot : s_.workspace.snapshot(*st);
  if (st->layout.isFolder()) // the memory is the book's: so are the counts beside it
    result.counts = {book->manuscript().paragraphs().size(), result.counts.memoryEntries, book->totalWords(),
                     book->chapters().size()};
  result.adopted = true;
  result.title = state.title;
  result.genre = state.genre;
  result.language = state.language;
  result.mode = engine::storyModeName(state.mode);
  result.step = state.step;
  result.shortTermMemory = state.shortTermMemory;
  result.rationale = state.rationale;
  result.plans = state.plans;
  result.outline = state.outline;
  result.provider = s_.workspace.providerOf(st->settings);
  result.model = s.modelDescription();
  result.offline = s.offline();
  result.busy = st->jobs.busy();
  result.indexing = st->jobs.indexing();
  result.readOnly = st->readOnly;
  if (st->readOnly)
    result.readOnlyReason = st->readOnlyReason;
  result.statePath = s.paths().dir.string();
  result.book = bookView(*book);
  reply(result);
}

void MemoryViews::bookOutline(const UriParams &params, ReplyOnce reply) {
  OpenBook *st = s_.workspace.bookOf(params.uri);
  if (!st) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  if (auto session = s_.workspace.session(params.uri); !session) { // not a story yet, or its memory is unreadable
    reply.error(session.error());
    return;
  }
  // Chapter summaries are extractive and cached by chapter text; the first outline of a long
  // book computes them all, so it runs on the pool.
  s_.background<protocol::BookView>(
      [book = st->book, snapshot = s_.workspace.snapshot(*st)] {
        protocol::BookView outline = bookView(*snapshot);
        for (std::size_t i = 0; i < snapshot->chapters().size(); ++i)
          outline.chapters[i].summary = book->chapterSummary(*snapshot, i);
        return outline;
      },
      [reply](const protocol::BookView &outline) mutable { reply(outline); });
}

void MemoryViews::lastPrompt(const UriParams &params, ReplyOnce reply) {
  if (!s_.server.documents().find(params.uri)) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  if (OpenBook *st = s_.workspace.bookOf(params.uri); st && !st->story) {
    reply(json(nullptr)); // no story, no prompt
    return;
  }
  auto session = s_.workspace.session(params.uri);
  if (!session) {
    reply.error(session.error());
    return;
  }
  auto call = (*session)->lastCall();
  if (!call) {
    reply(json(nullptr));
    return;
  }
  protocol::LastPromptResult result;
  result.task = call->task;
  for (const auto &m : call->messages)
    result.messages.push_back({m.role, m.content});
  result.answer = call->answer;
  result.error = call->error;
  result.model = call->model;
  result.promptTokens = call->promptTokens;
  result.completionTokens = call->completionTokens;
  result.attempts = call->attempts;
  result.seconds = call->seconds;
  result.time = call->time;
  if (!call->reasoning.empty())
    result.reasoning = call->reasoning;
  if (call->budget) {
    result.budget = budgetJson(*call->budget);
    result.bible = promptBible(*call->budget);
  }
  reply(result);
}

std::optional<std::string> MemoryViews::summaryFor(const std::string &uri, std::size_t paragraph) const {
  const OpenBook *open = s_.workspace.bookOf(uri);
  const Document *doc = s_.server.documents().find(uri);
  if (!open || !open->session || !doc || paragraph >= doc->manuscript.paragraphs().size())
    return std::nullopt;
  const OpenBook &st = *open;
  std::size_t inBook = paragraph;
  if (st.layout.isFolder()) { // the chapter's place in the book, as the last snapshot had it
    if (!st.lastSnapshot)
      return std::nullopt;
    auto chapter = Workspace::chapterOf(uri, *st.lastSnapshot);
    if (!chapter)
      return std::nullopt;
    inBook = st.lastSnapshot->bookParagraph(*chapter, paragraph);
  }
  auto entry = st.session->memory().entryAt(inBook);
  // Positions shift with edits until the next index: trust the entry only for the same text.
  if (!entry || entry->hash != doc->manuscript.paragraphs()[paragraph].hash)
    return std::nullopt;
  return entry->summary;
}
} // namespace recurrent::server
