// The story bible in the editor, through the real server: a folder book with open and closed chapters and
// a bible beside it. References, definition, declaration, highlights and hover on a name; rename as one
// WorkspaceEdit over every chapter and the entry; malformed entries as diagnostics. Offline: no model.
#include "engine/book/StateLock.h"
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <set>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kArrival = "# Arrival\n\nAna came to Vell by the night boat. Anya, they called her there.\n\n"
                             "ANA was painted on the boat's bow.\n";
const std::string kLetter = "# The Letter\n\nThe letter for Ana lay in Ana's Diner, the only place open in Vell.\n\n"
                            "<!-- fact: Ana: a scar on her left cheek -->\n\nAna read it twice.\n";
const std::string kStorm = "# The Storm\n\nThe storm took the mast. Ana held the wheel; Anastasia did not.\n";
const std::string kAnaEntry = "---\ntype: character\naliases: [Anya]\nexclude: [Ana's Diner]\n---\n# Ana\n\n"
                              "The smuggler's daughter, who came back.\n\n- eyes: grey\n";

struct BibleBook {
  TempDir dir;
  fs::path root = dir / "book";
  fs::path arrival = root / "01-arrival.md", letter = root / "02-letter.md", storm = root / "03-storm.md";
  fs::path ana = root / "bible/ana.md", vell = root / "bible/vell.md";
  BibleBook() {
    fs::create_directories(root / ".recurrent/book"); // a folder book (Make Book's marker), not a story
    REQUIRE(writeFileAtomically(arrival, kArrival).ok());
    REQUIRE(writeFileAtomically(letter, kLetter).ok());
    REQUIRE(writeFileAtomically(storm, kStorm).ok());
    REQUIRE(writeFileAtomically(ana, kAnaEntry).ok());
    REQUIRE(writeFileAtomically(vell, "---\ntype: place\n---\n# Vell\n\nA harbour town.\n").ok());
  }
  std::string uri(const fs::path &p) const { return protocol::pathToUri(p); }
};

json at(const std::string &uri, std::uint32_t line, std::uint32_t character) {
  return {{"textDocument", {{"uri", uri}}}, {"position", {{"line", line}, {"character", character}}}};
}

json with(json params, const json &extra) {
  params.update(extra);
  return params;
}

/// Counted mentions of "Ana" a reader would count: the whole word, not inside "Ana's Diner", any case.
std::size_t wholeWordCount(const std::string &text) {
  static const std::regex word("(^|[^A-Za-z])(ana)(?![A-Za-z])", std::regex::icase);
  std::size_t n = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), word); it != std::sregex_iterator(); ++it)
    if (text.compare(static_cast<std::size_t>(it->position(2)), 11, "Ana's Diner") != 0)
      ++n;
  return n;
}

json renameCapabilities(bool annotations) {
  json caps = kStoryCapabilities;
  caps["workspace"]["workspaceEdit"] = {{"documentChanges", annotations}};
  if (annotations)
    caps["workspace"]["workspaceEdit"]["changeAnnotationSupport"] = {{"groupsOnLabel", true}};
  return caps;
}

} // namespace

TEST_CASE("bible server: references, definition, declaration and highlights of a name reach closed chapters") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  json init = client.initialize(kStoryCapabilities);
  CHECK(init["capabilities"]["referencesProvider"] == true);
  CHECK(init["capabilities"]["renameProvider"]["prepareProvider"] == true);
  client.open(book.uri(book.arrival), kArrival);
  client.open(book.uri(book.letter), kLetter);

  // "Ana" on line 2 of the first chapter.
  json refs = client.call("textDocument/references", with(at(book.uri(book.arrival), 2, 1), 
                                                         {{"context", {{"includeDeclaration", false}}}}))
                  .take();
  std::map<std::string, std::size_t> perFile;
  for (const auto &r : refs)
    ++perFile[r["uri"].get<std::string>()];
  CHECK(perFile[book.uri(book.arrival)] == wholeWordCount(kArrival) + 1); // + the alias Anya
  CHECK(perFile[book.uri(book.letter)] == wholeWordCount(kLetter));
  CHECK(perFile[book.uri(book.storm)] == wholeWordCount(kStorm)); // closed: read from disk
  CHECK(perFile.size() == 3);

  json withEntry = client.call("textDocument/references", with(at(book.uri(book.letter), 2, 17), 
                                                              {{"context", {{"includeDeclaration", true}}}}))
                       .take();
  CHECK(withEntry.size() == refs.size() + 1);
  CHECK(withEntry[0]["uri"] == book.uri(book.ana));

  json definition = client.call("textDocument/definition", at(book.uri(book.letter), 2, 17)).take();
  CHECK(definition["uri"] == book.uri(book.ana));
  CHECK(definition["range"]["start"]["line"] == 5); // "# Ana", under the front matter
  json declaration = client.call("textDocument/declaration", at(book.uri(book.storm), 2, 25)).take();
  CHECK(declaration.is_null()); // the storm chapter is not open: no position was asked in it
  declaration = client.call("textDocument/declaration", at(book.uri(book.letter), 2, 17)).take();
  CHECK(declaration["uri"] == book.uri(book.arrival));
  CHECK(declaration["range"]["start"] == json{{"line", 2}, {"character", 0}});

  json highlights = client.call("textDocument/documentHighlight", at(book.uri(book.arrival), 2, 1)).take();
  CHECK(highlights.size() == wholeWordCount(kArrival) + 1);
  CHECK(client.call("textDocument/definition", at(book.uri(book.arrival), 2, 10)).take().is_null()); // "to"
}

