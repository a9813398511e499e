// Hardening tests' shared fixtures: a generated manuscript, the one-line-error rule, and checks
// that the state beside a manuscript loads without repairs.
//
// Header-only (tests/cli/Hardening*.cpp include it); uses doctest assertions, so only tests include it.
#pragma once

#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

namespace recurrent::test {

/// A manuscript of `paragraphs` distinct paragraphs under one heading; `salt` changes every one.
inline std::string book(int paragraphs, int salt = 0) {
  const char *people[] = {"Ilse", "Tomasz", "Beatrix", "Oduya", "Fenwick", "Marguerite"};
  const char *places[] = {"lighthouse", "vineyard", "copper mine", "cathedral", "ferry", "orchard"};
  std::string text = "# The Harbour Book\n\n";
  for (int i = 0; i < paragraphs; ++i)
    text += std::string(people[i % 6]) + " walked to the " + places[(i / 6) % 6] + " on day " +
            std::to_string(i + salt) + " and counted " + std::to_string(i * 13 + 5) +
            " gulls. The weather turned, as it always did, and the harbour bell rang twice.\n\n";
  return text;
}

/// A one-line reason on stderr (ignoring blank lines and warnings), naming the command.
inline bool oneLineError(const std::string &err) {
  std::size_t lines = 0, start = 0;
  while (start < err.size()) {
    std::size_t end = err.find('\n', start);
    std::string line = err.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.find("warning") == std::string::npos)
      ++lines;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return lines == 1 && err.rfind("recurrent", 0) == 0;
}

/// Every memory file present loads cleanly (no skipped line, no set-aside file, no index
/// rebuilt for being unreadable); returns the memory's entries.
inline std::vector<engine::MemoryEntry> memoryLoadsCleanly(const std::filesystem::path &manuscript) {
  using namespace engine;
  auto paths = StatePaths::forManuscript(manuscript);
  if (std::filesystem::exists(paths.longTermMemory())) {
    std::vector<std::string> bad;
    auto text = readFile(paths.longTermMemory());
    REQUIRE(text);
    parseMemoryFile(*text, bad);
    CHECK_MESSAGE(bad.empty(), "memory.jsonl has unusable lines: ", bad.empty() ? "" : bad.front());
  }
  // The vector index is a cache saved as two files, the vectors then the sidecar: a kill between
  // the two leaves vectors without a sidecar, which loading ignores (and rebuilds). A sidecar
  // present must describe the vectors beside it.
  if (std::filesystem::exists(paths.vectorIndexMeta())) {
    auto index = VectorIndex::load(paths.vectorIndex(), paths.vectorIndexMeta());
    CHECK_MESSAGE(index, "the vector index does not load: ", index ? "" : index.error().message);
  }
  auto memory = LongTermMemory::open(paths, std::make_shared<HashedEmbedder>());
  REQUIRE(memory);
  auto warnings = (*memory)->loadWarnings();
  CHECK_MESSAGE(warnings.empty(), "loading needed repairs: ", warnings.empty() ? "" : warnings.front());
  return (*memory)->entries();
}

/// How many memory entries are duplicates or carry a hash that is not the hash of the paragraph
/// they sit on.
inline std::size_t mismatchedEntries(const std::vector<engine::MemoryEntry> &entries, const std::string &text) {
  engine::Manuscript m(text);
  std::set<std::size_t> seen;
  std::size_t mismatched = 0;
  for (const auto &e : entries)
    if (!seen.insert(e.paragraph).second || e.paragraph >= m.paragraphs().size() ||
        m.paragraphs()[e.paragraph].hash != e.hash)
      ++mismatched;
  return mismatched;
}

/// Each memory entry sits on a distinct paragraph of the manuscript and carries that
/// paragraph's hash: no entry for text that is not there, none twice. Returns the entry count.
inline std::size_t entriesMatchManuscript(const std::vector<engine::MemoryEntry> &entries, const std::string &text) {
  std::size_t mismatched = mismatchedEntries(entries, text);
  CHECK_MESSAGE(mismatched == 0, mismatched, " memory entries are duplicates or match no paragraph");
  return entries.size();
}

} // namespace recurrent::test
