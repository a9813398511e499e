// The story bible's code actions in a chapter, through the real server: "Add ‘X’ to the bible" (a new entry
// file by CreateFile), "Record a fact here" (a fact comment at the paragraph's end) and "Extract bible
// entries from this chapter" (the chapter's names, one entry file each, one message). Offline: the names
// come from the text, and no model is asked even when one is configured.
#include "engine/bible/EntryFile.h"
#include "server/BibleActions.h"
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"
#include "tests/support/SchemaAnswers.h"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kAnaEntry = "---\ntype: character\naliases: [Anya]\n---\n# Ana\n\n- eyes: grey\n";
const std::string kQuay = "# The Quay\n\n"
                          "Ana met Quorran at the quay, and Quorran's dog barked at the bells of Vell.\n\n"
                          "Mirelda Vosk watched Anya from the boat. Later Quorran waved to Mirelda.\n\n"
                          "They sailed with Élodie.\n";

/// A folder book (Make Book's marker), or the one-file story `quay.md` that is not a story yet: its bible
/// folder is enough for the actions, and opening it calls no model.
struct Book {
  TempDir dir;
  fs::path root = dir / "book";
  fs::path chapter, bible;
  explicit Book(bool folderBook = true)
      : chapter(root / (folderBook ? "01-quay.md" : "quay.md")), bible(root / (folderBook ? "bible" : "quay.bible")) {
    if (folderBook)
      fs::create_directories(root / ".recurrent/book");
    REQUIRE(writeFileAtomically(chapter, kQuay).ok());
    REQUIRE(writeFileAtomically(bible / "ana.md", kAnaEntry).ok());
    REQUIRE(writeFileAtomically(bible / "vell.md", "---\ntype: place\n---\n# Vell\n\nA harbour town.\n").ok());
  }
  std::string uri() const { return protocol::pathToUri(chapter); }
};

json capabilities(bool createFiles) {
  json caps = kStoryCapabilities;
  caps["workspace"]["workspaceEdit"] = {{"documentChanges", true}};
  if (createFiles)
    caps["workspace"]["workspaceEdit"]["resourceOperations"] = {"create"};
  return caps;
}

json actionsAt(LspTestClient &client, const std::string &uri, std::uint32_t line, std::uint32_t from,
               std::uint32_t to) {
  return client
      .call("textDocument/codeAction", {{"textDocument", {{"uri", uri}}},
                                        {"range", {{"start", {{"line", line}, {"character", from}}},
                                                   {"end", {{"line", line}, {"character", to}}}}},
                                        {"context", {{"diagnostics", json::array()}}}})
      .take();
}

/// The actions whose title starts with `prefix`.
std::vector<json> titled(const json &actions, const std::string &prefix) {
  std::vector<json> out;
  for (const auto &a : actions)
    if (a["title"].get<std::string>().rfind(prefix, 0) == 0)
      out.push_back(a);
  return out;
}

/// What an editor does with a WorkspaceEdit of new files: creates each one (refusing a file that exists,
/// as `overwrite: false` asks), writes its text, and tells the server's watcher.
json applyToDisk(LspTestClient &client, const json &edit) {
  json watched = json::array();
  for (const auto &change : edit["documentChanges"]) {
    const std::string uri = change.contains("kind") ? change["uri"] : change["textDocument"]["uri"];
    auto path = *protocol::uriToPath(uri);
    if (change.contains("kind")) {
      CHECK(change["kind"] == "create");
      CHECK(change["options"]["overwrite"] == false);
      if (fs::exists(path))
        return {{"applied", false}, {"failureReason", path.string() + " exists"}};
      fs::create_directories(path.parent_path());
      REQUIRE(writeFileAtomically(path, "").ok());
      watched.push_back({{"uri", uri}, {"type", 1}});
    } else {
      REQUIRE(writeFileAtomically(path, applyEdits(*readFile(path), change["edits"])).ok());
    }
  }
  client.notify("workspace/didChangeWatchedFiles", {{"changes", watched}});
  return {{"applied", true}};
}

} // namespace