TEST_CASE("bible server: hover shows the entry as true at that point, never a later fact") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  client.initialize(kStoryCapabilities);
  client.open(book.uri(book.letter), kLetter);
  auto hoverText = [&](std::uint32_t line, std::uint32_t character) {
    json hover = client.call("textDocument/hover", at(book.uri(book.letter), line, character)).take();
    return hover.is_null() ? std::string() : hover["contents"]["value"].get<std::string>();
  };
  std::string before = hoverText(2, 17), after = hoverText(6, 0);
  CHECK(before.find("The smuggler's daughter") != std::string::npos);
  CHECK(before.find("eyes: grey") != std::string::npos);
  CHECK(before.find("scar") == std::string::npos); // the fact comes later in the chapter
  CHECK(after.find("a scar on her left cheek") != std::string::npos);
  CHECK(before.find("first in 01-arrival.md") != std::string::npos);
}

TEST_CASE("bible server: rename is one edit over every chapter and the entry, uncertain hits need confirmation") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  client.initialize(renameCapabilities(true));
  client.open(book.uri(book.arrival), kArrival);
  client.open(book.uri(book.letter), kLetter);

  json prepared = client.call("textDocument/prepareRename", at(book.uri(book.letter), 2, 17)).take();
  CHECK(prepared["placeholder"] == "Ana");
  CHECK(client.call("textDocument/prepareRename", at(book.uri(book.letter), 2, 6)).takeError()["message"]
            .get<std::string>()
            .find("story bible's names") != std::string::npos);
  CHECK(client.call("textDocument/rename", with(at(book.uri(book.letter), 2, 17), {{"newName", "Vell"}}))
            .takeError()["message"]
            .get<std::string>()
            .find("already a name of Vell") != std::string::npos);

  json edit = client.call("textDocument/rename", with(at(book.uri(book.letter), 2, 17), {{"newName", "Anna"}}))
                  .take();
  REQUIRE(edit.contains("documentChanges"));
  CHECK(edit["changeAnnotations"]["uncertain"]["needsConfirmation"] == true);
  std::map<std::string, std::string> texts = {{book.uri(book.arrival), kArrival},
                                              {book.uri(book.letter), kLetter},
                                              {book.uri(book.storm), kStorm},
                                              {book.uri(book.ana), kAnaEntry}};
  std::size_t uncertain = 0;
  for (const auto &change : edit["documentChanges"]) {
    std::string uri = change["textDocument"]["uri"];
    REQUIRE(texts.count(uri));
    for (const auto &e : change["edits"])
      uncertain += e.contains("annotationId");
    texts[uri] = applyEdits(texts[uri], change["edits"]);
  }
  CHECK(uncertain == 3); // "ANA" on the bow, "Ana" in Ana's Diner, and the entry's exclusion of it
  for (const auto &file : texts) {
    INFO(file.first << ": " << file.second);
    CHECK(std::regex_search(file.second, std::regex("\\bAna\\b", std::regex::icase)) == false);
  }
  CHECK(texts[book.uri(book.ana)].find("# Anna\n") != std::string::npos);
  CHECK(texts[book.uri(book.storm)].find("Anastasia did not") != std::string::npos); // a longer word stays
  CHECK(texts[book.uri(book.arrival)].find("Anya") != std::string::npos);           // the alias stays
}

