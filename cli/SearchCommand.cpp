// recurrent search FILE|DIR QUERY [-k N]: semantic search over a story's (or a whole book's) long-term memory.
#include "cli/Commands.h"
#include "cli/MemorySetup.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace recurrent::cli {

namespace {
constexpr const char *kUsage =
    "usage: recurrent search FILE|DIR QUERY [-k N] [options]\n"
    "\n"
    "Finds the paragraphs closest in meaning to QUERY (their text and summary), best first, in FILE\n"
    "or in the whole book DIR (or the book FILE belongs to); each hit names its file and line.\n"
    "Builds or refreshes the memory first when the manuscript changed (see recurrent index); while\n"
    "another process writes the story (an editor, recurrent write), searches its memory as last saved.\n"
    "\n"
    "options:\n";

/// One line: the fused score and its parts, then each matched word with where it was found
/// ("sleigh (here, -1)" : in the paragraph itself and in the one before).
std::string explanation(const std::vector<engine::LexicalIndex::Match> &words, const engine::MemoryHit &h) {
  char head[128];
  std::snprintf(head, sizeof head, "fused %.2f = words z %.2f, vectors z %.2f; ", h.fused, h.wordsZ, h.meaningZ);
  std::string out = head;
  if (words.empty())
    return out + "no word in common (found by its vector)";
  out += "matched ";
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += (i ? ", " : "") + words[i].word + " (";
    for (std::size_t j = 0; j < words[i].offsets.size(); ++j) {
      int o = words[i].offsets[j];
      out += (j ? ", " : "") + (o == 0 ? std::string("here") : (o > 0 ? "+" : "") + std::to_string(o));
    }
    out += ")";
  }
  return out;
}
} // namespace

int runSearch(int argc, char **argv) {
  auto specs = memoryOptionSpecs();
  specs.push_back({"k", true, "how many results (default 3, at most 50); also -k N", "N"});
  specs.push_back({"explain", false, "say why each result was found: matched words, the neighbour that held them (-1: the paragraph before), the fused score"});
  // The parser knows only long options: accept the conventional -k as --k.
  std::vector<char *> argvK(argv, argv + argc);
  char longK[] = "--k";
  for (int i = 2; i < argc; ++i)
    if (std::strcmp(argv[i], "-k") == 0)
      argvK[static_cast<std::size_t>(i)] = longK;
  auto args = parseArgs(argc, argvK.data(), 2, specs);
  if (!args) {
    printError("search", args.error().message);
    return 2;
  }
  if (args->flags.count("help")) {
    std::printf("%s%s", kUsage, describeOptions(specs).c_str());
    return 0;
  }
  if (args->positionals.size() != 2) {
    printError("search", "expects FILE (or DIR) and QUERY (see --help)");
    return 2;
  }
  auto k = args->getInt("k", 3);
  if (!k || *k < 1) {
    printError("search", k ? "-k must be at least 1" : k.error().message);
    return 2;
  }
  const std::string &file = args->positionals[0];
  const std::string &query = args->positionals[1];
  auto session = openMemorySession(file, *args, "search", WhenLocked::ReadOnly);
  if (!session) {
    printError("search", session.error().message);
    return 1;
  }
  auto report = refreshMemory(*session, *args, "search");
  if (!report) {
    printError("search", report.error().message);
    return report.error().kind == ErrorKind::Cancelled ? 130 : 1;
  }
  // When the refresh found nothing to do (no model was called, nothing is being written), the process
  // ends without freeing a novel's memory (~100 MB of small allocations) piece by piece: the memory's
  // caches are flushed and closed, the output flushed, then _Exit. On any failure, the ordinary way.
  // Read-only (another process writes the story), nothing is flushed: its files are the writer's.
  const bool nothingChanged = report->summarisedNow == 0 && report->embedded == 0 && report->removed == 0;
  auto done = [&]() {
    if (nothingChanged && (!session->lock || session->book->flushMemory()) && std::fflush(stdout) == 0 &&
        std::fflush(stderr) == 0)
      std::_Exit(0);
    return 0;
  };
  const bool explain = args->flags.count("explain") > 0;
  auto &memory = session->book->memory();
  auto hits = memory.search(query, static_cast<std::size_t>(*k));
  if (!hits) {
    printError("search", hits.error().message);
    return 1;
  }
  const auto &snapshot = *session->snapshot;
  // Where a hit is: its chapter file (relative to the book) and its 1-based line there.
  auto fileOf = [&](std::size_t p) {
    auto place = snapshot.place(p);
    return place ? snapshot.chapters()[place->chapter].file.relative : std::string();
  };
  auto lineOf = [&](std::size_t p) {
    auto place = snapshot.place(p);
    return place ? place->firstLine + 1 : 0u;
  };
  if (args->flags.count("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &h : *hits) {
      nlohmann::json hit = {{"paragraph", h.paragraph + 1}, {"file", fileOf(h.paragraph)},
                            {"line", lineOf(h.paragraph)},  {"score", h.score},
                            {"chapter", h.chapter},         {"summary", h.summary},
                            {"snippet", h.snippet}};
      if (explain) {
        nlohmann::json words = nlohmann::json::array();
        for (const auto &m : memory.explainWords(query, h.paragraph)) {
          nlohmann::json from = nlohmann::json::array();
          for (int offset : m.offsets)
            from.push_back(static_cast<long long>(h.paragraph) + 1 + offset);
          words.push_back({{"word", m.word}, {"paragraphs", from}});
        }
        hit["explain"] = {{"fused", h.fused}, {"wordsZ", h.wordsZ}, {"meaningZ", h.meaningZ}, {"words", words}};
      }
      out.push_back(std::move(hit));
    }
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return done();
  }
  if (hits->empty())
    std::printf("no paragraphs in %s yet\n", file.c_str());
  for (std::size_t i = 0; i < hits->size(); ++i) {
    const auto &h = (*hits)[i];
    std::printf("%zu. %.3f  %s:%u, paragraph %zu%s%s\n   %s\n   > %s\n", i + 1, h.score, fileOf(h.paragraph).c_str(),
                lineOf(h.paragraph), h.paragraph + 1, h.chapter.empty() ? "" : ", ", h.chapter.c_str(),
                h.summary.c_str(), h.snippet.c_str());
    if (explain)
      std::printf("   why: %s\n", explanation(memory.explainWords(query, h.paragraph), h).c_str());
  }
  return done();
}

} // namespace recurrent::cli
