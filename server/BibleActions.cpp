// BibleActions: "Add ‘X’ to the bible", "Record a fact here", "Extract bible entries" (see BibleActions.h).
#include "server/BibleActions.h"

#include "engine/bible/EntryFile.h"
#include "engine/continuity/TextScan.h"
#include "engine/manuscript/LineRules.h"
#include "protocol/Uri.h"
#include "server/LineMap.h"
#include "support/Utf8.h"

#include <algorithm>
#include <set>

namespace recurrent::server {
namespace fs = std::filesystem;
using protocol::json;

namespace {

/// An entry's type is the writer's call: nothing in the text says whether a name is a person or a place.
constexpr const char *kNewEntryType = "other";
/// A selection longer than this is a passage, not a name.
constexpr std::size_t kMaxNameBytes = 60;
/// How much of a detail's value a title shows.
constexpr std::size_t kShownValueBytes = 40;

std::string relativeTo(const fs::path &root, const fs::path &file) {
  auto rel = file.lexically_relative(root);
  return rel.empty() || *rel.begin() == ".." ? file.string() : rel.generic_string();
}

json entryAction(std::string title, json edit) {
  return {{"title", std::move(title)}, {"kind", kBibleActionKind}, {"edit", std::move(edit)}};
}

json commandAction(std::string title, const std::string &uri, const std::vector<std::string> &names,
                   const json &aliases = json::object()) {
  json args = {{"uri", uri}, {"names", names}};
  if (!aliases.empty())
    args["aliases"] = aliases;
  return {{"title", title},
          {"kind", kBibleActionKind},
          {"command", json(protocol::Command{std::move(title), kExtractBibleEntriesCommand, json::array({args})})}};
}

/// The name the writer points at: the selection, or the capitalised word under the cursor (not a common
/// word); nullopt when it is neither or the bible already has it.
std::optional<std::string> nameToAdd(const ChapterView &view, const protocol::Range &range) {
  LineMap lines(view.text);
  auto begin = lines.offset(range.start, view.encoding), end = lines.offset(range.end, view.encoding);
  std::string name;
  if (begin < end) {
    name = std::string(engine::lines::trim(view.text.substr(begin, end - begin)));
    if (name.empty() || name.size() > kMaxNameBytes || name.find_first_of("\r\n") != std::string::npos ||
        name.find("<!--") != std::string::npos || name.find("-->") != std::string::npos)
      return std::nullopt;
  } else {
    std::size_t from = begin; // back to the word's start, a code point at a time
    while (from > 0) {
      std::size_t previous = from - 1;
      while (previous > 0 && (static_cast<unsigned char>(view.text[previous]) & 0xC0) == 0x80)
        --previous;
      if (!engine::continuity::isWordLetter(engine::continuity::codePointAt(view.text, previous)))
        break;
      from = previous;
    }
    auto to = engine::continuity::wordEndAt(view.text, from, view.text.size());
    auto word = engine::continuity::withoutPossessive(view.text.substr(from, to - from));
    const auto *dictionary = engine::continuity::systemDictionary().dictionary.get();
    if (!engine::continuity::isCapitalised(word) || engine::continuity::codePoints(word) < 2 ||
        (dictionary && dictionary->isCommonWord(word)))
      return std::nullopt;
    if (view.index && view.chapter && view.index->mentionAt(*view.chapter, from))
      return std::nullopt; // found as some entry's name, alias or key
    name = std::string(word);
  }
  if (view.bible->find(name))
    return std::nullopt;
  return name;
}

std::optional<json> addAction(const ChapterView &view, const protocol::Range &range) {
  auto name = nameToAdd(view, range);
  if (!name)
    return std::nullopt;
  if (!view.createFiles) // the command says why nothing can be created
    return commandAction("Add ‘" + *name + "’ to the bible", view.uri, {*name});
  std::vector<fs::path> files;
  json edit = newEntriesEdit(view.folder, {*name}, files);
  return entryAction("Add ‘" + *name + "’ to the bible (" + relativeTo(view.root, files[0]) + ")", std::move(edit));
}

/// The entry the cursor is on, else the only entry named on its line.
std::optional<std::size_t> factEntry(const ChapterView &view, std::size_t offset) {
  if (auto m = view.index->mentionAt(*view.chapter, offset); m && !m->excluded)
    return m->entry;
  auto lineStart = view.text.rfind('\n', offset == 0 ? 0 : offset - 1);
  lineStart = lineStart == std::string_view::npos || offset == 0 ? 0 : lineStart + 1;
  auto lineEnd = std::min(view.text.find('\n', offset), view.text.size());
  std::set<std::size_t> named;
  for (const auto &m : view.index->mentions().chapterMentions(*view.chapter))
    if (m.begin >= lineStart && m.end <= lineEnd && !m.excluded)
      named.insert(m.entry);
  if (named.size() != 1)
    return std::nullopt;
  return *named.begin();
}

std::vector<json> factActions(const ChapterView &view, const protocol::Range &range) {
  std::vector<json> out;
  if (!view.index || !view.chapter)
    return out;
  LineMap lines(view.text);
  auto offset = lines.offset(range.start, view.encoding);
  auto entry = factEntry(view, offset);
  if (!entry)
    return out;
  // At the paragraph's end: a fact is true from its comment on, so it follows what the paragraph tells.
  const auto paragraph = paragraphAround(view.text, offset);
  std::size_t from = paragraph.first, to = paragraph.second;
  while (to > from && (view.text[to - 1] == '\n' || view.text[to - 1] == '\r' || view.text[to - 1] == ' '))
    --to;
  auto at = lines.position(to, view.encoding);
  auto insert = [&](std::string title, const std::string &target, const std::string &placeholder) {
    json edits = json::array({{{"range", protocol::Range{at, at}},
                               {"newText", "\n\n" + engine::factComment(target, placeholder)}}});
    out.push_back(entryAction(std::move(title), {{"changes", {{view.uri, edits}}}}));
  };
  const auto &name = view.bible->entries[*entry].name;
  insert("Record a fact here: " + name + " (a new fact)", name, "what becomes true here");
  // One per detail as it stands here: the writer replaces the value, the detail's name is already right.
  auto state = view.index->facts().at(*view.bible, *entry, *view.chapter, to);
  for (const auto &d : state.details) {
    std::string now(utf8::prefixBytes(d.value, kShownValueBytes));
    insert("Record a fact here: " + name + "." + d.key + " (now " + now + (now.size() < d.value.size() ? "…)" : ")"),
           name + "." + d.key, d.value);
  }
  return out;
}

std::optional<json> extractAction(const ChapterView &view) {
  if (!view.candidates)
    return json{{"title", "Extract bible entries from this chapter"},
                {"kind", kBibleActionKind},
                {"command", json(protocol::Command{"Extract bible entries from this chapter", kExtractBibleEntriesCommand,
                                                   json::array({{{"uri", view.uri}}})})}};
  if (view.candidates->empty())
    return std::nullopt;
  std::vector<std::string> names;
  json aliases = json::object();
  std::string listed;
  for (const auto &c : *view.candidates) {
    names.push_back(c.name);
    if (!c.aliases.empty())
      aliases[c.name] = c.aliases;
    listed += (listed.empty() ? "" : ", ") + c.name + " (" + std::to_string(c.count) + ")";
  }
  return commandAction("Extract bible entries from this chapter: " + listed, view.uri, names, aliases);
}

} // namespace

std::pair<std::size_t, std::size_t> paragraphAround(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  auto gap = offset < 2 ? std::string_view::npos : text.rfind("\n\n", offset - 2);
  auto next = text.find("\n\n", offset);
  return {gap == std::string_view::npos ? 0 : gap + 2, next == std::string_view::npos ? text.size() : next};
}

std::vector<engine::NameCandidate> nameCandidatesOf(const ChapterView &view) {
  // Words of the bible's names and aliases are known alone too: "Petrova" is Ana Petrova's, not a new name.
  std::set<std::string> nameWords;
  for (const auto &e : view.bible->entries) {
    std::vector<std::string_view> names = {e.name};
    names.insert(names.end(), e.aliases.begin(), e.aliases.end());
    for (auto n : names)
      engine::continuity::forEachWord(n, 0, n.size(), [&](std::size_t b, std::size_t en) {
        nameWords.insert(engine::continuity::folded(n.substr(b, en - b)));
      });
  }
  auto known = [&](std::string_view word, std::size_t begin, std::size_t) {
    if (nameWords.count(engine::continuity::folded(word)) || view.bible->find(word))
      return true;
    return view.index && view.chapter && view.index->mentionAt(*view.chapter, begin).has_value();
  };
  return engine::nameCandidates(view.text, engine::continuity::systemDictionary().dictionary.get(), known,
                                kExtractedNames);
}

std::vector<json> bibleActions(const ChapterView &view, const protocol::Range &range) {
  std::vector<json> out;
  if (auto add = addAction(view, range))
    out.push_back(std::move(*add));
  for (auto &fact : factActions(view, range))
    out.push_back(std::move(fact));
  if (auto extract = extractAction(view))
    out.push_back(std::move(*extract));
  return out;
}

json newEntriesEdit(const fs::path &folder, const std::vector<NewEntry> &entries, std::vector<fs::path> &files) {
  json changes = json::array();
  std::set<fs::path> taken;
  for (const auto &entry : entries) {
    auto file = engine::freeEntryFile(folder, entry.name, taken);
    taken.insert(file);
    files.push_back(file);
    const std::string uri = protocol::pathToUri(file);
    // Neither flag set: the editor refuses the whole edit rather than touch a file that appeared since.
    changes.push_back({{"kind", "create"}, {"uri", uri}, {"options", {{"overwrite", false}, {"ignoreIfExists", false}}}});
    changes.push_back(
        {{"textDocument", {{"uri", uri}, {"version", nullptr}}},
         {"edits", json::array({{{"range", protocol::Range{{0, 0}, {0, 0}}},
                                 {"newText", engine::entryFileText(entry.name, entry.type, entry.aliases,
                                                                   entry.description)}}})}});
  }
  return {{"documentChanges", std::move(changes)}};
}

json newEntriesEdit(const fs::path &folder, const std::vector<std::string> &names, std::vector<fs::path> &files) {
  std::vector<NewEntry> entries;
  for (const auto &name : names)
    entries.push_back({name, kNewEntryType, {}, {}});
  return newEntriesEdit(folder, entries, files);
}

std::vector<std::string> newNames(const engine::Bible &bible, const json &given) {
  std::vector<std::string> out;
  for (const auto &n : given)
    if (n.is_string() && !engine::lines::trim(n.get<std::string>()).empty() && !bible.find(n.get<std::string>()) &&
        std::find(out.begin(), out.end(), n.get<std::string>()) == out.end())
      out.push_back(n.get<std::string>());
  return out;
}

std::string addedMessage(const std::vector<std::string> &names, bool described) {
  std::string list;
  for (const auto &n : names)
    list += (list.empty() ? "" : ", ") + n;
  return "recurrent: added " +
         (names.size() == 1 ? std::string("1 bible entry") : std::to_string(names.size()) + " bible entries") + ": " +
         list + (described ? " (the model's descriptions: check them)" : " (type: other, no description yet: yours to write)");
}

} // namespace recurrent::server
