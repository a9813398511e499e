// recurrent index FILE|DIR: builds or refreshes a story's long-term memory and prints what it did.
#include "cli/Commands.h"
#include "cli/MemorySetup.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace recurrent::cli {

namespace {
constexpr const char *kUsage =
    "usage: recurrent index FILE|DIR [options]\n"
    "\n"
    "Builds or refreshes the long-term memory of a story: a summary of every paragraph (memory.jsonl,\n"
    "which you may edit) and a vector index for search. FILE keeps it in .recurrent/FILE/ beside it;\n"
    "a folder DIR is a book of chapter files (SUMMARY.md order, else natural order of names) with one\n"
    "memory in DIR/.recurrent/book/, as is any FILE inside such a book. Only new or changed paragraphs\n"
    "are summarised; an interrupted run (Ctrl-C) resumes where it stopped. A paid model asked to\n"
    "summarise many new paragraphs prints the estimate and waits for --yes or a typed y. While\n"
    "another process writes the story (an editor, recurrent write), index waits for it.\n"
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
  auto session = openMemorySession(file, *args, "index", WhenLocked::Wait);
  if (!session) {
    printError("index", session.error().message);
    return 1;
  }
  auto report = refreshMemory(*session, *args, "index");
  if (!report) {
    printError("index", report.error().message);
    return report.error().kind == ErrorKind::Cancelled ? 130 : 1;
  }
  const auto &r = *report;
  const auto &book = *session->book;
  const auto &memory = book.memory();
  const std::string summarizer = book.session().offline() ? "extractive-v1" : "llm:" + book.session().modelDescription();
  if (args->flags.count("json")) {
    nlohmann::json chapters = nlohmann::json::array();
    for (const auto &c : session->snapshot->chapters())
      chapters.push_back(c.file.relative);
    nlohmann::json out = {{"file", file},
                          {"book", {{"root", book.layout().root().string()}, {"chapters", chapters}}},
                          {"memory", memory.paths().longTermMemory().string()},
                          {"paragraphs", r.paragraphs},
                          {"summarised", r.summarisedNow},
                          {"reused", r.reused},
                          {"removed", r.removed},
                          {"embedded", r.embedded},
                          {"seconds", r.seconds},
                          {"summarizer", summarizer},
                          {"embedder", memory.embedder().id()},
                          {"warnings", memory.loadWarnings()}};
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::string chapters;
    if (book.layout().isFolder()) {
      auto n = session->snapshot->chapters().size();
      chapters = " (a book of " + std::to_string(n) + " chapter file" + (n == 1 ? "" : "s") + ")";
    }
    std::printf("%s%s: %zu paragraphs; %zu summarised now, %zu reused, %zu removed, %zu embedded in %.2f s\n",
                file.c_str(), chapters.c_str(), r.paragraphs, r.summarisedNow, r.reused, r.removed, r.embedded,
                r.seconds);
    std::printf("memory: %s (%s, %s)\n", memory.paths().longTermMemory().string().c_str(), summarizer.c_str(),
                memory.embedder().id().c_str());
  }
  return 0;
}

} // namespace recurrent::cli