TEST_CASE("bible actions: Add ‘X’ to the bible creates the entry file of a name the bible lacks, never of one it has") {
  Book book;
  LspTestClient client(storyClientOptions());
  client.initialize(capabilities(true));
  client.open(book.uri(), kQuay);

  // The cursor on "Quorran": a capitalised word that is no common word and no entry.
  auto add = titled(actionsAt(client, book.uri(), 2, 10, 10), "Add ");
  REQUIRE(add.size() == 1);
  CHECK(add[0]["title"] == "Add ‘Quorran’ to the bible (bible/quorran.md)");
  const std::string quorran = protocol::pathToUri(book.bible / "quorran.md");
  CHECK(add[0]["edit"] == json{{"documentChanges",
                                {{{"kind", "create"},
                                  {"uri", quorran},
                                  {"options", {{"overwrite", false}, {"ignoreIfExists", false}}}},
                                 {{"textDocument", {{"uri", quorran}, {"version", nullptr}}},
                                  {"edits", {{{"range", {{"start", {{"line", 0}, {"character", 0}}},
                                                         {"end", {{"line", 0}, {"character", 0}}}}},
                                              {"newText", "---\ntype: other\n---\n\n# Quorran\n\n"}}}}}}}});
  CHECK(add[0]["edit"]["documentChanges"][1]["edits"][0]["newText"] == engine::entryFileText("Quorran", "other"));

  // A selection is taken as it is, a name of two words.
  add = titled(actionsAt(client, book.uri(), 4, 0, 12), "Add ");
  REQUIRE(add.size() == 1);
  CHECK(add[0]["title"] == "Add ‘Mirelda Vosk’ to the bible (bible/mirelda-vosk.md)");

  // A name in any script, from anywhere in it (UTF-16 columns).
  add = titled(actionsAt(client, book.uri(), 6, 20, 20), "Add ");
  REQUIRE(add.size() == 1);
  CHECK(add[0]["title"] == "Add ‘Élodie’ to the bible (bible/élodie.md)");

  // Never on the bible's names (Ana, the alias Anya selected), a common word, or a lower-case word.
  CHECK(titled(actionsAt(client, book.uri(), 2, 1, 1), "Add ").empty());
  CHECK(titled(actionsAt(client, book.uri(), 4, 21, 25), "Add ").empty());
  CHECK(titled(actionsAt(client, book.uri(), 4, 42, 42), "Add ").empty()); // "Later"
  CHECK(titled(actionsAt(client, book.uri(), 2, 25, 25), "Add ").empty()); // "quay"

  // Once the editor made the file, the name is the bible's: no second offer.
  applyToDisk(client, add[0]["edit"]);
  add = titled(actionsAt(client, book.uri(), 2, 10, 10), "Add ");
  applyToDisk(client, add.at(0)["edit"]);
  CHECK(*readFile(book.bible / "quorran.md") == engine::entryFileText("Quorran", "other"));
  client.sync();
  CHECK(titled(actionsAt(client, book.uri(), 2, 10, 10), "Add ").empty());

  // Nor in an entry file.
  client.open(protocol::pathToUri(book.bible / "vell.md"), "---\ntype: place\n---\n# Vell\n\nA Harbour town.\n");
  CHECK(actionsAt(client, protocol::pathToUri(book.bible / "vell.md"), 5, 2, 9).empty());
}

TEST_CASE("bible actions: without CreateFile in the editor, Add to the bible says why instead of editing") {
  Book book;
  LspTestClient client(storyClientOptions());
  client.initialize(capabilities(false));
  client.open(book.uri(), kQuay);
  auto add = titled(actionsAt(client, book.uri(), 2, 10, 10), "Add ");
  REQUIRE(add.size() == 1);
  CHECK_FALSE(add[0].contains("edit"));
  json command = add[0]["command"];
  CHECK(command["arguments"][0]["names"] == json{"Quorran"});
  json refused = client.call("workspace/executeCommand", {{"command", command["command"]}, {"arguments", command["arguments"]}})
                     .takeError();
  CHECK(refused["message"].get<std::string>().find("cannot create files") != std::string::npos);
  CHECK_FALSE(fs::exists(book.bible / "quorran.md"));
}

TEST_CASE("bible actions: Record a fact here puts a fact comment at the paragraph's end, its detail names the entry's") {
  Book book;
  LspTestClient client(storyClientOptions());
  client.initialize(capabilities(true));
  client.open(book.uri(), kQuay);

  // On "Ana": a new fact, or her eyes as they are now.
  auto facts = titled(actionsAt(client, book.uri(), 2, 1, 1), "Record a fact here");
  REQUIRE(facts.size() == 2);
  CHECK(facts[0]["title"] == "Record a fact here: Ana (a new fact)");
  CHECK(facts[1]["title"] == "Record a fact here: Ana.eyes (now grey)");
  json edits = facts[1]["edit"]["changes"][book.uri()];
  REQUIRE(edits.size() == 1);
  CHECK(edits[0]["range"]["start"] == json{{"line", 2}, {"character", 75}}); // the end of the paragraph
  std::string text = applyEdits(kQuay, edits);
  CHECK(text.find("bells of Vell.\n\n<!-- fact: Ana.eyes: grey -->\n\nMirelda") != std::string::npos);

  // The writer types the new value: from there on, the bible's detail is replaced.
  const auto grey = text.find("grey -->");
  text.replace(grey, 4, "one eye lost");
  client.notify("textDocument/didChange", {{"textDocument", {{"uri", book.uri()}, {"version", 2}}},
                                           {"contentChanges", {{{"text", text}}}}});
  json at = client.call("recurrent/bibleAt", {{"uri", book.uri()}, {"position", {{"line", 6}, {"character", 0}}}}).take();
  json eyes;
  for (const auto &e : at["entries"])
    if (e["name"] == "Ana")
      eyes = e["details"];
  CHECK(eyes == json{{{"key", "eyes"}, {"value", "one eye lost"}}});

  // A line naming one entry (Anya is Ana) offers it from anywhere on the line; a line naming two, only on a name.
  facts = titled(actionsAt(client, book.uri(), 6, 45, 45), "Record a fact here");
  REQUIRE(facts.size() == 2);
  CHECK(facts[0]["title"] == "Record a fact here: Ana (a new fact)");
  CHECK(facts[0]["edit"]["changes"][book.uri()][0]["newText"] == "\n\n<!-- fact: Ana: what becomes true here -->");
  CHECK(titled(actionsAt(client, book.uri(), 2, 27, 27), "Record a fact here").empty()); // Ana and Vell there
  auto vell = titled(actionsAt(client, book.uri(), 2, 71, 71), "Record a fact here");
  REQUIRE(vell.size() == 1); // Vell has no details
  CHECK(vell[0]["title"] == "Record a fact here: Vell (a new fact)");
}

