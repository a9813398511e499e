// recurrent index FILE: builds or refreshes a manuscript's long-term memory and prints what it did.
#include "cli/Commands.h"
#include "cli/MemorySetup.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace recurrent::cli {

namespace {
constexpr const char *kUsage =
    "usage: recurrent index FILE [options]\n"
    "\n"
    "Builds or refreshes FILE's long-term memory in .recurrent/FILE/ beside it: a summary of every\n"
    "paragraph (memory.jsonl, which you may edit) and a vector index for search. Only new or changed\n"
    "paragraphs are summarised; an interrupted run (Ctrl-C) resumes where it stopped.\n"
    "\n"
    "options:\n";
} // namespace

int runIndex(int argc, char **argv) {
  auto specs = memoryOptionSpecs();
  auto args = parseArgs(argc, argv, 2, specs);
  if (!args) {
    printError("index", args.error().message);
    return 2;
  }
  if (args->flags.count("help")) {
    std::printf("%s%s", kUsage, describeOptions(specs).c_str());
    return 0;
  }
  if (args->positionals.size() != 1) {
    printError("index", args->positionals.empty() ? "missing FILE (see --help)" : "expects one FILE (see --help)");
    return 2;
  }
  const std::string &file = args->positionals[0];
  auto session = openMemorySession(file, *args);
  if (!session) {
    printError("index", session.error().message);
    return 1;
  }
  auto report = refreshMemory(*session);
  if (!report) {
    printError("index", report.error().message);
    return report.error().kind == ErrorKind::Cancelled ? 130 : 1;
  }
  const auto &r = *report;
  if (args->flags.count("json")) {
    nlohmann::json out = {{"file", file},
                          {"memory", session->memory->paths().longTermMemory().string()},
                          {"paragraphs", r.paragraphs},
                          {"summarised", r.summarisedNow},
                          {"reused", r.reused},
                          {"removed", r.removed},
                          {"embedded", r.embedded},
                          {"seconds", r.seconds},
                          {"summarizer", session->summarizer->id()},
                          {"embedder", session->embedder->id()},
                          {"warnings", session->memory->loadWarnings()}};
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s: %zu paragraphs; %zu summarised now, %zu reused, %zu removed, %zu embedded in %.2f s\n",
                file.c_str(), r.paragraphs, r.summarisedNow, r.reused, r.removed, r.embedded, r.seconds);
    std::printf("memory: %s (%s, %s)\n", session->memory->paths().longTermMemory().string().c_str(),
                session->summarizer->id().c_str(), session->embedder->id().c_str());
  }
  return 0;
}

} // namespace recurrent::cli
