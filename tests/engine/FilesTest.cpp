#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

using namespace recurrent;

TEST_CASE("writeFileAtomically replaces a file and creates private folders") {
  test::TempDir dir;
  auto target = dir / "a/b/state.json";
  REQUIRE(writeFileAtomically(target, "one").ok());
  REQUIRE(writeFileAtomically(target, "two").ok());
  auto read = readFile(target);
  REQUIRE(read.ok());
  CHECK(*read == "two");
  struct stat st {};
  REQUIRE(::stat((dir / "a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // No temporary file is left behind.
  int entries = 0;
  for ([[maybe_unused]] auto &e : std::filesystem::directory_iterator(dir / "a/b"))
    ++entries;
  CHECK(entries == 1);
}

TEST_CASE("readFile reports a missing file as an Io error naming it") {
  auto r = readFile("/nonexistent-recurrent/file.md");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Io);
  CHECK(r.error().message.find("file.md") != std::string::npos);
}
