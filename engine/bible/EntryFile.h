// A new bible entry's file: its name on disk and its first text.
//
// The VS Code client's "Add Bible Entry" (clients/vscode/src/bibleRows.ts) writes the same file: the two
// must agree, so an entry added from either place looks the same and lands under the same name.
//
// Thread-safety: pure functions, except freeEntryFile (reads the file system); any thread.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

/// A file name for an entry: "Mara Vell" → "mara-vell". Letters (of the scripts utf8::isLetter knows) and
/// ASCII digits are kept, lower-cased; every other run becomes one '-'; "entry" when nothing is left.
/// Equal to the client's `entrySlug` for names in NFC (what editors send).
std::string entrySlug(std::string_view name);

/// The text of a new entry: the type in front matter, the name as its first heading, nothing invented.
std::string entryFileText(std::string_view name, std::string_view type);
/// The same with `aliases` in the front matter (YAML-quoted where needed) and `description` as the body (the
/// model's extraction); empty ones are left out, so without both it is the text above.
std::string entryFileText(std::string_view name, std::string_view type, const std::vector<std::string> &aliases,
                          std::string_view description);

/// `folder/<slug>.md`, or `<slug>-2.md`, `-3`, ... when that file exists or is in `taken`: a new entry
/// never overwrites one.
std::filesystem::path freeEntryFile(const std::filesystem::path &folder, std::string_view name,
                                    const std::set<std::filesystem::path> &taken = {});

} // namespace recurrent::engine