TEST_CASE("bible server: a client without change annotations gets the certain edits only, and is told") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  client.initialize(renameCapabilities(false));
  client.open(book.uri(book.arrival), kArrival);
  json edit = client.call("textDocument/rename", with(at(book.uri(book.arrival), 2, 1), {{"newName", "Anna"}}))
                  .take();
  REQUIRE(edit.contains("changes"));
  std::size_t edits = 0;
  for (const auto &[uri, list] : edit["changes"].items())
    edits += list.size();
  // Arrival's "Ana", Letter's three certain ones (the fact comment's too), Storm's one, the entry's heading.
  CHECK(edits == 6);
  auto messages = client.takeNotifications("window/showMessage");
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["message"].get<std::string>().find("left 3 uncertain mentions") != std::string::npos);
}

TEST_CASE("bible server: an entry file shows mention counts, is never a story, and a mangled one is a diagnostic") {
  BibleBook book;
  REQUIRE(writeFileAtomically(book.root / "bible/broken.md", "---\ntype: [unclosed\n---\n# Broken\n").ok());
  LspTestClient client(storyClientOptions());
  client.initialize(kStoryCapabilities);
  client.open(book.uri(book.ana), kAnaEntry);

  json lenses = client.call("textDocument/codeLens", {{"textDocument", {{"uri", book.uri(book.ana)}}}}).take();
  REQUIRE(lenses.size() == 1);
  CHECK(lenses[0]["command"]["title"] == "7 mentions · first in 01-arrival.md");
  json state = client.call("recurrent/storyState", {{"uri", book.uri(book.ana)}}).take();
  CHECK(state["bibleFile"] == true);
  CHECK(commandsOffered(client, book.uri(book.ana)).empty());
  CHECK_FALSE(fs::exists(book.root / ".recurrent/story.json"));

  // The diagnostics come a moment after the change that caused them.
  json published;
  for (int i = 0; i < 200 && published.is_null(); ++i) {
    for (const auto &n : client.takeNotifications("textDocument/publishDiagnostics"))
      if (n["uri"] == book.uri(book.root / "bible/broken.md"))
        published = n;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(published.is_object());
  CHECK(published["diagnostics"].size() >= 1);
  CHECK(published["diagnostics"][0]["source"] == "recurrent");

  json symbols = client.call("workspace/symbol", {{"query", "ve"}}).take();
  REQUIRE(symbols.size() == 1);
  CHECK(symbols[0]["name"] == "Vell");
  CHECK(symbols[0]["containerName"] == "story bible");

  json bible = client.call("recurrent/bibleAt", {{"uri", book.uri(book.ana)}}).take();
  std::set<std::string> names;
  for (const auto &e : bible["entries"])
    names.insert(e["name"].get<std::string>());
  CHECK(names == std::set<std::string>{"Ana", "Vell", "Broken"}); // the broken entry is used as far as it can be
}

namespace {

/// Applies a rename's documentChanges as an editor does: the open documents (`open`: uri -> text) change,
/// every file is written and reported as changed on disk.
void applyRename(LspTestClient &client, const json &edit, const std::map<std::string, std::string> &open) {
  std::int64_t version = 2;
  json watched = json::array();
  for (const auto &change : edit["documentChanges"]) {
    std::string uri = change["textDocument"]["uri"];
    auto path = *protocol::uriToPath(uri);
    auto editor = open.find(uri);
    std::string text = applyEdits(editor != open.end() ? editor->second : *readFile(path), change["edits"]);
    if (editor != open.end())
      client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", version++}}},
                                               {"contentChanges", {{{"text", text}}}}});
    REQUIRE(writeFileAtomically(path, text).ok());
    watched.push_back({{"uri", uri}, {"type", 2}});
  }
  client.notify("workspace/didChangeWatchedFiles", {{"changes", watched}});
}