TEST_CASE("bible actions: Extract bible entries from this chapter makes one entry per name, one message, no model call") {
  Book book(false);
  FakeLlmServer model;
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false}};
  client.onRequest("workspace/applyEdit", [&](const json &params) { return applyToDisk(client, params["edit"]); });
  client.initialize(capabilities(true));
  client.open(book.uri(), kQuay);

  // Quorran three times; "Mirelda Vosk" once, as one name, and Mirelda once alone: her first name, so her
  // alias and her count; Élodie once; Ana, Anya and Vell are known, Later and They open a sentence.
  auto extract = titled(actionsAt(client, book.uri(), 0, 0, 0), "Extract bible entries");
  REQUIRE(extract.size() == 1);
  CHECK(extract[0]["title"] == "Extract bible entries from this chapter: Quorran (3), Mirelda Vosk (2), Élodie (1)");
  json command = extract[0]["command"];
  CHECK(command["command"] == "recurrent.extractBibleEntries");
  CHECK(command["arguments"][0]["aliases"] == json{{"Mirelda Vosk", {"Mirelda"}}});
  json result = client.call("workspace/executeCommand", {{"command", command["command"]}, {"arguments", command["arguments"]}})
                    .take();
  CHECK(result["added"] == json{"Quorran", "Mirelda Vosk", "Élodie"});
  CHECK(result["files"] == json{protocol::pathToUri(book.bible / "quorran.md"), protocol::pathToUri(book.bible / "mirelda-vosk.md"),
                                protocol::pathToUri(book.bible / "élodie.md")});
  CHECK_FALSE(fs::exists(book.bible / "mirelda.md"));
  CHECK(*readFile(book.bible / "quorran.md") == engine::entryFileText("Quorran", "other")); // no invented description
  CHECK(*readFile(book.bible / "mirelda-vosk.md") == engine::entryFileText("Mirelda Vosk", "other", {"Mirelda"}, ""));
  CHECK(*readFile(book.bible / "élodie.md") == engine::entryFileText("Élodie", "other"));
  auto messages = client.takeNotifications("window/showMessage");
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["message"].get<std::string>().find("added 3 bible entries: Quorran, Mirelda Vosk, Élodie") !=
        std::string::npos);
  // Nothing asked of the model (the server may list its /models on its own: that is no call).
  client.sync();
  CHECK(model.requestCount("/v1/chat/completions") == 0);
  CHECK(model.requestCount("/v1/embeddings") == 0);

  // The chapter's names are all the bible's now: nothing left to extract, nor to add.
  client.sync();
  json after = actionsAt(client, book.uri(), 2, 10, 10);
  CHECK(titled(after, "Extract bible entries").empty());
  CHECK(titled(after, "Add ").empty());
}

TEST_CASE("bible actions: a chapter too long to list its names in a title has them found when the writer extracts") {
  Book book;
  std::string novel = "# Everything\n\nQuorran saw Mirelda Vosk, and Mirelda waved.\n\n";
  while (novel.size() <= 256 * 1024)
    novel += "Ana met Quorran at the quay, and the sea was grey for a long while that year.\n\n";
  REQUIRE(writeFileAtomically(book.chapter, novel).ok());
  LspTestClient client(storyClientOptions());
  client.onRequest("workspace/applyEdit", [&](const json &params) { return applyToDisk(client, params["edit"]); });
  client.initialize(capabilities(true));
  client.open(book.uri(), novel);

  auto extract = titled(actionsAt(client, book.uri(), 0, 0, 0), "Extract bible entries");
  REQUIRE(extract.size() == 1);
  CHECK(extract[0]["title"] == "Extract bible entries from this chapter");
  CHECK_FALSE(extract[0]["command"]["arguments"][0].contains("names"));
  json result = client.call("workspace/executeCommand", {{"command", extract[0]["command"]["command"]},
                                                         {"arguments", extract[0]["command"]["arguments"]}})
                    .take();
  CHECK(result["added"] == json{"Quorran", "Mirelda Vosk"});
  CHECK(*readFile(book.bible / "quorran.md") == engine::entryFileText("Quorran", "other"));
  CHECK(*readFile(book.bible / "mirelda-vosk.md") == engine::entryFileText("Mirelda Vosk", "other", {"Mirelda"}, ""));
  CHECK(client.takeNotifications("window/showMessage").size() == 1);
}

