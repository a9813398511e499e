// BibleActions: the story bible's code actions in a chapter, where the writer meets a name.
//
//   "Add ‘X’ to the bible"     on a selection, or on a capitalised name at the cursor the bible lacks: a
//                              WorkspaceEdit that creates `<bible folder>/<slug>.md` (CreateFile, never
//                              over an existing file, then its text: the VS Code client's entry file)
//   "Record a fact here"       on a bible name, or on a line naming exactly one entry: a fact comment at the
//                              end of the paragraph, one per detail the entry has there and one new fact
//   "Extract bible entries from this chapter"
//                              the chapter's proper-name candidates (NameCandidates) and their counts, run
//                              as the command kExtractBibleEntriesCommand: one entry file each, heading and
//                              type only, by workspace/applyEdit, and one message
//
// Pure: they read a ChapterView and return LSP JSON; BibleFeatures gathers the view and sends the edits.
// No model is called: the descriptions are the writer's to write.
//
// Thread-safety: pure functions; main strand in practice (the view borrows the book's index).
#pragma once

#include "engine/bible/BookBible.h"
#include "engine/bible/NameCandidates.h"
#include "protocol/Encoding.h"
#include "protocol/Lsp.h"
#include "protocol/LspEditing.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::server {

/// Creates one bible entry per name: `{uri, names?: [string]}` → `{added: [name], files: [uri]}`; without
/// `names`, the chapter's candidates.
inline constexpr const char *kExtractBibleEntriesCommand = "recurrent.extractBibleEntries";
/// A sub-kind of the co-writer's declared kind, so a client asking for those sees these too.
inline constexpr const char *kBibleActionKind = "refactor.rewrite.recurrent.bible";
/// How many names "Extract bible entries" offers at most.
inline constexpr std::size_t kExtractedNames = 10;
/// Up to this size a chapter's names are listed in the action's title (the scan costs ~15 ms per MB on
/// every version); a longer one (a novel in one file) has them found when the command runs.
inline constexpr std::size_t kListedCandidatesUpTo = 256 * 1024;

/// What the actions read of one chapter.
struct ChapterView {
  std::string uri;
  std::string_view text;                      ///< as the editor has it
  std::shared_ptr<const engine::Bible> bible; ///< never null; may have no entries
  const engine::BookBible *index = nullptr;   ///< null while the bible has no entries
  std::optional<std::size_t> chapter;         ///< the chapter in `index`
  std::filesystem::path folder;               ///< the bible folder
  std::filesystem::path root;                 ///< the book's root, for the paths shown in titles
  protocol::PositionEncoding encoding = protocol::PositionEncoding::Utf16;
  bool createFiles = false;                   ///< the client applies CreateFile in documentChanges
  /// The chapter's candidates, computed once per version by the caller (nameCandidatesOf); null: not
  /// listed, the command finds them.
  const std::vector<engine::NameCandidate> *candidates = nullptr;
};

/// Every bible action for the cursor or selection `range`.
std::vector<protocol::json> bibleActions(const ChapterView &view, const protocol::Range &range);

/// The chapter's proper names the bible does not have yet, the most used first.
std::vector<engine::NameCandidate> nameCandidatesOf(const ChapterView &view);

/// A new entry as its file will say it: front matter `type` and `aliases`, the description as its body.
struct NewEntry {
  std::string name;
  std::string type = "other";
  std::vector<std::string> aliases;
  std::string description; ///< empty: none (the writer's to write)
};

/// A WorkspaceEdit (documentChanges) creating one entry file per entry in `folder`; `files` gets their paths.
/// The offline extraction (names only) and the model's (full entries) both build their edit here.
protocol::json newEntriesEdit(const std::filesystem::path &folder, const std::vector<NewEntry> &entries,
                              std::vector<std::filesystem::path> &files);
/// The same for bare names (type `other`, nothing else).
protocol::json newEntriesEdit(const std::filesystem::path &folder, const std::vector<std::string> &names,
                              std::vector<std::filesystem::path> &files);

/// The names of `given` (a JSON array) worth a new entry: strings, not blank, not the bible's by now (it may
/// have gained them since the action was offered), each once.
std::vector<std::string> newNames(const engine::Bible &bible, const protocol::json &given);

/// The one message once they are added: "recurrent: added 2 bible entries: Mara, Tobin (...)".
std::string addedMessage(const std::vector<std::string> &names, bool described = false);

/// The paragraph around byte `offset`: from after the blank line before it to the blank line after it.
std::pair<std::size_t, std::size_t> paragraphAround(std::string_view text, std::size_t offset);

} // namespace recurrent::server
