// `recurrent write --resume` rerun with the first run's flags: flags that agree with the saved story are
// accepted, and a conflicting one is refused by name, before any model call or write.
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace recurrent;
using nlohmann::json;

namespace {

test::ProcessResult run(const test::TempDir &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir.path(), {}, std::nullopt, std::nullopt});
}

long savedStep(const test::TempDir &dir, const std::string &file) {
  return json::parse(run(dir, {"state", file, "--json"}).out)["step"].get<long>();
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace

TEST_CASE("write --resume accepts the first run's --topic, --type, --premise, --mode, --language and --seed") {
  test::TempDir dir;
  const std::vector<std::string> first = {"write", "--topic", "a keeper who hears the radio", "--type", "mystery",
                                          "--premise", "The radio speaks in her own voice.", "--mode", "novel",
                                          "--language", "English", "--seed", "7", "--out", "story.md", "--provider",
                                          "offline"};
  auto started = run(dir, with(first, {"--iterations", "1"}));
  REQUIRE_MESSAGE(started.exitCode == 0, started.err);
  REQUIRE(savedStep(dir, "story.md") == 1);

  // The same command again with --resume: it continues.
  auto resumed = run(dir, with(first, {"--resume", "--iterations", "1"}));
  INFO("stderr: " << resumed.err);
  CHECK(resumed.exitCode == 0);
  CHECK(savedStep(dir, "story.md") == 2);
  // Case does not make a genre or a language differ.
  CHECK(run(dir, {"write", "--resume", "--out", "story.md", "--type", "Mystery", "--language", "english",
                  "--iterations", "0", "--provider", "offline"})
            .exitCode == 0);
}

TEST_CASE("write --resume refuses a flag that contradicts the saved story, naming it and both values") {
  test::TempDir dir;
  REQUIRE(run(dir, {"write", "--topic", "a lighthouse", "--type", "mystery", "--seed", "3", "--iterations", "1",
                    "--provider", "offline"})
              .exitCode == 0);
  auto before = readFile(dir / "story.md").value();

  auto genre = run(dir, {"write", "--resume", "--type", "romance", "--topic", "a lighthouse", "--iterations", "1",
                         "--provider", "offline"});
  CHECK(genre.exitCode != 0);
  CHECK(genre.err.find("--type \"romance\" differs from the story's genre \"mystery\"") != std::string::npos);
  CHECK(genre.err.find("--topic") == std::string::npos); // the agreeing flag is not a conflict
  auto two = run(dir, {"write", "--resume", "--mode", "interactive", "--seed", "4", "--iterations", "1",
                       "--provider", "offline"});
  CHECK(two.exitCode != 0);
  CHECK(two.err.find("--mode \"interactive\" differs from the story's mode \"novel\"") != std::string::npos);
  CHECK(two.err.find("--seed 4 differs from the story's seed 3") != std::string::npos);
  // Nothing written, nothing committed.
  CHECK(readFile(dir / "story.md").value() == before);
  CHECK(savedStep(dir, "story.md") == 1);
}

TEST_CASE("write --resume accepts the --from file the story was adopted from, and refuses another") {
  test::TempDir dir;
  std::string draft = "# The Draft\n\n";
  for (const char *p : {"The keeper lit the lamp at dusk and watched the fog roll in from the grey sea below the cliffs.",
                        "A ship passed the rocks at night, its bell ringing, and the keeper counted the strokes aloud.",
                        "In the morning she walked down to the harbour, where the fishermen spoke of a stranger.",
                        "The stranger had come on the ship and asked the way to the lighthouse before the tide turned."})
    draft += std::string(p) + "\n\n";
  REQUIRE(writeFileAtomically(dir / "draft.md", draft).ok());
  REQUIRE(writeFileAtomically(dir / "other.md", "# Other\n\nSomething else entirely.\n").ok());
  // Adopted only (the flags are the point here, not the offline prose).
  REQUIRE(run(dir, {"write", "--from", "draft.md", "--out", "novel.md", "--iterations", "0", "--provider", "offline"})
              .exitCode == 0);
  auto again = run(dir, {"write", "--resume", "--from", "draft.md", "--out", "novel.md", "--iterations", "0",
                         "--provider", "offline"});
  INFO("stderr: " << again.err);
  CHECK(again.exitCode == 0);
  auto other = run(dir, {"write", "--resume", "--from", "other.md", "--out", "novel.md", "--iterations", "1",
                         "--provider", "offline"});
  CHECK(other.exitCode != 0);
  CHECK(other.err.find("--from other.md is not the text the story starts with") != std::string::npos);
  // In place: --from names the manuscript itself.
  CHECK(run(dir, {"write", "--resume", "--from", "novel.md", "--out", "novel.md", "--iterations", "0",
                  "--provider", "offline"})
            .exitCode == 0);
}
