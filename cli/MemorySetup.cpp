#include "cli/MemorySetup.h"

#include "engine/llm/BackendConfig.h"
#include "engine/llm/OpenAiEmbedder.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "support/Files.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace recurrent::cli {
using namespace recurrent::engine;

namespace {

CancelSource *gInterrupt = nullptr;

extern "C" void onInterrupt(int) {
  if (gInterrupt)
    gInterrupt->cancel(); // an atomic store: safe in a signal handler
}

} // namespace

std::vector<OptionSpec> memoryOptionSpecs() {
  std::vector<OptionSpec> specs = backendOptionSpecs();
  specs.push_back({"json", false, "print machine-readable JSON"});
  return specs;
}

void printError(const char *command, const std::string &message) {
  std::fprintf(stderr, "recurrent %s: %s\n", command, message.c_str());
}

Result<MemorySession> openMemorySession(const std::string &file, const Args &args) {
  MemorySession s;
  s.file = file;
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return Error{ErrorKind::InvalidArgument, file + " is a folder, not a manuscript"};
  auto text = readFile(file);
  if (!text)
    return text.error();
  s.manuscript = Manuscript(std::move(text.value()));

  BackendOverrides overrides;
  overrides.provider = args.get("provider");
  overrides.baseUrl = args.get("base-url");
  overrides.model = args.get("model");
  overrides.embedModel = args.get("embed-model");
  auto config = resolveBackendConfig(overrides, processEnvironment());
  if (!config)
    return config.error();
  if (config->embedModel.empty()) {
    s.embedder = std::make_shared<HashedEmbedder>();
  } else if (config->isOffline()) {
    return Error{ErrorKind::Config, "the embedding model '" + config->embedModel +
                                        "' needs a server: add --provider openai (and --base-url for a local one)"};
  } else {
    s.embedder = std::make_shared<OpenAiEmbedder>(*config);
  }
  // FIXME: with an online provider, summaries should come from the recurrence's
  // LlmSummarizer (engine/story/) once it lands; until then they are extractive.
  s.summarizer = std::make_unique<ExtractiveSummarizer>();

  auto memory = LongTermMemory::open(StatePaths::forManuscript(file), s.embedder);
  if (!memory)
    return memory.error();
  s.memory = std::move(memory.value());
  for (const auto &w : s.memory->loadWarnings())
    std::fprintf(stderr, "recurrent: warning: %s\n", w.c_str());
  return s;
}

Result<IndexReport> refreshMemory(MemorySession &s) {
  CancelSource interrupt;
  gInterrupt = &interrupt;
  struct sigaction action {}, previous{};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous);

  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  const auto started = std::chrono::steady_clock::now();
  bool shown = false;
  auto progress = [&](const IndexProgress &p) {
    // Only for long runs: a quick refresh prints nothing but its result.
    if (!terminal || std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500))
      return;
    std::fprintf(stderr, "\r%.*s %zu/%zu paragraphs   ", static_cast<int>(p.stage.size()), p.stage.data(), p.done,
                 p.total);
    std::fflush(stderr);
    shown = true;
  };
  MemoryIndexer indexer(*s.memory, *s.summarizer);
  auto report = indexer.update(s.manuscript, interrupt.token(), progress);
  if (shown)
    std::fputs("\r\033[K", stderr);

  ::sigaction(SIGINT, &previous, nullptr);
  gInterrupt = nullptr;
  if (!report && report.error().kind == ErrorKind::Cancelled)
    return Error{ErrorKind::Cancelled, "interrupted; the work done so far is saved, run again to resume"};
  return report;
}

} // namespace recurrent::cli