/// Waits until "Ana" is gone from the story's state and memory, then checks that the short-term memory and
/// plans makeStoryNamingAna set say "Anna".
void checkRenamedInState(const BibleBook &book) {
  // memory.jsonl is a log (the last line of a paragraph wins): what counts is each paragraph's last line.
  auto currentState = [&] {
    std::map<std::size_t, std::string> entries;
    std::istringstream log(*readFile(book.root / ".recurrent/book/memory.jsonl"));
    for (std::string line; std::getline(log, line);)
      if (auto j = json::parse(line, nullptr, false); j.is_object() && j.contains("paragraph"))
        entries[j["paragraph"].get<std::size_t>()] = j.value("summary", "") + " | " + j.value("opening", "");
    std::string all = *readFile(book.root / ".recurrent/book/story.json");
    for (const auto &[paragraph, text] : entries)
      all += "\n" + text;
    return all;
  };
  const std::regex oldName("\\bAna\\b");
  std::string state;
  for (int i = 0; i < 300; ++i) {
    state = currentState();
    if (!std::regex_search(state, oldName))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::smatch hit;
  if (std::regex_search(state, hit, oldName))
    FAIL_CHECK("the old name is still in the state: ..." << state.substr(std::max<std::ptrdiff_t>(0, hit.position() - 200), 400));
  CHECK(state.find("Anna is back in Vell.") != std::string::npos);
  CHECK(state.find("Anna finds the letter.") != std::string::npos);
}

/// Makes the book a story from `chapter`, with a short-term memory and plans that name Ana.
void makeStoryNamingAna(LspTestClient &client, const std::string &chapter) {
  runCommand(client, "recurrent.makeBook", {{"uri", chapter}}).take();
  waitForStory(client, chapter, storyMemoryReady);
  runCommand(client, "recurrent.setShortTermMemory", {{"uri", chapter}, {"text", "Ana is back in Vell."}}).take();
  runCommand(client, "recurrent.setPlans", {{"uri", chapter}, {"plans", {"Ana finds the letter.", "Vell sleeps."}}})
      .take();
}

/// A story made from chapter 1, then closed: only the bible entry of Ana is open. Returns the entry's URI.
std::string entryOfClosedStory(LspTestClient &client, const BibleBook &book) {
  fs::remove_all(book.root / ".recurrent"); // Make Book makes it a book, and a story
  client.initialize(renameCapabilities(true));
  const std::string arrival = book.uri(book.arrival), entry = book.uri(book.ana);
  client.open(arrival, kArrival);
  makeStoryNamingAna(client, arrival);
  client.notify("textDocument/didClose", {{"textDocument", {{"uri", arrival}}}});
  client.open(entry, kAnaEntry);
  return entry;
}

} // namespace

TEST_CASE("bible server: once a rename is applied, the story's memory, short-term memory and plans follow") {
  BibleBook book;
  fs::remove_all(book.root / ".recurrent"); // Make Book makes it a book, and a story
  LspTestClient client(storyClientOptions());
  client.initialize(renameCapabilities(true));
  const std::string arrival = book.uri(book.arrival), letter = book.uri(book.letter);
  client.open(arrival, kArrival);
  client.open(letter, kLetter);
  makeStoryNamingAna(client, arrival);

  json edit = client.call("textDocument/rename", with(at(letter, 2, 17), {{"newName", "Anna"}})).take();
  applyRename(client, edit, {{arrival, kArrival}, {letter, kLetter}});
  checkRenamedInState(book);
}

TEST_CASE("bible server: a rename in the entry file with no chapter open still reaches the story's state") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  const std::string entry = entryOfClosedStory(client, book);

  json edit = client.call("textDocument/rename", with(at(entry, 5, 2), {{"newName", "Anna"}})).take();
  REQUIRE(edit["documentChanges"].size() >= 4); // the entry and the three chapters
  applyRename(client, edit, {{entry, kAnaEntry}});
  checkRenamedInState(book);
}

TEST_CASE("bible server: a rename with no chapter open while another process writes the story says so once") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  const std::string entry = entryOfClosedStory(client, book);
  client.sync();
  auto other = engine::StateLock::tryAcquire(book.root / ".recurrent/book", "recurrent write");
  REQUIRE((other && other->lock)); // the server let go of it with the last chapter
  client.takeNotifications("window/showMessage");

  json edit = client.call("textDocument/rename", with(at(entry, 5, 2), {{"newName", "Anna"}})).take();
  applyRename(client, edit, {{entry, kAnaEntry}});
  std::vector<json> said;
  for (int i = 0; i < 250 && said.empty(); ++i) {
    for (const auto &m : client.takeNotifications("window/showMessage"))
      if (m["message"].get<std::string>().find("keeps Ana") != std::string::npos)
        said.push_back(m);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(said.size() == 1);
  CHECK(said[0]["message"].get<std::string>().find("(recurrent write) holds the story") != std::string::npos);
  client.sync();
  CHECK(client.takeNotifications("window/showMessage").empty());
  CHECK(readFile(book.root / ".recurrent/book/story.json")->find("Ana is back in Vell.") != std::string::npos);
}

