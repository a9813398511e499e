// BibleFeatures: the story bible in the editor: names navigate like a programmer's symbols.
//
// For every open document the server knows its book (the folder book whose chapter or bible file it is,
// else its own one-file story) and keeps, per book, its texts (BookText: the editor's open chapters and
// entry files over the disk) and a BookBible (every mention of every entry, the facts). The server writes
// no bible file itself (new entries are the editor's to create, from a WorkspaceEdit) and calls no model:
// a book needs no adoption to be navigated, only a bible folder.
//   textDocument/hover             the entry as true at that point (LspServer::onHover adds it)
//   textDocument/definition        the entry's heading in its bible file
//   textDocument/declaration       its first mention in the book
//   textDocument/references        every counted mention in every chapter, open or closed
//   textDocument/documentHighlight its mentions in this chapter
//   textDocument/prepareRename, textDocument/rename
//                                  one WorkspaceEdit over every chapter and the bible; uncertain hits
//                                  (case differs, inside an exclusion) carry a needsConfirmation
//                                  annotation, or are left out (and said) when the client has none
//   recurrent/bibleAt {uri, position?}  the entries as true there, for the clients' views
//   code lenses on entry headings, workspace symbols, diagnostics for malformed entries and facts
//   code actions in a chapter        add a name, record a fact, extract the chapter's names (BibleActions.h)
//   continuity diagnostics: the deterministic checks (engine/continuity) of every open chapter, a moment
//                                  after each change, with quick fixes; "Ignore" is kept by fingerprint in
//                                  the book's state folder (ignored-findings.json) when it has one
//   textDocument/diagnostic        when the client pulls: an open document's diagnostics are its answers
//                                  (waiting for a pending update), workspace/diagnostic/refresh when they
//                                  change; closed chapters' are still pushed
//
// Thread-safety: main strand only (the indexes are small and fast; see bench/bench_bible).
#pragma once

#include "engine/bible/BookBible.h"
#include "engine/book/BookText.h"
#include "engine/continuity/CheckCache.h"
#include "engine/continuity/ContinuityChecker.h"
#include "server/BibleActions.h"
#include "protocol/Lsp.h"
#include "protocol/LspEditing.h"
#include "server/HandlerTable.h"

#include <asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace recurrent::server {

class LspServer;

/// "Ignore (intentional)" on a continuity finding: `{uri, fingerprint}`.
inline constexpr const char *kIgnoreFindingCommand = "recurrent.ignoreFinding";
/// "Show the other passage" of a continuity finding: a Location `{uri, range}`, opened by window/showDocument.
inline constexpr const char *kShowPassageCommand = "recurrent.showPassage";

/// textDocument/references params: a position and `context.includeDeclaration`.
struct ReferenceParams {
  protocol::TextDocumentPositionParams at;
  bool includeDeclaration = false;
};
bool fromJson(const protocol::json &v, ReferenceParams &out, const std::string &path, protocol::ParseIssue &issue);

struct RenameParams {
  protocol::TextDocumentPositionParams at;
  std::string newName;
};
bool fromJson(const protocol::json &v, RenameParams &out, const std::string &path, protocol::ParseIssue &issue);

/// recurrent/bibleAt: a document and, optionally, a position in it.
struct BibleAtParams {
  std::string uri;
  std::optional<protocol::Position> position;
};
bool fromJson(const protocol::json &v, BibleAtParams &out, const std::string &path, protocol::ParseIssue &issue);

class BibleFeatures {
public:
  explicit BibleFeatures(LspServer &server);
  ~BibleFeatures();

  void bind(HandlerTable &table);
  protocol::json capabilities() const;

  // Document events, from the server (main strand).
  void documentOpened(const std::string &uri);
  void documentChanged(const std::string &uri);
  void documentClosed(const std::string &uri);
  /// A folder became a book (Make Book): its open chapters move to the book's bible.
  void booksChanged();
  /// Files created, changed or deleted on disk (workspace/didChangeWatchedFiles, or a save).
  void filesChanged(const std::vector<std::filesystem::path> &paths);

  /// Hover text for a name at `position` (Markdown or plain text), if there is one.
  std::optional<std::string> hover(const std::string &uri, const protocol::Position &position, bool markdown);
  /// Entries of the open books whose name or an alias contains `query` (all of them when it is empty).
  std::vector<protocol::SymbolInformation> symbols(const std::string &query);
  /// "14 mentions · first in 03-harbour.md" on each entry heading of a bible file.
  std::vector<protocol::CodeLens> codeLenses(const std::string &uri);

  /// Quick fixes for the continuity findings under `range` ("Use ‘Elizabeth’", "Ignore (intentional)"), then
  /// the bible's actions there (BibleActions.h: add a name, record a fact, extract the chapter's names).
  std::vector<protocol::json> codeActions(const std::string &uri, const protocol::Range &range);
  /// Runs kIgnoreFindingCommand, kShowPassageCommand and kExtractBibleEntriesCommand; false: not a command of
  /// the bible's.
  bool executeCommand(const protocol::ExecuteCommandParams &params, ReplyOnce &reply);

