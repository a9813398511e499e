// `recurrent write` with a story bible beside a one-file story (DIR/NAME.bible/): its entries reach every
// step's prompt with their reasons in the call log, and --bible-share cuts them with one warning. The built
// binary, offline.
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <sstream>

using namespace recurrent;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

test::ProcessResult run(const test::TempDir &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir.path(), {}, std::nullopt, std::nullopt});
}

void put(const fs::path &p, const std::string &text) {
  REQUIRE(writeFileAtomically(p, text).ok());
}

std::vector<json> stepCalls(const test::TempDir &dir) {
  std::vector<json> out;
  std::istringstream lines(readFile(dir / ".recurrent/story.md/calls.jsonl").value());
  for (std::string line; std::getline(lines, line);)
    if (auto j = json::parse(line); j["task"] == "step")
      out.push_back(j);
  return out;
}

std::size_t count(const std::string &haystack, const std::string &needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE(
    "write uses the story bible: entries with reasons in the call log, --bible-share cuts with one warning") {
  test::TempDir dir;
  put(dir / "story.md",
      "# The Cape\n\n"
      "The wind turned in the night and the shutters rattled until the whole house was awake and "
      "listening.\n\n"
      "In the morning the fishermen dragged their boats above the tide line and tied them to the iron "
      "rings.\n\n"
      "A cart came up the cliff road with barrels of oil, and the driver stayed for soup before he went "
      "back.\n\n"
      "The children ran along the shingle, shouting at the waves, and their mother called them home for "
      "supper.\n\n"
      "Far out a steamer passed without stopping, its smoke lying flat over the water like a dark scarf.\n\n"
      "By the second week the ice had reached the harbour mouth, and the old men said it was a hard year.\n\n"
      "Ilse walked to the lighthouse and counted the gulls before the storm.\n\n"
      "The keeper's log said the storm would come from the north, and Ilse believed it.\n\n"
      "At dusk Ilse climbed the stairs and lit the lamp for the ships that never came.\n");
  put(dir / "story.bible/ilse.md", "---\ntype: character\n---\n# Ilse\nThe keeper's daughter, sixteen.\n"
                                   "- eyes: green\n\n## Notes\nShe will leave in the last chapter.\n");
  put(dir / "story.bible/cape.md",
      "---\ntype: place\ninclude: always\n---\n# North Cape\nA bare rock of gulls.\n");

  auto r = run(dir, {"write", "--from", "story.md", "--iterations", "2", "--select", "first", "--seed", "4"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exitCode == 0);
  auto calls = stepCalls(dir);
  REQUIRE(calls.size() == 2);
  for (const auto &call : calls) {
    std::string prompt;
    for (const auto &m : call["messages"])
      prompt += m["content"].get<std::string>();
    CHECK(prompt.find("North Cape (place): A bare rock of gulls.") != std::string::npos);
    CHECK(prompt.find("Ilse (character): The keeper's daughter, sixteen.\n- eyes: green") !=
          std::string::npos);
    CHECK(prompt.find("last chapter") == std::string::npos); // notes never
    std::map<std::string, std::string> reasons;
    for (const auto &i : call["budget"]["included"])
      if (i["kind"] == "story bible")
        reasons[i["label"]] = i["reason"];
    CHECK(reasons["North Cape"] == "always");
    CHECK(reasons["Ilse"].rfind("Ilse in ", 0) == 0); // the plan or a recent paragraph
  }
  CHECK(r.err.find("warning:") == std::string::npos);

  // No room for the bible: the always entry is cut, the log says why, stderr says it once.
  auto cut = run(dir, {"write", "--resume", "--out", "story.md", "--iterations", "2", "--select", "first",
                       "--bible-share", "0"});
  INFO("stderr: " << cut.err);
  REQUIRE(cut.exitCode == 0);
  CHECK(count(cut.err, "warning: the story bible's 'always' entry North Cape was left out of the prompt") ==
        1);
  calls = stepCalls(dir);
  REQUIRE(calls.size() == 4);
  bool logged = false;
  for (const auto &i : calls.back()["budget"]["trimmed"])
    logged = logged || (i["label"] == "North Cape" && i["reason"] == "always" &&
                        i["cutReason"].get<std::string>().find("share of the prompt (0%, 0 tokens)") !=
                            std::string::npos);
  CHECK(logged);

  auto bad = run(dir, {"write", "--resume", "--out", "story.md", "--bible-share", "1.5"});
  CHECK(bad.exitCode != 0);
  CHECK(bad.err.find("--bible-share must be a number from 0 to 1") != std::string::npos);
}