namespace {

/// The latest diagnostics published for `uri` once `done` holds for them (polled).
json diagnosticsWhen(LspTestClient &client, const std::string &uri, const std::function<bool(const json &)> &done) {
  json latest = json::array();
  for (int i = 0; i < 250; ++i) {
    for (const auto &n : client.takeNotifications("textDocument/publishDiagnostics"))
      if (n["uri"] == uri)
        latest = n["diagnostics"];
    if (done(latest))
      return latest;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("diagnostics never reached the expected shape: " << latest.dump());
  return latest;
}

json withCode(const json &diagnostics, const std::string &code) {
  for (const auto &d : diagnostics)
    if (d["code"] == code)
      return d;
  return nullptr;
}

} // namespace

TEST_CASE("bible server: a misspelt name and a dead character acting are flagged, fixed in one gesture or ignored") {
  BibleBook book;
  REQUIRE(writeFileAtomically(book.root / "bible/elizabeth.md", "---\ntype: character\n---\n# Elizabeth\n").ok());
  const std::string text = "# Chapter\n\nElizabeth walked to the harbour with Ana.\n\n"
                           "<!-- fact: Ana.status: dead -->\n\nThe bell rang for Ana.\n\n"
                           "\"Come in,\" said Ana, and Elizabteh went in.\n";
  const std::string uri = book.uri(book.root / "04-after.md");
  REQUIRE(writeFileAtomically(book.root / "04-after.md", text).ok());
  LspTestClient client(storyClientOptions());
  client.initialize(kStoryCapabilities);
  client.open(uri, text);

  json diagnostics = diagnosticsWhen(client, uri, [](const json &d) {
    return !withCode(d, "name-misspelling").is_null() && !withCode(d, "dead-character-acts").is_null();
  });
  json misspelt = withCode(diagnostics, "name-misspelling");
  CHECK(misspelt["severity"] == 2);
  CHECK(misspelt["range"]["start"] == json{{"line", 8}, {"character", 25}});
  CHECK(misspelt["relatedInformation"][0]["location"]["uri"] == book.uri(book.root / "bible/elizabeth.md"));
  json dead = withCode(diagnostics, "dead-character-acts");
  CHECK(dead["range"]["start"]["line"] == 8);
  CHECK(dead["relatedInformation"][0]["location"]["range"]["start"]["line"] == 4); // the fact comment
  CHECK(diagnostics.size() == 2); // nothing on the bible's own names, nor on Ana before her death

  // "Use ‘Elizabeth’" replaces the quoted span only.
  json actions = client.call("textDocument/codeAction", {{"textDocument", {{"uri", uri}}},
                                                         {"range", misspelt["range"]},
                                                         {"context", {{"diagnostics", json::array()}}}})
                     .take();
  json fix;
  for (const auto &a : actions)
    if (a["title"] == "Use ‘Elizabeth’")
      fix = a;
  REQUIRE(fix.is_object());
  json edits = fix["edit"]["changes"][uri];
  REQUIRE(edits.size() == 1);
  CHECK(edits[0]["range"] == misspelt["range"]);
  std::string fixed = applyEdits(text, edits);
  CHECK(fixed.find("said Ana, and Elizabeth went in.") != std::string::npos);
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                           {"contentChanges", {{{"text", fixed}}}}});
  diagnostics = diagnosticsWhen(client, uri, [](const json &d) { return d.size() == 1; });
  CHECK(diagnostics[0]["code"] == "dead-character-acts");

  // "Ignore (intentional)": gone, and remembered beside the book.
  runCommand(client, "recurrent.ignoreFinding",
             {{"uri", uri}, {"fingerprint", diagnostics[0]["data"]["fingerprint"]}})
      .take();
  diagnosticsWhen(client, uri, [](const json &d) { return d.empty(); });
  CHECK(readFile(book.root / ".recurrent/book/ignored-findings.json")->find(diagnostics[0]["data"]["fingerprint"].get<std::string>()) != std::string::npos);
}

