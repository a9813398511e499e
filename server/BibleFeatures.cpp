// BibleFeatures: hover, definition, references, rename and the rest for the bible's names (see BibleFeatures.h).
#include "server/BibleFeatures.h"

#include "server/BibleActions.h"

#include "protocol/Results.h"
#include "protocol/Uri.h"
#include "engine/manuscript/LineRules.h"
#include "server/LineMap.h"
#include "engine/continuity/ModelCheck.h"
#include "server/LspServer.h"
#include "support/Files.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace recurrent::server {
namespace fs = std::filesystem;
using protocol::json;

namespace {

constexpr auto kDiagnosticsDelay = std::chrono::milliseconds(300);
const char *kReferencesCommand = "recurrent.bibleReferences";

fs::path normalised(const fs::path &p) { return fs::absolute(p).lexically_normal(); }

/// ASCII case folding: how the bible compares names (Bible::find).
std::string folded(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string plural(std::size_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

protocol::SymbolKind symbolKind(engine::BibleEntryType type) {
  switch (type) {
  case engine::BibleEntryType::Character: return protocol::SymbolKind::Class;
  case engine::BibleEntryType::Place: return protocol::SymbolKind::Namespace;
  case engine::BibleEntryType::Object: return protocol::SymbolKind::Object;
  case engine::BibleEntryType::Lore: return protocol::SymbolKind::Key;
  case engine::BibleEntryType::Other: break;
  }
  return protocol::SymbolKind::String;
}

} // namespace

bool fromJson(const json &v, ReferenceParams &out, const std::string &path, protocol::ParseIssue &issue) {
  if (!protocol::fromJson(v, out.at, path, issue))
    return false;
  if (const auto context = v.find("context"); context != v.end() && context->is_object())
    out.includeDeclaration = context->value("includeDeclaration", false);
  return true;
}

bool fromJson(const json &v, RenameParams &out, const std::string &path, protocol::ParseIssue &issue) {
  if (!protocol::fromJson(v, out.at, path, issue))
    return false;
  const auto name = v.find("newName");
  if (name == v.end() || !name->is_string()) {
    issue = {path + ".newName", "expected a string"};
    return false;
  }
  out.newName = name->get<std::string>();
  return true;
}

bool fromJson(const json &v, BibleAtParams &out, const std::string &path, protocol::ParseIssue &issue) {
  if (!v.is_object() || !v.contains("uri") || !v["uri"].is_string()) {
    issue = {path + ".uri", "expected a string"};
    return false;
  }
  out.uri = v["uri"].get<std::string>();
  if (v.contains("position") && !v["position"].is_null()) {
    protocol::Position p;
    if (!protocol::fromJson(v["position"], p, path + ".position", issue))
      return false;
    out.position = p;
  }
  return true;
}

struct BibleFeatures::Book {
  explicit Book(const engine::BookLayout &layout) : layout(layout), text(layout) {}
  engine::BookLayout layout;
  engine::BookText text;
  std::unique_ptr<engine::BookBible> index;
  std::map<fs::path, std::string> openChapters;   ///< path -> the editor's URI
  std::map<fs::path, std::string> openBibleFiles; ///< path -> the editor's URI
  std::map<std::string, json> published;          ///< URI -> the diagnostics it shows now
  std::shared_ptr<const engine::BookSnapshot> snapshot;      ///< what `index` reflects
  std::unique_ptr<engine::continuity::ContinuityChecker> checker;
  std::set<std::string> ignored;                              ///< fingerprints the writer dismissed
  std::shared_ptr<engine::continuity::CheckCache> cache;      ///< opened by the first model check
  bool ignoredLoaded = false;
  /// Continuity findings published now, by URI (for the quick fixes).
  std::map<std::string, std::vector<engine::Finding>> findings;
  /// After a book-wide check the closed chapters show their findings too, kept until the bible or the
  /// files on disk change.
  bool showClosedChapters = false;
  std::map<fs::path, json> closedDiagnostics;
  std::shared_ptr<const engine::Bible> closedBible;
  bool diagnosticsDue = false;                           ///< an update is scheduled
  std::map<std::string, std::vector<ReplyOnce>> pulls;   ///< textDocument/diagnostic waiting for it, by URI
  std::set<std::string> pushed;                          ///< URIs whose diagnostics were last pushed
  /// A rename answered but not yet seen in the bible: {old name, new name}.
  std::optional<std::pair<std::string, std::string>> pendingRename;
  std::unique_ptr<asio::steady_timer> timer;
  /// Each open chapter's proper-name candidates, for the version of it and of the bible they were found in.
  struct Candidates {
    std::int64_t version = 0;
    std::shared_ptr<const engine::Bible> bible; ///< null: not computed yet
    std::vector<engine::NameCandidate> names;
  };
  std::map<std::string, Candidates> candidates; ///< by URI
};

BibleFeatures::BibleFeatures(LspServer &server) : server_(server) {}
BibleFeatures::~BibleFeatures() = default;

void BibleFeatures::bind(HandlerTable &table) {
  table.request("textDocument/definition", this, &BibleFeatures::onDefinition);
  table.request("textDocument/declaration", this, &BibleFeatures::onDeclaration);
  table.request("textDocument/references", this, &BibleFeatures::onReferences);
  table.request("textDocument/documentHighlight", this, &BibleFeatures::onDocumentHighlight);
  table.request("textDocument/prepareRename", this, &BibleFeatures::onPrepareRename);
  table.request("textDocument/rename", this, &BibleFeatures::onRename);
  table.request("recurrent/bibleAt", this, &BibleFeatures::onBibleAt);
  table.request("textDocument/diagnostic", this, &BibleFeatures::onDiagnostic);
}

json BibleFeatures::capabilities() const {
  json out{{"definitionProvider", true},
           {"declarationProvider", true},
           {"referencesProvider", true},
           {"documentHighlightProvider", true},
           {"renameProvider", {{"prepareProvider", true}}}};
  // Declared only to a client that pulls; any other gets every diagnostic pushed.
  if (server_.clientCapabilities().pullDiagnostics)
    out["diagnosticProvider"] = {{"identifier", "recurrent"}, {"interFileDependencies", true}, {"workspaceDiagnostics", false}};
  return out;
}

// --- Documents -------------------------------------------------------------------------------

void BibleFeatures::documentOpened(const std::string &uri) {
  auto path = protocol::uriToPath(uri);
  if (!path || engine::BookLayout::isStateFile(*path))
    return;
  auto file = normalised(*path);
  auto [layout, bibleFile] = layoutOf(file);
  auto &book = books_[layout.root().string()];
  if (!book)
    book = std::make_shared<Book>(layout);
  (bibleFile ? book->openBibleFiles : book->openChapters)[file] = uri;
  if (!bibleFile)
    book->text.reloadFromDisk(); // the chapter may be new since the book last listed its files
  docs_[uri] = book;
  scheduleDiagnostics(*book);
}

std::pair<engine::BookLayout, bool> BibleFeatures::layoutOf(const fs::path &file) {
  if (auto owner = engine::bookOfBibleFile(file))
    return {*owner, true};
  if (auto found = engine::BookLayout::find(file); found && (!found->isFolder() || found->isChapter(file)))
    return {*found, false};
  return {engine::BookLayout::singleFile(file), false};
}

void BibleFeatures::booksChanged() {
  std::vector<std::string> moved;
  for (const auto &[uri, book] : docs_)
    if (auto path = protocol::uriToPath(uri); path && layoutOf(normalised(*path)).first.root() != book->layout.root())
      moved.push_back(uri);
  for (const auto &uri : moved) {
    documentClosed(uri);
    documentOpened(uri);
  }
}

void BibleFeatures::documentChanged(const std::string &uri) {
  if (Book *book = bookOf(uri))
    scheduleDiagnostics(*book);
}

void BibleFeatures::documentClosed(const std::string &uri) {
  auto it = docs_.find(uri);
  if (it == docs_.end())
    return;
  auto book = it->second;
  docs_.erase(it);
  book->candidates.erase(uri);
  // A pull waiting for this document is answered now: every request gets its reply. (Reopened in another
  // book, after Make Book, that book's first update asks the client to pull again.)
  if (auto waiting = book->pulls.extract(uri))
    for (auto &reply : waiting.mapped())
      reply(json{{"kind", "full"}, {"items", json::array()}});
  for (auto *open : {&book->openChapters, &book->openBibleFiles})
    for (auto f = open->begin(); f != open->end();)
      if (f->second == uri) {
        // Back to the file on disk: unsaved edits are gone.
        (open == &book->openChapters ? book->text.clearOverlay(f->first) : book->text.clearBibleOverlay(f->first));
        book->closedDiagnostics.erase(f->first); // computed afresh from the file, should it be shown closed
        f = open->erase(f);
      } else
        ++f;
  if (book->openChapters.empty() && book->openBibleFiles.empty()) {
    for (const auto &[uri, shown] : book->published)
      server_.notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
    if (book->timer)
      book->timer->cancel();
    std::erase_if(books_, [&](const auto &entry) { return entry.second == book; });
    return;
  }
  scheduleDiagnostics(*book);
}

void BibleFeatures::filesChanged(const std::vector<fs::path> &paths) {
  std::set<Book *> touched;
  for (const auto &p : paths) {
    auto file = normalised(p);
    for (auto &[root, book] : books_) {
      auto rel = file.lexically_relative(engine::bibleFolder(book->layout));
      if (!rel.empty() && *rel.begin() != "..") {
        book->text.reloadBible();
        touched.insert(book.get());
      } else if (auto inBook = file.lexically_relative(book->layout.root());
                 book->layout.isFolder() ? !inBook.empty() && *inBook.begin() != ".." : file == book->layout.root()) {
        book->text.reloadFromDisk();
        touched.insert(book.get());
      }
    }
  }
  for (Book *book : touched) {
    book->closedDiagnostics.clear();
    scheduleDiagnostics(*book);
  }
}

BibleFeatures::Book *BibleFeatures::bookOf(const std::string &uri) {
  auto it = docs_.find(uri);
  return it == docs_.end() ? nullptr : it->second.get();
}

engine::BookBible *BibleFeatures::current(Book &book) {
  for (const auto &[path, uri] : book.openBibleFiles)
    if (const Document *doc = server_.documents().find(uri))
      book.text.setBibleOverlay(path, doc->manuscript.text());
  auto bible = book.text.bible();
  if (bible->entries.empty()) {
    book.index.reset();
    return nullptr;
  }
  for (const auto &[path, uri] : book.openChapters)
    if (const Document *doc = server_.documents().find(uri))
      book.text.setOverlay(path, doc->manuscript.text()); // a no-op when the text is the same
  auto snapshot = book.text.snapshot();
  book.snapshot = snapshot;
  if (!book.index || book.index->biblePtr() != bible) {
    book.index = std::make_unique<engine::BookBible>(bible, *snapshot);
    book.checker = std::make_unique<engine::continuity::ContinuityChecker>(*book.index, *snapshot);
    if (!book.checker->dictionaryNotice().empty())
      spdlog::info("{}", book.checker->dictionaryNotice());
    if (auto rename = book.pendingRename; rename && bible->find(rename->second) && !bible->find(rename->first)) {
      book.pendingRename.reset();
      if (renamed)
        renamed(book.layout, rename->first, rename->second);
    }
  } else {
    book.index->update(*snapshot);
    book.checker->update(*snapshot);
  }
  return book.index.get();
}

// --- Positions -------------------------------------------------------------------------------

std::string BibleFeatures::uriOf(const Book &book, const fs::path &file) const {
  auto p = normalised(file);
  for (const auto *open : {&book.openChapters, &book.openBibleFiles})
    if (auto it = open->find(p); it != open->end())
      return it->second;
  return protocol::pathToUri(p);
}

std::string BibleFeatures::bibleFileText(const Book &book, const fs::path &file) const {
  if (auto it = book.openBibleFiles.find(normalised(file)); it != book.openBibleFiles.end())
    if (const Document *doc = server_.documents().find(it->second))
      return doc->manuscript.text();
  auto text = readFile(file);
  return text ? *text : std::string();
}

protocol::Location BibleFeatures::entryLocation(const Book &book, std::size_t entry) const {
  const auto &e = book.index->bible().entries.at(entry);
  std::string text = bibleFileText(book, e.file);
  LineMap lines(text);
  auto start = lines.offset({e.line, 0}, server_.positionEncoding());
  auto end = text.find('\n', start);
  return {uriOf(book, e.file), lines.range(start, end == std::string::npos ? text.size() : end, server_.positionEncoding())};
}

protocol::Location BibleFeatures::mentionLocation(const Book &book, const engine::Mention &m) const {
  LineMap lines(book.index->chapterText(m.chapter));
  return {uriOf(book, book.index->chapterFiles().at(m.chapter)), lines.range(m.begin, m.end, server_.positionEncoding())};
}

std::optional<BibleFeatures::Target> BibleFeatures::targetAt(const std::string &uri, const protocol::Position &position) {
  Book *book = bookOf(uri);
  auto path = protocol::uriToPath(uri);
  if (!book || !path)
    return std::nullopt;
  engine::BookBible *bible = current(*book);
  if (!bible)
    return std::nullopt;
  auto file = normalised(*path);
  if (book->openBibleFiles.count(file)) {
    if (auto entry = bible->entryAtHeading(file, position.line))
      return Target{book, *entry, std::nullopt, position.line};
    return std::nullopt;
  }
  const auto &files = bible->chapterFiles();
  auto chapter = std::find(files.begin(), files.end(), file);
  if (chapter == files.end())
    return std::nullopt;
  auto index = static_cast<std::size_t>(chapter - files.begin());
  LineMap lines(bible->chapterText(index));
  auto mention = bible->mentionAt(index, lines.offset(position, server_.positionEncoding()));
  if (!mention)
    return std::nullopt;
  return Target{book, mention->entry, mention, std::nullopt};
}

// --- Navigation ------------------------------------------------------------------------------

void BibleFeatures::onDefinition(const protocol::TextDocumentPositionParams &params, ReplyOnce reply) {
  auto target = targetAt(params.textDocument.uri, params.position);
  if (!target || !target->mention) {
    reply(nullptr);
    return;
  }
  reply(json(entryLocation(*target->book, target->entry)));
}

void BibleFeatures::onDeclaration(const protocol::TextDocumentPositionParams &params, ReplyOnce reply) {
  auto target = targetAt(params.textDocument.uri, params.position);
  if (!target) {
    reply(nullptr);
    return;
  }
  auto first = target->book->index->mentions().firstAppearance(target->entry);
  if (!first) {
    reply(nullptr);
    return;
  }
  reply(json(mentionLocation(*target->book, *first)));
}

void BibleFeatures::onReferences(const ReferenceParams &params, ReplyOnce reply) {
  auto target = targetAt(params.at.textDocument.uri, params.at.position);
  json out = json::array();
  if (!target) {
    reply(out);
    return;
  }
  const Book &book = *target->book;
  if (params.includeDeclaration)
    out.push_back(json(entryLocation(book, target->entry)));
  // One LineMap per chapter, built once: mentions come in book order.
  std::optional<std::size_t> mapped;
  std::optional<LineMap> lines;
  std::string uri;
  for (const auto &m : book.index->mentions().mentionsOf(target->entry)) {
    if (m.excluded)
      continue;
    if (mapped != m.chapter) {
      lines.emplace(book.index->chapterText(m.chapter));
      uri = uriOf(book, book.index->chapterFiles()[m.chapter]);
      mapped = m.chapter;
    }
    out.push_back(json(protocol::Location{uri, lines->range(m.begin, m.end, server_.positionEncoding())}));
  }
  reply(out);
}

void BibleFeatures::onDocumentHighlight(const protocol::TextDocumentPositionParams &params, ReplyOnce reply) {
  auto target = targetAt(params.textDocument.uri, params.position);
  json out = json::array();
  if (!target || !target->mention) {
    reply(out);
    return;
  }
  const auto &index = *target->book->index;
  LineMap lines(index.chapterText(target->mention->chapter));
  for (const auto &m : index.mentions().chapterMentions(target->mention->chapter))
    if (m.entry == target->entry && !m.excluded)
      out.push_back({{"range", lines.range(m.begin, m.end, server_.positionEncoding())}, {"kind", 1}});
  reply(out);
}

// --- Rename ----------------------------------------------------------------------------------

namespace {

/// The name or alias a mention's text is (what a rename replaces), or nullopt for a key's match.
std::optional<std::string> spelledName(const engine::BibleEntry &entry, std::string_view text) {
  auto f = folded(text);
  if (folded(entry.name) == f)
    return entry.name;
  for (const auto &alias : entry.aliases)
    if (folded(alias) == f)
      return alias;
  return std::nullopt;
}

/// Where `name` sits in a heading line ("# Ana Petrova", "## Ana"): its byte range in the line.
std::optional<std::pair<std::size_t, std::size_t>> nameInHeading(std::string_view line, std::string_view name) {
  auto at = line.find(name);
  if (at == std::string_view::npos)
    return std::nullopt;
  return std::make_pair(at, at + name.size());
}

} // namespace

void BibleFeatures::onPrepareRename(const protocol::TextDocumentPositionParams &params, ReplyOnce reply) {
  auto target = targetAt(params.textDocument.uri, params.position);
  if (!target) {
    reply.error(invalidParams("rename works on the story bible's names: put the cursor on a name or alias of an "
                              "entry, or on an entry's heading"));
    return;
  }
  const auto &index = *target->book->index;
  const auto &entry = index.bible().entries[target->entry];
  if (target->mention) {
    const auto &m = *target->mention;
    auto text = index.chapterText(m.chapter).substr(m.begin, m.end - m.begin);
    if (!spelledName(entry, text)) {
      reply.error(invalidParams("‘" + std::string(text) + "’ is found by a key pattern of " + entry.name +
                                ": rename the entry's name or an alias instead"));
      return;
    }
    LineMap lines(index.chapterText(m.chapter));
    reply({{"range", lines.range(m.begin, m.end, server_.positionEncoding())}, {"placeholder", std::string(text)}});
    return;
  }
  std::string text = bibleFileText(*target->book, entry.file);
  LineMap lines(text);
  auto start = lines.offset({entry.line, 0}, server_.positionEncoding());
  auto end = std::min(text.find('\n', start), text.size());
  auto at = nameInHeading(std::string_view(text).substr(start, end - start), entry.name);
  if (!at) {
    reply(nullptr);
    return;
  }
  reply({{"range", lines.range(start + at->first, start + at->second, server_.positionEncoding())},
         {"placeholder", entry.name}});
}

void BibleFeatures::onRename(const RenameParams &params, ReplyOnce reply) {
  auto target = targetAt(params.at.textDocument.uri, params.at.position);
  if (!target) {
    reply.error(invalidParams("rename works on the story bible's names: put the cursor on a name or alias"));
    return;
  }
  Book &book = *target->book;
  const auto &index = *book.index;
  const auto &bible = index.bible();
  const auto &entry = bible.entries[target->entry];
  std::optional<std::string> oldName = entry.name;
  if (target->mention)
    oldName = spelledName(entry, index.chapterText(target->mention->chapter)
                                     .substr(target->mention->begin, target->mention->end - target->mention->begin));
  std::string newName(engine::lines::trim(params.newName));
  if (!oldName) {
    reply.error(invalidParams("this mention is found by a key pattern of " + entry.name + ": rename a name instead"));
    return;
  }
  if (newName.empty() || newName.find_first_of("\r\n") != std::string::npos) {
    reply.error(invalidParams("a new name is one line of text"));
    return;
  }
  if (auto other = bible.find(newName); other && *other != target->entry) {
    reply.error(invalidParams("‘" + newName + "’ is already a name of " + bible.entries[*other].name +
                              " in the bible: choose another name"));
    return;
  }
  const bool annotate = server_.clientCapabilities().documentChanges && server_.clientCapabilities().changeAnnotations;
  const auto enc = server_.positionEncoding();
  const auto oldFolded = folded(*oldName);
  std::map<std::string, json> editsByUri; // uri -> TextEdit[] (in file order)
  std::size_t certain = 0, uncertain = 0, skipped = 0;
  auto addEdit = [&](const std::string &uri, const protocol::Range &range, bool sure) {
    if (!sure && !annotate) {
      ++skipped;
      return;
    }
    json edit = {{"range", range}, {"newText", newName}};
    if (!sure)
      edit["annotationId"] = "uncertain";
    (sure ? certain : uncertain)++;
    editsByUri[uri].push_back(std::move(edit));
  };
  // The chapters, open or closed: every mention spelled as the renamed name.
  std::optional<std::size_t> mapped;
  std::optional<LineMap> chapterLines;
  for (const auto &m : index.mentions().mentionsOf(target->entry)) {
    auto text = index.chapterText(m.chapter).substr(m.begin, m.end - m.begin);
    if (folded(text) != oldFolded)
      continue;
    if (mapped != m.chapter) {
      chapterLines.emplace(index.chapterText(m.chapter));
      mapped = m.chapter;
    }
    addEdit(uriOf(book, index.chapterFiles()[m.chapter]), chapterLines->range(m.begin, m.end, enc),
            !m.caseFolded && !m.excluded);
  }
  // The bible's own files: the heading or alias, and the name wherever another entry's text uses it.
  std::set<fs::path> bibleFiles;
  for (const auto &e : bible.entries)
    bibleFiles.insert(e.file);
  for (const auto &file : bibleFiles) {
    std::string text = bibleFileText(book, file);
    LineMap lines(text);
    for (const auto &m : index.mentions().scan(text))
      if (m.entry == target->entry && folded(std::string_view(text).substr(m.begin, m.end - m.begin)) == oldFolded)
        addEdit(uriOf(book, file), lines.range(m.begin, m.end, enc), !m.caseFolded && !m.excluded);
  }
  json result = json::object();
  if (annotate) {
    json changes = json::array();
    for (auto &[uri, edits] : editsByUri) {
      json version = nullptr;
      if (const Document *doc = server_.documents().find(uri))
        version = doc->version;
      changes.push_back({{"textDocument", {{"uri", uri}, {"version", version}}}, {"edits", std::move(edits)}});
    }
    result["documentChanges"] = std::move(changes);
    if (uncertain > 0)
      result["changeAnnotations"] = {
          {"uncertain",
           {{"label", "Uncertain mention of " + *oldName},
            {"description", "the case differs, or it is inside an exclusion of " + entry.name},
            {"needsConfirmation", true}}}};
  } else {
    json changes = json::object();
    for (auto &[uri, edits] : editsByUri)
      changes[uri] = std::move(edits);
    result["changes"] = std::move(changes);
  }
  spdlog::info("rename {} -> {}: {} certain, {} uncertain, {} left out", *oldName, newName, certain, uncertain, skipped);
  book.pendingRename = std::make_pair(*oldName, newName);
  if (skipped > 0)
    server_.notify("window/showMessage",
                   json(protocol::ShowMessageParams{
                       protocol::MessageType::Info,
                       "recurrent: renamed " + plural(certain, "mention") + " of ‘" + *oldName + "’; left " +
                           plural(skipped, "uncertain mention") +
                           " as they were (the case differs, or they sit inside an exclusion): Find All References "
                           "lists them"}));
  reply(std::move(result));
}

// --- Hover, symbols, lenses, bibleAt ---------------------------------------------------------

namespace {

std::string describeState(const engine::BibleEntry &entry, const engine::EntryState &state, bool markdown) {
  std::string out = markdown ? "**" + entry.name + "** · " + engine::bibleEntryTypeName(entry.type)
                             : entry.name + " (" + engine::bibleEntryTypeName(entry.type) + ")";
  if (!entry.aliases.empty()) {
    out += markdown ? "  \n*also* " : "\nalso ";
    for (std::size_t i = 0; i < entry.aliases.size(); ++i)
      out += (i ? ", " : "") + entry.aliases[i];
  }
  if (!state.description.empty())
    out += "\n\n" + state.description;
  if (!state.details.empty()) {
    out += "\n";
    for (const auto &d : state.details)
      out += "\n- " + d.key + ": " + d.value;
  }
  if (!state.facts.empty()) {
    out += markdown ? "\n\n**Facts so far:**" : "\n\nFacts so far:";
    for (const auto &f : state.facts)
      out += "\n- " + f.text;
  }
  return out;
}

} // namespace

std::optional<std::string> BibleFeatures::hover(const std::string &uri, const protocol::Position &position,
                                                bool markdown) {
  auto target = targetAt(uri, position);
  if (!target)
    return std::nullopt;
  const auto &index = *target->book->index;
  const auto &entry = index.bible().entries[target->entry];
  engine::EntryState state =
      target->mention ? index.facts().at(index.bible(), target->entry, target->mention->chapter, target->mention->end)
                      : index.facts().at(index.bible(), target->entry, index.chapterFiles().size(), 0);
  std::string out = describeState(entry, state, markdown);
  std::size_t count = index.mentions().mentionCount(target->entry);
  out += "\n\n" + plural(count, "mention");
  if (auto first = index.mentions().firstAppearance(target->entry))
    out += " · first in " + index.chapterFiles()[first->chapter].filename().string() + ", line " +
           std::to_string(LineMap(index.chapterText(first->chapter)).position(first->begin, server_.positionEncoding()).line + 1);
  return out;
}

std::vector<protocol::SymbolInformation> BibleFeatures::symbols(const std::string &query) {
  std::vector<protocol::SymbolInformation> out;
  auto q = folded(query);
  for (auto &[root, book] : books_) {
    engine::BookBible *bible = current(*book);
    if (!bible)
      continue;
    for (std::size_t i = 0; i < bible->bible().entries.size(); ++i) {
      const auto &e = bible->bible().entries[i];
      bool match = folded(e.name).find(q) != std::string::npos;
      for (const auto &alias : e.aliases)
        match = match || folded(alias).find(q) != std::string::npos;
      if (!match)
        continue;
      auto location = entryLocation(*book, i);
      out.push_back({e.name, symbolKind(e.type), location.uri, location.range, std::string("story bible")});
    }
  }
  return out;
}

std::vector<protocol::CodeLens> BibleFeatures::codeLenses(const std::string &uri) {
  std::vector<protocol::CodeLens> out;
  Book *book = bookOf(uri);
  auto path = protocol::uriToPath(uri);
  if (!book || !path || !book->openBibleFiles.count(normalised(*path)))
    return out;
  engine::BookBible *bible = current(*book);
  if (!bible)
    return out;
  auto file = normalised(*path);
  for (std::size_t i = 0; i < bible->bible().entries.size(); ++i) {
    const auto &e = bible->bible().entries[i];
    if (e.file != file)
      continue;
    std::size_t count = bible->mentions().mentionCount(i);
    std::string title = count == 0 ? "no mentions yet" : plural(count, "mention");
    if (auto first = bible->mentions().firstAppearance(i))
      title += " · first in " + bible->chapterFiles()[first->chapter].filename().string();
    protocol::Range range{{e.line, 0}, {e.line, 0}};
    out.push_back({range, protocol::Command{title, kReferencesCommand,
                                            json::array({{{"uri", uri}, {"position", protocol::Position{e.line, 0}}}})}});
  }
  return out;
}

void BibleFeatures::onBibleAt(const BibleAtParams &params, ReplyOnce reply) {
  Book *book = bookOf(params.uri);
  if (!book) {
    reply.error(invalidParams("the document is not open: " + params.uri));
    return;
  }
  engine::BookBible *bible = current(*book);
  protocol::BibleAtResult result;
  result.folder = engine::bibleFolder(book->layout).string();
  if (!bible) {
    reply(result);
    return;
  }
  // The point: a position in a chapter, else the end of the book.
  std::size_t chapter = bible->chapterFiles().size(), offset = 0;
  if (auto path = protocol::uriToPath(params.uri); path && params.position) {
    const auto &files = bible->chapterFiles();
    if (auto it = std::find(files.begin(), files.end(), normalised(*path)); it != files.end()) {
      chapter = static_cast<std::size_t>(it - files.begin());
      offset = LineMap(bible->chapterText(chapter)).offset(*params.position, server_.positionEncoding());
      // The entries named in the paragraph around the point.
      auto [from, to] = paragraphAround(bible->chapterText(chapter), offset);
      std::set<std::size_t> named;
      for (const auto &m : bible->mentions().chapterMentions(chapter))
        if (m.begin >= from && m.end <= to && !m.excluded && named.insert(m.entry).second)
          result.here.push_back(bible->bible().entries[m.entry].name);
    }
  }
  for (std::size_t i = 0; i < bible->bible().entries.size(); ++i) {
    const auto &e = bible->bible().entries[i];
    auto state = bible->facts().at(bible->bible(), i, chapter, offset);
    protocol::BibleEntryAt item;
    item.name = e.name;
    item.type = engine::bibleEntryTypeName(e.type);
    item.aliases = e.aliases;
    item.include = engine::bibleIncludeName(e.include);
    item.description = state.description;
    for (const auto &d : state.details)
      item.details.push_back({d.key, d.value});
    for (const auto &f : state.facts)
      item.facts.push_back({f.text, bible->chapterFiles()[f.chapter].filename().string(), f.line});
    item.mentions = bible->mentions().mentionCount(i);
    item.location = entryLocation(*book, i);
    if (auto first = bible->mentions().firstAppearance(i))
      item.first = mentionLocation(*book, *first);
    result.entries.push_back(std::move(item));
  }
  reply(result);
}

// --- Diagnostics -----------------------------------------------------------------------------

bool BibleFeatures::pulled(const std::string &uri) const {
  return server_.clientCapabilities().pullDiagnostics && docs_.count(uri);
}

void BibleFeatures::onDiagnostic(const protocol::DocumentDiagnosticParams &params, ReplyOnce reply) {
  const std::string &uri = params.textDocument.uri;
  Book *book = bookOf(uri);
  if (book && book->diagnosticsDue) { // answered by the update on its way, not with what it replaces
    book->pulls[uri].push_back(std::move(reply));
    return;
  }
  json items = json::array();
  if (book)
    if (auto shown = book->published.find(uri); shown != book->published.end())
      items = shown->second;
  reply(json{{"kind", "full"}, {"items", items}});
}

void BibleFeatures::scheduleDiagnostics(Book &book) {
  book.diagnosticsDue = true;
  if (!book.timer)
    book.timer = std::make_unique<asio::steady_timer>(server_.ioContext());
  book.timer->expires_after(kDiagnosticsDelay);
  book.timer->async_wait([this, root = book.layout.root().string()](const std::error_code &ec) {
    if (ec)
      return;
    if (auto it = books_.find(root); it != books_.end())
      publishDiagnostics(*it->second);
  });
}

namespace {

/// docs/checks.md, which explains each finding's code, as a file URI: beside the binary in the VS Code
/// package, or in the source tree above the build folder; empty when neither has it.
const std::string &checksHelpUri() {
  static const std::string uri = [] {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
      return std::string();
    for (const auto &candidate : {exe.parent_path() / "checks.md", exe.parent_path().parent_path() / "docs" / "checks.md"})
      if (fs::is_regular_file(candidate, ec))
        return protocol::pathToUri(candidate);
    return std::string();
  }();
  return uri;
}

int lspSeverity(engine::FindingSeverity s) {
  switch (s) {
  case engine::FindingSeverity::Warning: return 2;
  case engine::FindingSeverity::Information: return 3;
  case engine::FindingSeverity::Hint: break;
  }
  return 4;
}

/// The fact that makes a finding's text canon, as {target, text} ({"Ana.status", "alive"}, {"Natasha
/// Rostova", "green eyes"}), if any.
std::optional<std::pair<std::string, std::string>> canonFact(const engine::Finding &f, const engine::BookBible &index) {
  if (f.entry.empty() || f.code == "name-misspelling" || f.code == "pov-drift" || f.code == "narrative-style")
    return std::nullopt;
  if (f.code == "dead-character-acts")
    return std::make_pair(f.entry + ".status", std::string("alive"));
  auto text = index.chapterText(f.chapter);
  if (f.end > text.size() || f.begin >= f.end)
    return std::nullopt;
  std::string quote(text.substr(f.begin, f.end - f.begin));
  if (quote.find("-->") != std::string::npos || quote.find('\n') != std::string::npos)
    return std::nullopt;
  return std::make_pair(f.entry, quote);
}

fs::path ignoredFile(const engine::BookLayout &layout) { return layout.paths().dir / "ignored-findings.json"; }

} // namespace

void BibleFeatures::loadIgnored(Book &book) {
  if (book.ignoredLoaded)
    return;
  book.ignoredLoaded = true;
  auto text = readFile(ignoredFile(book.layout));
  if (!text)
    return;
  auto j = json::parse(*text, nullptr, false);
  if (j.is_object() && j["ignored"].is_array())
    for (const auto &f : j["ignored"])
      if (f.is_string())
        book.ignored.insert(f.get<std::string>());
}

void BibleFeatures::addContinuity(Book &book, std::map<std::string, json> &byUri) {
  loadIgnored(book);
  book.findings.clear();
  // The model's findings are the ones its cache holds for the paragraphs as they are now: an edited
  // paragraph's are gone until it is checked again.
  if (!book.cache && fs::exists(engine::continuity::CheckCache::fileFor(book.layout.paths())))
    book.cache = engine::continuity::CheckCache::open(engine::continuity::CheckCache::fileFor(book.layout.paths()));
  for (const auto &[path, uri] : book.openChapters)
    if (auto chapter = book.snapshot->chapterIndex(path))
      if (json diagnostics = chapterDiagnostics(book, *chapter, &book.findings[uri]); !diagnostics.empty())
        byUri[uri] = std::move(diagnostics);
  if (!book.showClosedChapters)
    return;
  // Closed chapters keep what the book-wide check found, recomputed only when the bible or the files on
  // disk change: they are not edited, and a whole book's checks on every keystroke would be too slow.
  if (book.closedBible != book.text.bible()) {
    book.closedDiagnostics.clear();
    book.closedBible = book.text.bible();
  }
  const auto &files = book.index->chapterFiles();
  for (std::size_t c = 0; c < files.size(); ++c) {
    if (book.openChapters.count(files[c]))
      continue;
    const std::string uri = uriOf(book, files[c]);
    auto it = book.closedDiagnostics.find(files[c]);
    if (it == book.closedDiagnostics.end())
      it = book.closedDiagnostics.emplace(files[c], chapterDiagnostics(book, c, nullptr)).first;
    if (!it->second.empty())
      byUri[uri] = it->second;
  }
}

protocol::Location BibleFeatures::sourceLocation(const Book &book, const engine::FindingSource &source) const {
  std::string text = source.kind == engine::FindingSource::Kind::BibleEntry ? bibleFileText(book, source.file)
                                                                            : std::string();
  if (auto c = book.snapshot->chapterIndex(source.file))
    text = std::string(book.snapshot->chapterText(*c));
  LineMap lines(text);
  const auto enc = server_.positionEncoding();
  auto start = lines.offset({source.line, 0}, enc);
  return {uriOf(book, source.file), lines.range(start, std::min(text.find('\n', start), text.size()), enc)};
}

json BibleFeatures::chapterDiagnostics(Book &book, std::size_t chapter, std::vector<engine::Finding> *kept) {
  const auto &index = *book.index;
  const auto enc = server_.positionEncoding();
  auto findings = book.checker->checkChapter(index, *book.snapshot, chapter);
  if (book.cache) {
    engine::continuity::ModelChecker stored(nullptr, book.cache);
    engine::continuity::CheckBook checked;
    checked.snapshot = book.snapshot;
    checked.bible = index.biblePtr();
    checked.names = &index;
    for (auto &f : stored.stored(checked, engine::continuity::chapterParagraphs(*book.snapshot, chapter)).findings)
      findings.push_back(std::move(f));
  }
  LineMap lines(index.chapterText(chapter));
  json diagnostics = json::array();
  for (auto &f : findings) {
    if (book.ignored.count(f.fingerprint))
      continue;
    json related = json::array();
    for (const auto &source : f.sources)
      related.push_back({{"location", sourceLocation(book, source)},
                         {"message", source.quote.empty() ? std::string("the bible says so here") : source.quote}});
    json diagnostic = {{"range", lines.range(f.begin, f.end, enc)},
                       {"severity", lspSeverity(f.severity)},
                       {"source", "recurrent"},
                       {"code", f.code},
                       {"message", f.message},
                       {"relatedInformation", related},
                       {"data", {{"fingerprint", f.fingerprint}}}};
    if (server_.clientCapabilities().diagnosticCodeDescription && !checksHelpUri().empty())
      diagnostic["codeDescription"] = {{"href", checksHelpUri() + "#" + f.code}};
    diagnostics.push_back(std::move(diagnostic));
    if (kept)
      kept->push_back(std::move(f));
  }
  return diagnostics;
}

std::shared_ptr<engine::continuity::CheckCache> BibleFeatures::checkCache(const std::string &uri) {
  Book *book = bookOf(uri);
  if (!book)
    return nullptr;
  if (!book->cache)
    book->cache = engine::continuity::CheckCache::open(engine::continuity::CheckCache::fileFor(book->layout.paths()));
  return book->cache;
}

std::size_t BibleFeatures::findingsChanged(const std::string &uri, bool wholeBook) {
  Book *book = bookOf(uri);
  if (!book)
    return 0;
  if (wholeBook) {
    book->showClosedChapters = true;
    book->closedDiagnostics.clear();
  }
  publishDiagnostics(*book);
  std::size_t count = 0;
  for (const auto &[uri, findings] : book->findings)
    count += findings.size();
  for (const auto &[path, diagnostics] : book->closedDiagnostics)
    count += diagnostics.size();
  return count;
}

std::vector<json> BibleFeatures::codeActions(const std::string &uri, const protocol::Range &range) {
  std::vector<json> out = quickFixes(uri, range);
  for (auto &action : bibleActions(uri, range))
    out.push_back(std::move(action));
  return out;
}

std::optional<ChapterView> BibleFeatures::chapterView(const std::string &uri, const std::string &text) {
  Book *book = bookOf(uri);
  auto path = protocol::uriToPath(uri);
  if (!book || !path || book->openBibleFiles.count(normalised(*path)))
    return std::nullopt;
  // Files are created only beside a story or a bible the writer made: never by surprise beside any file.
  std::error_code ec;
  const auto folder = engine::bibleFolder(book->layout);
  if (!book->layout.hasState() && !fs::is_directory(folder, ec))
    return std::nullopt;
  engine::BookBible *index = current(*book);
  ChapterView view;
  view.uri = uri;
  view.bible = book->text.bible();
  view.folder = folder;
  view.root = book->layout.root();
  view.encoding = server_.positionEncoding();
  view.createFiles = server_.clientCapabilities().documentChanges && server_.clientCapabilities().createFiles;
  view.text = text;
  if (index && book->snapshot)
    if (auto chapter = book->snapshot->chapterIndex(normalised(*path)); chapter && index->chapterText(*chapter) == text) {
      view.index = index;
      view.chapter = chapter;
    }
  return view;
}

std::vector<json> BibleFeatures::bibleActions(const std::string &uri, const protocol::Range &range) {
  const Document *doc = server_.documents().find(uri);
  if (!doc)
    return {};
  const std::string text = doc->manuscript.text();
  auto view = chapterView(uri, text);
  if (!view)
    return {};
  // The candidates are a scan of the whole chapter: once per version of it and of the bible, and for a
  // long one (a whole novel in one file) only when the writer runs the command.
  auto &cached = bookOf(uri)->candidates[uri];
  if (text.size() <= kListedCandidatesUpTo && (cached.version != doc->version || cached.bible != view->bible))
    cached = {doc->version, view->bible, nameCandidatesOf(*view)};
  if (text.size() <= kListedCandidatesUpTo)
    view->candidates = &cached.names;
  return server::bibleActions(*view, range);
}

std::vector<json> BibleFeatures::quickFixes(const std::string &uri, const protocol::Range &range) {
  std::vector<json> out;
  Book *book = bookOf(uri);
  if (!book || !book->index || !book->snapshot)
    return out;
  auto found = book->findings.find(uri);
  auto path = protocol::uriToPath(uri);
  auto chapter = path ? book->snapshot->chapterIndex(*path) : std::nullopt;
  if (found == book->findings.end() || !chapter)
    return out;
  const auto enc = server_.positionEncoding();
  LineMap lines(book->index->chapterText(*chapter));
  auto before = [](const protocol::Position &a, const protocol::Position &b) {
    return a.line < b.line || (a.line == b.line && a.character < b.character);
  };
  for (const auto &f : found->second) {
    auto where = lines.range(f.begin, f.end, enc);
    if (before(where.end, range.start) || before(range.end, where.start))
      continue; // not under the cursor or selection
    if (f.replacement)
      out.push_back({{"title", "Use ‘" + *f.replacement + "’"},
                     {"kind", "quickfix"},
                     {"isPreferred", true},
                     {"edit", {{"changes", {{uri, json::array({{{"range", where}, {"newText", *f.replacement}}})}}}}}});
    if (auto fact = canonFact(f, *book->index)) {
      // The fact goes above the paragraph: a fact is true from its comment on, so the text becomes canon.
      auto at = lines.position(paragraphAround(book->index->chapterText(*chapter), f.begin).first, enc);
      out.push_back({{"title", "This changed here: record a fact (" + fact->first + ": " + fact->second + ")"},
                     {"kind", "quickfix"},
                     {"edit", {{"changes", {{uri, json::array({{{"range", protocol::Range{at, at}},
                                                                 {"newText", engine::factComment(fact->first, fact->second) + "\n\n"}}})}}}}}});
    }
    for (const auto &source : f.sources) {
      // The passage a finding contradicts, one click away (VS Code lists it under the diagnostic too).
      auto where = sourceLocation(*book, source);
      out.push_back({{"title", "Show the other passage (" + source.file.filename().string() + ":" + std::to_string(source.line + 1) + ")"},
                     {"kind", "quickfix"},
                     {"command", json(protocol::Command{"Show the other passage", kShowPassageCommand,
                                                        json::array({json(where)})})}});
    }
    out.push_back({{"title", "Ignore (intentional): " + f.message},
                   {"kind", "quickfix"},
                   {"command", json(protocol::Command{"Ignore (intentional)", kIgnoreFindingCommand,
                                                      json::array({{{"uri", uri}, {"fingerprint", f.fingerprint}}})})}});
  }
  return out;
}

bool BibleFeatures::executeCommand(const protocol::ExecuteCommandParams &params, ReplyOnce &reply) {
  const json args = params.arguments.empty() ? json::object() : params.arguments[0];
  if (params.command == kExtractBibleEntriesCommand) {
    runExtract(args, reply);
    return true;
  }
  if (params.command == kShowPassageCommand) {
    showPassage(args, reply);
    return true;
  }
  if (params.command != kIgnoreFindingCommand)
    return false;
  Book *book = args.is_object() && args.contains("uri") && args["uri"].is_string() ? bookOf(args["uri"].get<std::string>())
                                                                                  : nullptr;
  if (!book || !args.contains("fingerprint") || !args["fingerprint"].is_string()) {
    reply.error(invalidParams("invalid params: arguments[0]: recurrent.ignoreFinding needs {uri, fingerprint} of an open "
                              "document"));
    return true;
  }
  loadIgnored(*book);
  book->ignored.insert(args["fingerprint"].get<std::string>());
  book->closedDiagnostics.clear();
  // Kept beside the story's state when the book has one (a folder book's marker folder, or an adopted
  // story); else for this session only, so nothing is written beside a file that is not a story.
  std::error_code ec;
  if (fs::is_directory(book->layout.paths().dir, ec)) {
    json list = json::array();
    for (const auto &f : book->ignored)
      list.push_back(f);
    if (auto s = writeFileAtomically(ignoredFile(book->layout), json{{"ignored", list}}.dump(2) + "\n"); !s.ok())
      spdlog::warn("could not save {}: {}", ignoredFile(book->layout).string(), s.error().message);
  }
  publishDiagnostics(*book);
  reply(nullptr);
  return true;
}

void BibleFeatures::showPassage(const json &args, ReplyOnce &reply) {
  protocol::Location where;
  protocol::ParseIssue issue;
  if (!args.is_object() || !args.contains("uri") || !args["uri"].is_string() || !args.contains("range") ||
      !protocol::fromJson(args["range"], where.range, "arguments[0].range", issue)) {
    reply.error(invalidParams("invalid params: arguments[0]: recurrent.showPassage needs {uri, range}"));
    return;
  }
  where.uri = args["uri"].get<std::string>();
  if (!server_.clientCapabilities().showDocument) {
    auto path = protocol::uriToPath(where.uri);
    reply.error(protocol::ResponseError{protocol::RequestFailed,
                                        "this editor cannot be asked to open a file (window/showDocument): the "
                                        "passage is at " + (path ? path->string() : where.uri) + ":" +
                                            std::to_string(where.range.start.line + 1),
                                        std::nullopt});
    return;
  }
  server_.call("window/showDocument", {{"uri", where.uri}, {"selection", where.range}, {"takeFocus", true}},
               [reply](std::optional<json> result, std::optional<protocol::ResponseError> error) mutable {
                 if (error)
                   reply.error(protocol::ResponseError{protocol::RequestFailed,
                                                       "the editor did not open the passage: " + error->message,
                                                       std::nullopt});
                 else
                   reply(result.value_or(json(nullptr)));
               });
}

std::string BibleFeatures::cannotCreateEntries(const std::string &uri) {
  Book *book = bookOf(uri);
  if (!book)
    return "this document belongs to no book with a bible folder";
  const auto &caps = server_.clientCapabilities();
  if (!caps.applyEdit || !caps.documentChanges || !caps.createFiles)
    return "this editor cannot create files through the language server (it lacks "
           "workspace.workspaceEdit.resourceOperations \"create\"): create the entry files in " +
           engine::bibleFolder(book->layout).string() + " yourself";
  return {};
}

std::vector<std::string> BibleFeatures::bibleNames(const std::string &uri) {
  std::vector<std::string> names;
  if (Book *book = bookOf(uri))
    for (const auto &entry : book->text.bible()->entries) {
      names.push_back(entry.name);
      names.insert(names.end(), entry.aliases.begin(), entry.aliases.end());
    }
  return names;
}

void BibleFeatures::runExtract(const json &args, ReplyOnce &reply) {
  Book *book = args.is_object() && args.contains("uri") && args["uri"].is_string() ? bookOf(args["uri"].get<std::string>())
                                                                                  : nullptr;
  if (!book || (args.contains("names") && !args["names"].is_array()) ||
      (args.contains("aliases") && !args["aliases"].is_object())) {
    reply.error(invalidParams("invalid params: arguments[0]: " + std::string(kExtractBibleEntriesCommand) +
                              " needs {uri, names?, aliases?} of an open document"));
    return;
  }
  const std::string uri = args["uri"].get<std::string>();
  if (auto why = cannotCreateEntries(uri); !why.empty()) {
    reply.error(protocol::ResponseError{protocol::RequestFailed, why, std::nullopt});
    return;
  }
  // Without names (a chapter too long to list them in the action's title), the chapter's candidates now.
  // `aliases` (name -> [alias]): the lone first names the candidates folded in ("Mirelda" of "Mirelda Vosk").
  json given = args.contains("names") ? args["names"] : json::array();
  json aliases = args.contains("aliases") ? args["aliases"] : json::object();
  if (!args.contains("names"))
    if (const Document *doc = server_.documents().find(uri)) {
      const std::string text = doc->manuscript.text();
      if (auto view = chapterView(uri, text))
        for (const auto &c : nameCandidatesOf(*view)) {
          given.push_back(c.name);
          if (!c.aliases.empty())
            aliases[c.name] = c.aliases;
        }
    }
  const auto &bible = *book->text.bible();
  std::vector<NewEntry> entries;
  for (auto &name : newNames(bible, given)) {
    NewEntry entry{name};
    if (auto it = aliases.find(name); it != aliases.end() && it->is_array())
      for (const auto &a : *it)
        if (a.is_string() && !engine::lines::trim(a.get<std::string>()).empty() && !bible.find(a.get<std::string>()))
          entry.aliases.push_back(a.get<std::string>());
    entries.push_back(std::move(entry));
  }
  createEntries(uri, std::move(entries), reply);
}

void BibleFeatures::createEntries(const std::string &uri, std::vector<NewEntry> entries, ReplyOnce reply) {
  Book *book = bookOf(uri);
  if (!book) {
    reply.error(protocol::ResponseError{protocol::RequestFailed, "the document was closed", std::nullopt});
    return;
  }
  if (entries.empty()) {
    server_.notify("window/showMessage",
                   json(protocol::ShowMessageParams{protocol::MessageType::Info,
                                                    "recurrent: no name in this chapter is new to the bible"}));
    reply(protocol::ExtractResult{});
    return;
  }
  std::vector<std::string> names;
  bool described = false;
  for (const auto &e : entries) {
    names.push_back(e.name);
    described = described || !e.description.empty();
  }
  std::vector<fs::path> files;
  json edit = newEntriesEdit(engine::bibleFolder(book->layout), entries, files);
  std::vector<std::string> uris;
  for (const auto &f : files)
    uris.push_back(protocol::pathToUri(f));
  server_.call("workspace/applyEdit", {{"label", "Extract bible entries"}, {"edit", std::move(edit)}},
               [this, reply, names, files, uris, described](std::optional<json> result,
                                                            std::optional<protocol::ResponseError> error) mutable {
                 protocol::ApplyWorkspaceEditResult applied;
                 protocol::ParseIssue issue;
                 if (error || !result || !protocol::fromJson(*result, applied, "", issue) || !applied.applied) {
                   std::string why = error                      ? error->message
                                     : applied.failureReason    ? *applied.failureReason
                                                                : std::string("the editor did not apply the edit");
                   reply.error(protocol::ResponseError{protocol::RequestFailed,
                                                       "no bible entry was added: " + why, std::nullopt});
                   return;
                 }
                 server_.notify("window/showMessage",
                                json(protocol::ShowMessageParams{protocol::MessageType::Info,
                                                                 addedMessage(names, described)}));
                 filesChanged(files);
                 reply(protocol::ExtractResult{names, uris});
               });
}

void BibleFeatures::publishDiagnostics(Book &book) {
  engine::BookBible *bible = current(book);
  std::map<std::string, json> byUri;
  const auto enc = server_.positionEncoding();
  auto add = [&](std::string_view text, const std::string &uri, const engine::BibleDiagnostic &d, const char *code) {
    LineMap lines(text);
    auto start = lines.offset({d.line, 0}, enc);
    auto end = std::min(text.find('\n', start), text.size());
    byUri[uri].push_back({{"range", lines.range(start, end, enc)},
                          {"severity", d.severity == engine::BibleDiagnostic::Severity::Error ? 1 : 2},
                          {"source", "recurrent"},
                          {"code", code},
                          {"message", d.message}});
  };
  auto bibleNow = book.text.bible();
  for (const auto &d : bibleNow->diagnostics)
    add(bibleFileText(book, d.file), uriOf(book, d.file), d, "bible-entry");
  if (bible)
    for (std::size_t c = 0; c < bible->facts().problems().size(); ++c)
      for (const auto &d : bible->facts().problems()[c])
        add(bible->chapterText(c), uriOf(book, bible->chapterFiles()[c]), d, "bible-fact");
  if (bible)
    addContinuity(book, byUri);
  book.diagnosticsDue = false;
  // Only what changed is sent: a file that is clean again gets an empty list once. An open document of a
  // pulling client is answered instead (its pushed list, from when it was closed, is emptied first).
  std::set<std::string> pulledChanged;
  for (auto it = book.pushed.begin(); it != book.pushed.end();)
    if (pulled(*it)) { // a closed chapter's list, pushed, and now opened: only its answers show
      server_.notify("textDocument/publishDiagnostics", {{"uri", *it}, {"diagnostics", json::array()}});
      pulledChanged.insert(*it);
      it = book.pushed.erase(it);
    } else
      ++it;
  auto show = [&](const std::string &uri, const json &diagnostics) {
    if (pulled(uri)) {
      pulledChanged.insert(uri);
      return;
    }
    server_.notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", diagnostics}});
    book.pushed.insert(uri);
  };
  for (auto &[uri, diagnostics] : byUri)
    if (auto it = book.published.find(uri); it == book.published.end() || it->second != diagnostics) {
      show(uri, diagnostics);
      book.published[uri] = diagnostics;
    }
  for (auto it = book.published.begin(); it != book.published.end();)
    if (!byUri.count(it->first)) {
      show(it->first, json::array());
      it = book.published.erase(it);
    } else
      ++it;
  for (auto &[uri, replies] : std::exchange(book.pulls, {})) {
    auto shown = book.published.find(uri);
    for (auto &reply : replies)
      reply(json{{"kind", "full"}, {"items", shown != book.published.end() ? shown->second : json::array()}});
    pulledChanged.erase(uri);
  }
  // Diagnostics that changed with no pull waiting (a model check's findings, another chapter's edit, the
  // bible's): the client asks again.
  if (!pulledChanged.empty() && server_.clientCapabilities().diagnosticRefresh)
    server_.call("workspace/diagnostic/refresh", nullptr, [](auto, auto) {});
}

} // namespace recurrent::server