  /// Why the editor cannot take new entry files from the server (empty: it can).
  std::string cannotCreateEntries(const std::string &uri);
  /// The names and aliases of the document's bible (for the model's extraction prompt).
  std::vector<std::string> bibleNames(const std::string &uri);
  /// Creates one entry file per entry through workspace/applyEdit; one message; replies {added, files}.
  void createEntries(const std::string &uri, std::vector<NewEntry> entries, ReplyOnce reply);

  /// The model check's cache of the document's book (its state folder's model-checks.json): CoWriter's
  /// `recurrent.check` writes it, the diagnostics read the findings stored for the open chapters' paragraphs.
  std::shared_ptr<engine::continuity::CheckCache> checkCache(const std::string &uri);
  /// A model check finished: publish its findings now; after a book-wide one, the closed chapters' too.
  /// Returns how many continuity findings the book shows.
  std::size_t findingsChanged(const std::string &uri, bool wholeBook = false);

  /// Called once the editor applied a rename (the bible now has the new name and not the old one), so the
  /// story's own state can follow (CoWriter::nameRenamed).
  std::function<void(const engine::BookLayout &book, const std::string &oldName, const std::string &newName)> renamed;

private:
  struct Book;
  /// What a position points at: an entry, through a mention in a chapter or its heading in the bible.
  struct Target {
    Book *book = nullptr;
    std::size_t entry = 0;
    std::optional<engine::Mention> mention;
    std::optional<std::size_t> headingLine; ///< in an entry file
  };

  void onDefinition(const protocol::TextDocumentPositionParams &params, ReplyOnce reply);
  void onDeclaration(const protocol::TextDocumentPositionParams &params, ReplyOnce reply);
  void onReferences(const ReferenceParams &params, ReplyOnce reply);
  void onDocumentHighlight(const protocol::TextDocumentPositionParams &params, ReplyOnce reply);
  void onPrepareRename(const protocol::TextDocumentPositionParams &params, ReplyOnce reply);
  void onRename(const RenameParams &params, ReplyOnce reply);
  void onBibleAt(const BibleAtParams &params, ReplyOnce reply);
  void onDiagnostic(const protocol::DocumentDiagnosticParams &params, ReplyOnce reply);
  /// Whether `uri`'s diagnostics are pulled by the client (an open document of a pulling client).
  bool pulled(const std::string &uri) const;
  void runExtract(const protocol::json &args, ReplyOnce &reply);
  void showPassage(const protocol::json &args, ReplyOnce &reply);

  std::vector<protocol::json> quickFixes(const std::string &uri, const protocol::Range &range);
  std::vector<protocol::json> bibleActions(const std::string &uri, const protocol::Range &range);
  /// What BibleActions reads of an open chapter (`text`, kept alive by the caller); nullopt in an entry file
  /// and beside a file that is neither a story nor has a bible folder.
  std::optional<ChapterView> chapterView(const std::string &uri, const std::string &text);

  Book *bookOf(const std::string &uri);
  /// The book a file belongs to now, and whether the file is one of its bible's.
  static std::pair<engine::BookLayout, bool> layoutOf(const std::filesystem::path &file);
  /// The book's bible brought up to the editor's text (built on first use); null without entries.
  engine::BookBible *current(Book &book);
  std::optional<Target> targetAt(const std::string &uri, const protocol::Position &position);
  /// The URI the editor uses for a file (its open document's), else the file's own.
  std::string uriOf(const Book &book, const std::filesystem::path &file) const;
  protocol::Location entryLocation(const Book &book, std::size_t entry) const;
  protocol::Location mentionLocation(const Book &book, const engine::Mention &mention) const;
  /// The text of a bible file as the editor has it (open) or as it is on disk.
  std::string bibleFileText(const Book &book, const std::filesystem::path &file) const;
  /// After a change: publishes the book's bible and fact diagnostics a moment later (debounced).
  void scheduleDiagnostics(Book &book);
  void publishDiagnostics(Book &book);
  /// The continuity findings of the book's open chapters, added to `byUri` as diagnostics.
  void addContinuity(Book &book, std::map<std::string, protocol::json> &byUri);
  /// One chapter's continuity diagnostics (offline checks and the model's stored findings, less the
  /// ignored); the findings behind them are added to `kept` when given.
  protocol::json chapterDiagnostics(Book &book, std::size_t chapter, std::vector<engine::Finding> *kept);
  /// The line a finding's source is on: a bible line, a fact comment, an earlier paragraph.
  protocol::Location sourceLocation(const Book &book, const engine::FindingSource &source) const;
  void loadIgnored(Book &book);

  LspServer &server_;
  std::map<std::string, std::shared_ptr<Book>> books_; ///< by book root
  std::map<std::string, std::shared_ptr<Book>> docs_;  ///< by document URI
};

} // namespace recurrent::server
