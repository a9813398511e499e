// recurrent bible through the built binary: entries, mention counts, first appearances, problems.
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace recurrent;
namespace fs = std::filesystem;

namespace {

test::ProcessResult run(const fs::path &dir, const std::vector<std::string> &args) {
  return test::runBinary(args, {dir, {}, std::nullopt, std::nullopt});
}

void put(const fs::path &p, const std::string &text) {
  REQUIRE(writeFileAtomically(p, text).ok());
}

const nlohmann::json *entryNamed(const nlohmann::json &j, const std::string &name) {
  for (const auto &e : j["entries"])
    if (e["name"] == name)
      return &e;
  return nullptr;
}

} // namespace

TEST_CASE("bible cli: a folder book's entries with mention counts, first appearances and problems") {
  test::TempDir dir;
  put(dir / "novel/01-harbour.md",
      "# The Harbour\n\nAnya Petrova came home.\n\nThe harbour of Vell was grey.\n");
  put(dir / "novel/02-storm.md",
      "# The Storm\n\nAna's boat left Vell.\n<!-- fact: Ana.eyes: one eye lost -->\n"
      "<!-- fact: Bob: unknown -->\nWe ate at Ana's Diner.\n");
  put(dir / "novel/bible/ana.md", "---\ntype: character\naliases: [Ana, Anya]\nexclude: [Ana's Diner]\n---\n"
                                  "# Ana Petrova\nA pilot.\n- eyes: grey\n");
  put(dir / "novel/bible/vell.md", "---\ntype: place\naliases: [Ana]\n---\n# Vell\nA harbour town.\n");
  put(dir / "novel/bible/broken.md", "---\ntype: [oops\n---\n# The Gull\nA boat.\n");

  auto r = run(dir.path(), {"bible", "novel", "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["bible"] == "bible");
  CHECK(j["chapters"] == 2);
  REQUIRE(j["entries"].size() == 3);
  auto *ana = entryNamed(j, "Ana Petrova");
  REQUIRE(ana);
  CHECK((*ana)["type"] == "character");
  CHECK((*ana)["aliases"] == nlohmann::json::array({"Ana", "Anya"}));
  CHECK((*ana)["mentions"] ==
        3); // Anya Petrova is "Anya" + not Petrova alone; Ana's; the fact's Ana; not the diner
  CHECK((*ana)["firstAppearance"]["file"] == "01-harbour.md");
  CHECK((*ana)["firstAppearance"]["line"] == 3);
  CHECK((*ana)["facts"] == 1);
  CHECK((*ana)["file"] == "bible/ana.md");
  auto *vell = entryNamed(j, "Vell");
  REQUIRE(vell);
  CHECK((*vell)["aliases"].empty());
  CHECK((*vell)["mentions"] == 2);
  CHECK((*vell)["firstAppearance"]["line"] == 5);
  auto *gull = entryNamed(j, "The Gull");
  REQUIRE(gull);
  CHECK((*gull)["mentions"] == 0);
  CHECK((*gull)["firstAppearance"].is_null());

  std::vector<std::string> problems;
  for (const auto &d : j["diagnostics"])
    problems.push_back(d["file"].get<std::string>() + ":" + std::to_string(d["line"].get<int>()) + ":" +
                       d["severity"].get<std::string>());
  std::sort(problems.begin(), problems.end());
  CHECK(problems == std::vector<std::string>{"02-storm.md:5:warning", "bible/broken.md:2:error",
                                             "bible/vell.md:5:error"});

  // A chapter file of that (not yet a story) folder leads to the same bible.
  auto viaChapter = run(dir.path(), {"bible", "novel/02-storm.md", "--json"});
  REQUIRE(viaChapter.exitCode == 0);
  CHECK(nlohmann::json::parse(viaChapter.out)["entries"].size() == 3);

  auto text = run(dir.path(), {"bible", "novel/bible"});
  REQUIRE(text.exitCode == 0);
  CHECK(text.out.find("Ana Petrova  (character)") != std::string::npos);
  CHECK(text.out.find("aliases: Ana, Anya") != std::string::npos);
  CHECK(text.out.find("3 mentions · first in 01-harbour.md:3 · 1 fact") != std::string::npos);
  CHECK(text.out.find("bible/broken.md:2: error: front matter is not valid YAML") != std::string::npos);
  CHECK(text.out.find("02-storm.md:5: warning: the fact about 'Bob' names no bible entry") !=
        std::string::npos);
}

TEST_CASE("bible cli: a one-file story's NAME.bible/bible.md, no bible yet, and usage errors") {
  test::TempDir dir;
  put(dir / "story.md", "# Story\n\n王安娜说话。Rose smelled a rose.\n");
  auto none = run(dir.path(), {"bible", "story.md"});
  REQUIRE(none.exitCode == 0);
  CHECK(none.out.find("no bible yet: create story.bible/") != std::string::npos);

  put(dir / "story.bible/bible.md",
      "# Cast\n\n## Rose\nA gardener.\n\n## 王安娜\n---\naliases: [安娜]\n---\nA pilot.\n");
  auto r = run(dir.path(), {"bible", "story.md", "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["bible"] == "story.bible");
  REQUIRE(j["entries"].size() == 2);
  CHECK(j["entries"][0]["name"] == "Rose");
  CHECK(j["entries"][0]["mentions"] == 1);
  CHECK(j["entries"][1]["mentions"] == 1);
  CHECK(j["entries"][1]["line"] == 6);
  CHECK(j["diagnostics"].empty());

  CHECK(run(dir.path(), {"bible"}).exitCode == 2);
  CHECK(run(dir.path(), {"bible", "missing.md"}).exitCode == 2);
  CHECK(run(dir.path(), {"bible", "story.md", "--colour"}).exitCode == 2);
  auto help = run(dir.path(), {"bible", "--help"});
  CHECK(help.exitCode == 0);
  CHECK(help.out.find("usage: recurrent bible FILE|DIR [--json]") != std::string::npos);
}