TEST_CASE("bible actions: a full entry's edit carries its type, aliases and description (the model's extraction)") {
  TempDir dir;
  std::vector<fs::path> files;
  json edit = server::newEntriesEdit(dir / "bible",
                                     std::vector<server::NewEntry>{{"Mara Vell", "character", {"Mara"}, "The keeper."},
                                                                   {"Tobin", "other", {}, ""}},
                                     files);
  REQUIRE(files.size() == 2);
  CHECK(files[0] == dir / "bible/mara-vell.md");
  json changes = edit["documentChanges"];
  REQUIRE(changes.size() == 4);
  CHECK(changes[0]["kind"] == "create");
  CHECK(changes[1]["edits"][0]["newText"] == "---\ntype: character\naliases: [Mara]\n---\n\n# Mara Vell\n\nThe keeper.\n");
  CHECK(changes[3]["edits"][0]["newText"] == engine::entryFileText("Tobin", "other")); // nothing invented
}

TEST_CASE("bible actions: with a model, Extract asks it once and writes its entries, never an invented or a known name") {
  Book book;
  FakeLlmServer model;
  SchemaAnswers others;
  std::atomic<int> extractRequests{0};
  model.setHandler([&](const FakeRequest &request) -> FakeResponse {
    const json &j = request.json;
    if (request.path == "/v1/chat/completions" && j.is_object() && j.contains("response_format") &&
        j["response_format"].value("json_schema", json::object()).value("name", "") == "bible_entries") {
      ++extractRequests;
      json entries = json::array(
          {{{"name", "Quorran"}, {"type", "character"}, {"aliases", json::array()},
            {"description", "A sailor of the quay. His dog barks at the bells."}},
           {{"name", "Mirelda Vosk"}, {"type", "wizard"}, {"aliases", {"Mirelda"}}, {"description", "Watches from the boat."}},
           {{"name", "Zebulon"}, {"type", "character"}, {"aliases", json::array()}, {"description", "Not in the chapter."}},
           {{"name", "Anya"}, {"type", "character"}, {"aliases", json::array()}, {"description", "Known already."}}});
      return chatStream(json{{"entries", entries}}.dump(), ChatStreamOptions{});
    }
    return others.respond(request);
  });
  LspTestClient client(storyClientOptions());
  client.settings = {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "m"}, {"streaming", false}};
  client.onRequest("workspace/applyEdit", [&](const json &params) { return applyToDisk(client, params["edit"]); });
  client.initialize(capabilities(true));
  client.open(book.uri(), kQuay);

  json result = client.call("workspace/executeCommand", {{"command", "recurrent.extractBibleEntries"},
                                                         {"arguments", {{{"uri", book.uri()}}}}})
                    .take();
  CHECK(extractRequests == 1);
  CHECK(result["added"] == json{"Quorran", "Mirelda Vosk"});
  CHECK(*readFile(book.bible / "quorran.md") ==
        engine::entryFileText("Quorran", "character", {}, "A sailor of the quay. His dog barks at the bells."));
  CHECK(*readFile(book.bible / "mirelda-vosk.md") ==
        engine::entryFileText("Mirelda Vosk", "other", {"Mirelda"}, "Watches from the boat.")); // an unknown type
  CHECK_FALSE(fs::exists(book.bible / "zebulon.md"));
  CHECK_FALSE(fs::exists(book.bible / "anya.md"));
  // Through the story's recorded model: the call log and the context viewer see it.
  CHECK(readFile(book.root / ".recurrent/book/calls.jsonl").value().find("\"task\":\"extract\"") != std::string::npos);
  json last = client.call("recurrent/lastPrompt", {{"uri", book.uri()}}).take();
  CHECK(last["task"] == "extract");
  auto messages = client.takeNotifications("window/showMessage");
  bool said = false;
  for (const auto &m : messages)
    said = said || m["message"].get<std::string>().find("added 2 bible entries: Quorran, Mirelda Vosk") != std::string::npos;
  CHECK(said);
  CHECK(client.stop() == 0);
}
