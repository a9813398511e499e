// Replacing a bible name in the story's own text (summaries, short-term memory, plans) after a rename.
//
// A whole-word, case-sensitive replacement: "Ana" becomes "Anna" in "Ana's" and "Ana," but not in
// "Anastasia" or "banana". A byte >= 0x80 counts as a letter, so a name never matches inside a word of
// another script. The manuscript itself is renamed by the editor (the rename's WorkspaceEdit), not here.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace recurrent::engine {

std::string replaceName(std::string_view text, std::string_view oldName, std::string_view newName);

} // namespace recurrent::engine