TEST_CASE("bible server: a book-wide check shows the closed chapters' findings, the other passage one click away") {
  BibleBook book;
  REQUIRE(writeFileAtomically(book.root / "bible/elizabeth.md", "---\ntype: character\n---\n# Elizabeth\n").ok());
  const std::string after = "# Chapter\n\nElizabteh walked to the harbour.\n";
  const std::string afterUri = book.uri(book.root / "04-after.md");
  REQUIRE(writeFileAtomically(book.root / "04-after.md", after).ok());
  LspTestClient client(storyClientOptions());
  json shown = json::array();
  client.onRequest("window/showDocument", [&](const json &params) {
    shown.push_back(params);
    return json{{"success", true}};
  });
  json caps = kStoryCapabilities;
  caps["window"]["showDocument"] = {{"support", true}};
  client.initialize(caps);
  client.open(book.uri(book.arrival), kArrival);
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(400)); // past the diagnostics' debounce
  for (const auto &n : client.takeNotifications("textDocument/publishDiagnostics"))
    CHECK(n["uri"] != afterUri); // a closed chapter shows nothing while only open chapters are checked

  // Offline, the book-wide check is the offline checks of every chapter: no model, no call.
  json report = runCommand(client, "recurrent.check", {{"uri", book.uri(book.arrival)}, {"scope", "book"}}).take();
  CHECK(report["offline"] == true);
  CHECK(report["calls"] == 0);
  CHECK(report["findings"] == 1);
  json diagnostics = diagnosticsWhen(client, afterUri, [](const json &d) { return d.size() == 1; });
  CHECK(diagnostics[0]["code"] == "name-misspelling");
  CHECK(diagnostics[0]["range"]["start"] == json{{"line", 2}, {"character", 0}});

  // Opened, its quick fixes include the contradicted passage, opened by the editor at the server's request.
  client.open(afterUri, after);
  client.sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(400)); // its findings are known once its checks ran
  json actions = client.call("textDocument/codeAction", {{"textDocument", {{"uri", afterUri}}},
                                                         {"range", diagnostics[0]["range"]},
                                                         {"context", {{"diagnostics", json::array()}}}})
                     .take();
  json show;
  for (const auto &a : actions)
    if (a["title"] == "Show the other passage (elizabeth.md:4)")
      show = a;
  REQUIRE_MESSAGE(show.is_object(), actions.dump());
  CHECK(show["kind"] == "quickfix");
  client.call("workspace/executeCommand", show["command"]).take();
  REQUIRE(shown.size() == 1);
  CHECK(shown[0]["uri"] == book.uri(book.root / "bible/elizabeth.md"));
  CHECK(shown[0]["selection"]["start"]["line"] == 3);
  CHECK(shown[0]["takeFocus"] == true);
}

TEST_CASE("bible server: bibleAt a position in a chapter names the entries there and the facts true at that point") {
  BibleBook book;
  LspTestClient client(storyClientOptions());
  client.initialize(kStoryCapabilities);
  client.open(book.uri(book.letter), kLetter);
  auto bibleAt = [&](std::uint32_t line, std::uint32_t character) {
    return client.call("recurrent/bibleAt", {{"uri", book.uri(book.letter)},
                                             {"position", {{"line", line}, {"character", character}}}})
        .take();
  };
  auto entry = [](const json &at, const std::string &name) {
    for (const auto &e : at["entries"])
      if (e["name"] == name)
        return e;
    return json();
  };

  // Before the fact comment: the paragraph names Ana and Vell; Ana has her details, not yet the scar.
  json before = bibleAt(2, 17);
  CHECK(before["here"] == json{"Ana", "Vell"});
  CHECK(entry(before, "Ana")["facts"].empty());
  CHECK(entry(before, "Ana")["details"] == json{{{"key", "eyes"}, {"value", "grey"}}});

  // After it: only Ana is here, and the scar is true, pointing at its comment.
  json after = bibleAt(6, 3);
  CHECK(after["here"] == json{"Ana"});
  json facts = entry(after, "Ana")["facts"];
  REQUIRE(facts.size() == 1);
  CHECK(facts[0] == json{{"text", "a scar on her left cheek"}, {"file", "02-letter.md"}, {"line", 4}});
  CHECK(entry(after, "Vell")["facts"].empty());
}
