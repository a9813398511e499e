// recurrent: the executable. Dispatches to a subcommand.
#include "cli/Commands.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr const char *kUsage =
    "recurrent - RecurrentGPT in your editor: long stories with long- and short-term memory\n"
    "\n"
    "usage: recurrent <command> [options]\n"
    "\n"
    "commands:\n"
    "  lsp [--stdio]           run the language server on stdin/stdout\n"
    "  write                   write a story headless, step by step (the recurrence)\n"
    "  index FILE              build or refresh a manuscript's memory\n"
    "  search FILE QUERY       semantic search over a manuscript's memory\n"
    "  state FILE              print the story state\n"
    "  bible FILE|DIR          list the story bible: entries, mentions, problems\n"
    "  check DIR|FILE          continuity findings (misspelt names, ...) like compiler warnings\n"
    "  version                 print the version\n"
    "\n"
    "Run `recurrent <command> --help` for a command's options.\n"
    "Backends: --provider openai|anthropic|offline, --base-url, --model, --embed-model,\n"
    "or RECURRENT_PROVIDER, RECURRENT_BASE_URL, RECURRENT_MODEL, RECURRENT_API_KEY.\n"
    "With nothing set, recurrent runs offline (no network; stand-in prose).\n";

} // namespace

int main(int argc, char **argv) {
  using namespace recurrent::cli;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "version" || command == "--version") {
    std::puts("recurrent " RECURRENT_VERSION);
    return 0;
  }
  if (command == "lsp")
    return runLsp(argc, argv);
  if (command == "write")
    return runWrite(argc, argv);
  if (command == "index")
    return runIndex(argc, argv);
  if (command == "search")
    return runSearch(argc, argv);
  if (command == "state")
    return runState(argc, argv);
  if (command == "bible")
    return runBible(argc, argv);
  if (command == "check")
    return runCheck(argc, argv);
  std::fprintf(stderr, "recurrent: unknown command '%s' (see recurrent --help)\n", command.c_str());
  return 2;
}
