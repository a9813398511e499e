// recurrent search FILE|DIR QUERY [-k N]: semantic search over a story's (or a whole book's) long-term memory.
#include "cli/Commands.h"
#include "cli/MemorySetup.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>

namespace recurrent::cli {

namespace {
constexpr const char *kUsage =
    "usage: recurrent search FILE|DIR QUERY [-k N] [options]\n"
    "\n"
    "Finds the paragraphs closest in meaning to QUERY (their text and summary), best first, in FILE\n"
    "or in the whole book DIR (or the book FILE belongs to); each hit names its file and line.\n"
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
  auto session = openMemorySession(file, *args);
  if (!session) {
    printError("search", session.error().message);
    return 1;
  }
  if (auto report = refreshMemory(*session, *args, "search"); !report) {
    printError("search", report.error().message);
    return report.error().kind == ErrorKind::Cancelled ? 130 : 1;
  }
  auto hits = session->book->memory().search(query, static_cast<std::size_t>(*k));
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
    for (const auto &h : *hits)
      out.push_back({{"paragraph", h.paragraph + 1},
                     {"file", fileOf(h.paragraph)},
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
    std::printf("%zu. %.3f  %s:%u, paragraph %zu%s%s\n   %s\n   > %s\n", i + 1, h.score, fileOf(h.paragraph).c_str(),
                lineOf(h.paragraph), h.paragraph + 1, h.chapter.empty() ? "" : ", ", h.chapter.c_str(),
                h.summary.c_str(), h.snippet.c_str());
  }
  return 0;
}

} // namespace recurrent::cli
