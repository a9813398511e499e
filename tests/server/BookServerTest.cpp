// Folder books in the editor: the writer's word makes a folder a book, its open chapters share one
// memory, one step counter and one state, a continuation reaches back into the chapter before, and
// search finds chapters that are not open. The real server and engine, offline.
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/EditorMirror.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <vector>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string chapter(const std::string &title, const std::vector<std::string> &paragraphs) {
  std::string text = "# " + title + "\n";
  for (const auto &p : paragraphs)
    text += "\n" + p + "\n";
  return text;
}

const std::string kArrival = chapter(
    "Arrival", {"Mara kept the lighthouse on the north cape. Every night she climbed the stairs and lit the lamp.",
                "The ships came less often that winter, and the village below the cape grew quiet.",
                "One evening a stranger rowed in from the fog and handed her a letter sealed with green wax."});
const std::string kLetter = chapter(
    "The Letter", {"Mara broke the green wax by the lamp. The letter spoke of a ship that sailed north.",
                   "The stranger said his name was Tomas, and that he had carried the letter for nine years."});
const std::string kStorm = chapter(
    "The Storm", {"Old Ines kept a copper kettle on her stove and told the children about the great storm.",
                  "Her brother had sailed with the ship that winter, and the storm had taken the mast."});

struct Book {
  TempDir dir;
  fs::path arrival = dir / "01-arrival.md", letter = dir / "02-letter.md", storm = dir / "03-storm.md";
  Book() {
    REQUIRE(writeFileAtomically(arrival, kArrival).ok());
    REQUIRE(writeFileAtomically(letter, kLetter).ok());
    REQUIRE(writeFileAtomically(storm, kStorm).ok());
    REQUIRE(writeFileAtomically(dir / "README.md", "# Notes\n\nNot a chapter: the book skips READMEs.\n").ok());
  }
};

std::string promptText(const json &lastPrompt) {
  std::string all;
  for (const auto &m : lastPrompt["messages"])
    all += m["content"].get<std::string>() + "\n";
  return all;
}

} // namespace

TEST_CASE("book server: Make Book joins the folder's open chapters into one memory, one step counter and one state") {
  Book book;
  const std::string arrival = protocol::pathToUri(book.arrival), letter = protocol::pathToUri(book.letter);
  LspTestClient client(storyClientOptions());
  EditorMirror editor(client, letter, kLetter);
  client.initialize(kStoryCapabilities);
  client.open(arrival, kArrival);
  client.open(letter, kLetter);

  // Not a story yet: the writer is offered both, and nothing is written until one is picked.
  CHECK(commandsOffered(client, arrival) == std::set<std::string>{"recurrent.adopt", "recurrent.makeBook"});
  CHECK_FALSE(fs::exists(book.dir / ".recurrent"));

  json made = runCommand(client, "recurrent.makeBook", {{"uri", arrival}}).take();
  CHECK(made["paragraphs"] == 3 + 2 + 2); // the closed third chapter too; the README is not a chapter
  CHECK(fs::is_directory(book.dir / ".recurrent" / "book"));
  CHECK_FALSE(fs::exists(book.dir / ".recurrent" / "01-arrival.md")); // no one-file state beside it

  json first = waitForStory(client, arrival, storyMemoryReady);
  json second = client.call("recurrent/storyState", {{"uri", letter}}).take();
  CHECK(first["statePath"] == second["statePath"]);
  CHECK(second["counts"]["memoryEntries"] == 7);
  CHECK(second["book"]["folder"] == true);
  REQUIRE(second["book"]["chapters"].size() == 3);
  CHECK(second["book"]["chapters"][2]["file"] == "03-storm.md");
  CHECK(second["book"]["chapters"][2]["title"] == "The Storm");

  // Search by meaning reaches the chapter that is not open.
  json symbols = client.call("workspace/symbol", {{"query", "copper kettle"}}).take();
  REQUIRE(!symbols.empty());
  CHECK(symbols[0]["location"]["uri"] == protocol::pathToUri(book.storm));
  CHECK(symbols[0]["location"]["range"]["start"]["line"] == 2); // its first paragraph, in its own file

  // A continuation in chapter 2 counts for the book, and its prompt reaches back into chapter 1.
  json step = runCommand(client, "recurrent.continue", {{"uri", letter}}).take();
  CHECK(step["step"] == 1);
  CHECK(editor.text().size() > kLetter.size());
  CHECK(client.call("recurrent/storyState", {{"uri", arrival}}).take()["step"] == 1);
  json prompt = client.call("recurrent/lastPrompt", {{"uri", arrival}}).take();
  CHECK(promptText(prompt).find("sealed with green wax") != std::string::npos);
  // The new paragraph joins the one memory.
  waitForStory(client, arrival, [](const json &s) {
    return storyMemoryReady(s) && s["counts"]["paragraphs"] == 8;
  });
}

