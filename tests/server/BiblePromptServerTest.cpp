// The story bible in the editor's prompts: recurrent/lastPrompt lists each entry with the reason it came in
// and each candidate left out with why; the setting recurrent.bibleShare caps the bible, and an `always`
// entry cut by it is one message to the writer. The real server and engine, offline.
#include "protocol/Uri.h"
#include "support/Files.h"
#include "tests/server/EditorMirror.h"
#include "tests/server/StoryTestKit.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <filesystem>

using namespace recurrent;
using namespace recurrent::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kArrival =
    "# Arrival\n\nMara kept the lighthouse on the north cape. Every night she climbed the stairs.\n\n"
    "One evening a stranger rowed in from the fog and handed her a letter sealed with green wax.\n";
const std::string kLetter =
    "# The Letter\n\nMara broke the green wax by the lamp. The letter spoke of a ship that sailed north.\n\n"
    "The stranger said his name was Tomas, and that he had carried the letter for nine years.\n\n"
    "The wind turned in the night and the shutters rattled until the whole house was awake and listening.\n\n"
    "In the morning the fishermen dragged their boats above the tide line and tied them to the iron "
    "rings.\n\n"
    "A cart came up the cliff road with barrels of oil, and the driver stayed for soup before he went "
    "back.\n\n"
    "The children ran along the shingle, shouting at the waves, and their mother called them home for "
    "supper.\n\n"
    "Far out a steamer passed without stopping, its smoke lying flat over the water like a dark scarf.\n\n"
    "By the second week the ice had reached the harbour mouth, and the old men said it was a hard year.\n\n";

void put(const fs::path &p, const std::string &text) {
  REQUIRE(writeFileAtomically(p, text).ok());
}

const json *entryNamed(const json &list, const std::string &name) {
  for (const auto &e : list)
    if (e["name"] == name)
      return &e;
  return nullptr;
}

int warningsAbout(LspTestClient &client, const std::string &needle) {
  int n = 0;
  for (const auto &m : client.takeNotifications("window/showMessage"))
    n += m["message"].get<std::string>().find(needle) != std::string::npos;
  return n;
}

} // namespace

TEST_CASE(
    "bible server: lastPrompt lists the bible's entries with reasons, and bibleShare cuts with one message") {
  TempDir dir;
  put(dir / "01-arrival.md", kArrival);
  put(dir / "02-letter.md", kLetter);
  put(dir / "bible/mara.md", "---\ninclude: always\n---\n# Mara\nThe lighthouse keeper, forty, patient.\n");
  put(dir / "bible/tomas.md", "---\naliases: [Tom]\nrelated: [The Cape]\n---\n# Tomas\nA courier.\n\n"
                              "## Notes\nHe wrote the letter himself.\n");
  put(dir / "bible/cape.md", "---\ntype: place\ninclude: related\n---\n# The Cape\nThe north cape.\n");
  put(dir / "bible/ines.md", "---\ninclude: never\n---\n# Ines\nNot yet in the story.\n");
  const std::string arrival = protocol::pathToUri(dir / "01-arrival.md"),
                    letter = protocol::pathToUri(dir / "02-letter.md");
  LspTestClient client(storyClientOptions());
  EditorMirror editor(client, letter, kLetter);
  client.initialize(kStoryCapabilities);
  client.open(arrival, kArrival);
  client.open(letter, kLetter);
  runCommand(client, "recurrent.makeBook", {{"uri", arrival}}).take();
  waitForStory(client, arrival, storyMemoryReady);

  const std::string plan = "Tom rows back to Ines's house in the fog.";
  runCommand(client, "recurrent.continue", {{"uri", letter}, {"plan", plan}}).take();
  json prompt = client.call("recurrent/lastPrompt", {{"uri", letter}}).take();
  REQUIRE(prompt.contains("bible"));
  const json &included = prompt["bible"]["included"];
  REQUIRE(entryNamed(included, "Mara"));
  CHECK((*entryNamed(included, "Mara"))["reason"] == "always");
  REQUIRE(entryNamed(included, "Tomas"));
  CHECK((*entryNamed(included, "Tomas"))["reason"] == "alias Tom in the plan");
  REQUIRE(entryNamed(included, "The Cape"));
  CHECK((*entryNamed(included, "The Cape"))["reason"] == "related to Tomas");
  CHECK(included[0]["name"] == "Mara"); // always first
  const json *ines = entryNamed(prompt["bible"]["leftOut"], "Ines");
  REQUIRE(ines);
  CHECK((*ines)["why"] == "include: never");
  CHECK((*ines)["reason"] == "Ines in the plan");
  std::string text;
  for (const auto &m : prompt["messages"])
    text += m["content"].get<std::string>();
  CHECK(text.find("Tomas (other): A courier.") != std::string::npos);
  CHECK(text.find("wrote the letter himself") == std::string::npos); // notes never
  CHECK(text.find("Not yet in the story") == std::string::npos);
  // The budget names the kind and the reason too.
  bool listed = false;
  for (const auto &i : prompt["budget"]["included"])
    listed = listed || (i["kind"] == "story bible" && i["reason"] == "alias Tom in the plan");
  CHECK(listed);
  CHECK(warningsAbout(client, "'always'") == 0);

  // A bible share too small for Mara: she is cut, lastPrompt says why, and the writer is told once.
  client.settings = {{"bibleShare", 0.001}};
  client.notify("workspace/didChangeConfiguration", {{"settings", nullptr}});
  client.sync();
  for (int i = 0; i < 2; ++i)
    runCommand(client, "recurrent.continue", {{"uri", letter}, {"plan", plan}}).take();
  prompt = client.call("recurrent/lastPrompt", {{"uri", letter}}).take();
  const json *mara = entryNamed(prompt["bible"]["leftOut"], "Mara");
  REQUIRE(mara);
  CHECK((*mara)["reason"] == "always");
  CHECK((*mara)["why"].get<std::string>().find("over the story bible's share of the prompt (0%") == 0);
  client.sync();
  CHECK(warningsAbout(client, "'always' entry Mara was left out") == 1);
}
