// recurrent search FILE QUERY [-k N]: semantic search over a manuscript's long-term memory.
#include "cli/Commands.h"
#include "cli/MemorySetup.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>

namespace recurrent::cli {

namespace {
constexpr const char *kUsage =
    "usage: recurrent search FILE QUERY [-k N] [options]\n"
    "\n"
    "Finds the paragraphs of FILE closest in meaning to QUERY (their text and summary), best first.\n"
    "Builds or refreshes the memory first when the manuscript changed (see recurrent index).\n"
    "\n"
    "options:\n";
} // namespace

int runSearch(int argc, char **argv) {
  auto specs = memoryOptionSpecs();
  specs.push_back({"k", true, "how many results (default 3, at most 50); also -k N", "N"});
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
    printError("search", "expects FILE and QUERY (see --help)");
    return 2;
  }
  auto k = args->getInt("k", 3);
  if (!k || *k < 1) {
    printError("search", k ? "-k must be at least 1" : k.error().message);
    return 2;
  }
  const std::string &file = args->positionals[0];
  const std::string &query = args->positionals[1];
  auto session = openMemorySession(file, *args);
  if (!session) {
    printError("search", session.error().message);
    return 1;
  }
  if (auto report = refreshMemory(*session); !report) {
    printError("search", report.error().message);
    return report.error().kind == ErrorKind::Cancelled ? 130 : 1;
  }
  auto hits = session->memory->search(query, static_cast<std::size_t>(*k));
  if (!hits) {
    printError("search", hits.error().message);
    return 1;
  }
  const auto &paragraphs = session->manuscript.paragraphs();
  auto lineOf = [&](std::size_t p) { return p < paragraphs.size() ? paragraphs[p].firstLine + 1 : 0; };
  if (args->flags.count("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &h : *hits)
      out.push_back({{"paragraph", h.paragraph + 1},
                     {"line", lineOf(h.paragraph)},
                     {"score", h.score},
                     {"chapter", h.chapter},
                     {"summary", h.summary},
                     {"snippet", h.snippet}});
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (hits->empty())
    std::printf("no paragraphs in %s yet\n", file.c_str());
  for (std::size_t i = 0; i < hits->size(); ++i) {
    const auto &h = (*hits)[i];
    std::printf("%zu. %.3f  paragraph %zu (line %u)%s%s\n   %s\n   > %s\n", i + 1, h.score, h.paragraph + 1,
                lineOf(h.paragraph), h.chapter.empty() ? "" : ", ", h.chapter.c_str(), h.summary.c_str(),
                h.snippet.c_str());
  }
  return 0;
}

} // namespace recurrent::cli