TEST_CASE("book server: a new chapter follows the naming and SUMMARY.md, opens in the editor, and continues the last") {
  Book book;
  REQUIRE(writeFileAtomically(book.dir / "SUMMARY.md",
                              "# Summary\n\n- [Arrival](01-arrival.md)\n- [The Letter](02-letter.md)\n")
              .ok());
  fs::remove(book.storm);
  const std::string arrival = protocol::pathToUri(book.arrival);
  LspTestClient client(storyClientOptions());
  std::vector<std::string> shown;
  client.onRequest("window/showDocument", [&](const json &params) {
    shown.push_back(params["uri"]);
    return json{{"success", true}};
  });
  client.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  json capabilities = kStoryCapabilities;
  capabilities["window"]["showDocument"] = {{"support", true}};
  client.initialize(capabilities);
  client.open(arrival, kArrival);

  // Only a book has chapters.
  CHECK(runCommand(client, "recurrent.newChapter", {{"uri", arrival}}).takeError()["message"].get<std::string>().find(
            "make this folder a book") != std::string::npos);
  runCommand(client, "recurrent.makeBook", {{"uri", arrival}}).take();

  json made = runCommand(client, "recurrent.newChapter", {{"uri", arrival}, {"title", "The Storm"}}).take();
  const fs::path storm = book.dir / "03-the-storm.md";
  CHECK(made["file"] == "03-the-storm.md");
  CHECK(made["uri"] == protocol::pathToUri(storm));
  CHECK(readFile(storm).value() == "# The Storm\n");
  CHECK(readFile(book.dir / "SUMMARY.md").value().find("[The Storm](03-the-storm.md)") != std::string::npos);
  client.sync();
  CHECK(shown == std::vector<std::string>{made["uri"]});

  // The editor opens it; its first paragraph follows on from the end of chapter 2.
  const std::string stormUri = made["uri"];
  EditorMirror editor(client, stormUri, "# The Storm\n");
  client.open(stormUri, "# The Storm\n");
  json step = runCommand(client, "recurrent.continue", {{"uri", stormUri}}).take();
  CHECK(step["step"] == 1);
  CHECK(promptText(client.call("recurrent/lastPrompt", {{"uri", stormUri}}).take())
            .find("carried the letter for nine years") != std::string::npos);

  json outline = client.call("recurrent/bookOutline", {{"uri", arrival}}).take();
  REQUIRE(outline["chapters"].size() == 3);
  CHECK(outline["chapters"][0]["title"] == "Arrival");
  CHECK(outline["chapters"][1]["paragraphs"] == 2);
  const std::string summary = outline["chapters"][1]["summary"];
  REQUIRE(summary.size() > 20);
  CHECK(kLetter.find(summary.substr(0, 20)) != std::string::npos); // extractive: the chapter's own words
  CHECK(outline["chapters"][2]["uri"] == stormUri);
}

TEST_CASE("book server: a chapter deleted on disk leaves the memory when the editor reports it") {
  Book book;
  const std::string arrival = protocol::pathToUri(book.arrival);
  LspTestClient client(storyClientOptions());
  client.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  json capabilities = kStoryCapabilities;
  capabilities["workspace"]["didChangeWatchedFiles"] = {{"dynamicRegistration", true}};
  client.initialize(capabilities);
  client.open(arrival, kArrival);
  runCommand(client, "recurrent.makeBook", {{"uri", arrival}}).take();
  waitForStory(client, arrival, [](const json &s) { return storyMemoryReady(s) && s["counts"]["paragraphs"] == 7; });
  client.sync();
  bool watching = false;
  for (const auto &r : client.takeRequests("client/registerCapability"))
    for (const auto &reg : r["registrations"])
      watching = watching || reg["method"] == "workspace/didChangeWatchedFiles";
  CHECK(watching);

  fs::remove(book.storm);
  client.notify("workspace/didChangeWatchedFiles",
                {{"changes", json::array({{{"uri", protocol::pathToUri(book.storm)}, {"type", 3}}})}});
  json state = waitForStory(client, arrival, [](const json &s) {
    return storyMemoryReady(s) && s["counts"]["paragraphs"] == 5;
  });
  CHECK(state["counts"]["memoryEntries"] == 5);
  CHECK(state["book"]["chapters"].size() == 2);
  CHECK(client.call("workspace/symbol", {{"query", "copper kettle"}}).take().dump().find("03-storm.md") ==
        std::string::npos);
}
