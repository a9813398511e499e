// recurrent check through the built binary: compiler-style lines, --json, exit codes 0/1/2.
#include "support/Files.h"
#include "tests/support/Process.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace recurrent;
namespace fs = std::filesystem;

namespace {

test::ProcessResult run(const fs::path &dir, const std::vector<std::string> &args,
                        std::map<std::string, std::string> env = {}) {
  return test::runBinary(args, {dir, std::move(env), std::nullopt, std::nullopt});
}

void put(const fs::path &p, const std::string &text) {
  REQUIRE(writeFileAtomically(p, text).ok());
}

/// A small book: Ana dies in chapter 1 and speaks in chapter 2; a slip in chapter 2; chapter 3 told in the
/// third person slips into the first.
void writeBook(const fs::path &root) {
  put(root / "bible/ana.md", "---\naliases: [Ana]\n---\n# Ana Petrova\nA pilot.\n- status: alive\n");
  put(root / "bible/vell.md", "---\ntype: place\n---\n# Vellington\nA harbour.\n");
  put(root / "01-fall.md", "# The Fall\n\nAna Petrova flew over Vellington.\n\n<!-- fact: Ana.status: dead -->\n");
  put(root / "02-after.md", "# After\n\nThe rain came to Velington.\n\n\xE2\x80\x9CI am here,\xE2\x80\x9D said Ana.\n");
  put(root / "03-storm.md", "---\npov: third\n---\n# Storm\n\nThe storm broke. I ran home.\n");
}

} // namespace

TEST_CASE("check cli: findings print like a compiler's warnings, with notes, and exit 1") {
  test::TempDir dir;
  writeBook(dir / "novel");
  auto r = run(dir.path(), {"check", "novel"});
  INFO(r.out << r.err);
  CHECK(r.exitCode == 1);
  CHECK(r.out.find("02-after.md:3:18: warning: \xE2\x80\x98Velington\xE2\x80\x99 looks like a misspelling of "
                   "\xE2\x80\x98Vellington\xE2\x80\x99 (bible: Vellington) [name-misspelling]\n"
                   "bible/vell.md:4: note: Vellington\n") != std::string::npos);
  // Columns count characters: the opening quotation mark is one.
  CHECK(r.out.find("02-after.md:5:19: warning: \xE2\x80\x98" "Ana\xE2\x80\x99 speaks here") != std::string::npos);
  CHECK(r.out.find("[dead-character-acts]\n01-fall.md:5: note: fact: Ana Petrova.status: dead\n") !=
        std::string::npos);
  CHECK(r.out.find("03-storm.md:6:18: hint: first-person narration") != std::string::npos);
  CHECK(r.out.find("03-storm.md:2: note: pov: third") != std::string::npos);
  CHECK(r.err.find("3 findings") != std::string::npos);

  // One chapter of the book: only its findings, still judged against the book's facts.
  auto one = run(dir.path(), {"check", "novel/02-after.md"});
  CHECK(one.exitCode == 1);
  CHECK(one.out.find("02-after.md:5:19") != std::string::npos);
  CHECK(one.out.find("03-storm.md") == std::string::npos);
}

TEST_CASE("check cli: --json lists each finding with its range, quote, replacement, sources and fingerprint") {
  test::TempDir dir;
  writeBook(dir / "novel");
  auto r = run(dir.path(), {"check", "novel", "--json"});
  INFO(r.err);
  REQUIRE(r.exitCode == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["chapters"] == 3);
  REQUIRE(j["findings"].size() == 3);
  const auto &slip = j["findings"][0];
  CHECK(slip["file"] == "02-after.md");
  CHECK(slip["line"] == 3);
  CHECK(slip["column"] == 18);
  CHECK(slip["endColumn"] == 27);
  CHECK(slip["code"] == "name-misspelling");
  CHECK(slip["severity"] == "warning");
  CHECK(slip["quote"] == "Velington");
  CHECK(slip["replacement"] == "Vellington");
  CHECK(slip["entry"] == "Vellington");
  CHECK(slip["sources"][0] == nlohmann::json{{"kind", "bible"}, {"file", "bible/vell.md"}, {"line", 4},
                                             {"quote", "Vellington"}});
  CHECK(slip["fingerprint"].get<std::string>().size() == 16);
  const auto &dead = j["findings"][1];
  CHECK(dead["code"] == "dead-character-acts");
  CHECK_FALSE(dead.contains("replacement"));
  CHECK(dead["sources"][0]["kind"] == "fact");
  CHECK(dead["sources"][0]["file"] == "01-fall.md");
  CHECK(j["findings"][2]["severity"] == "hint");
}

TEST_CASE("check cli: a clean book exits 0 and prints nothing, errors exit 2") {
  test::TempDir dir;
  put(dir / "clean/bible/ana.md", "---\naliases: [Ana]\n---\n# Ana Petrova\n");
  put(dir / "clean/01.md", "# One\n\nAna Petrova flew. Ana's boat, the Anas of the world.\n");
  auto r = run(dir.path(), {"check", "clean"});
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.empty());
  auto j = run(dir.path(), {"check", "clean", "--json"});
  CHECK(j.exitCode == 0);
  CHECK(nlohmann::json::parse(j.out)["findings"].empty());

  auto missing = run(dir.path(), {"check", "nowhere"});
  CHECK(missing.exitCode == 2);
  CHECK(missing.err.find("nowhere does not exist") != std::string::npos);
  CHECK(run(dir.path(), {"check"}).exitCode == 2);
  CHECK(run(dir.path(), {"check", "clean", "--bogus"}).exitCode == 2);
  auto help = run(dir.path(), {"check", "--help"});
  CHECK(help.exitCode == 0);
  CHECK(help.out.find("usage: recurrent check") != std::string::npos);
}

TEST_CASE("check cli: without a word list the check still runs and says so once") {
  test::TempDir dir;
  writeBook(dir / "novel");
  auto r = run(dir.path(), {"check", "novel"}, {{"RECURRENT_DICTIONARY", (dir / "no-such-list").string()}});
  CHECK(r.exitCode == 1);
  CHECK(r.out.find("Velington") != std::string::npos);
  auto note = r.err.find("without the dictionary filter");
  CHECK(note != std::string::npos);
  CHECK(r.err.find("without the dictionary filter", note + 1) == std::string::npos);
}
