#include "cli/MemorySetup.h"

#include "engine/Backends.h"
#include "engine/memory/LongTermMemory.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace recurrent::cli {
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

CancelSource *gInterrupt = nullptr;

extern "C" void onInterrupt(int) {
  if (gInterrupt)
    gInterrupt->cancel(); // an atomic store: safe in a signal handler
}

/// Asks before an expensive index; true to proceed.
bool confirmCost(const SummaryEstimate &estimate, const MemorySession &s, const Args &args, const char *command) {
  if (!estimate.needsConfirmation() || args.has("yes"))
    return true;
  return confirmSpend(estimate.describe(s.config.describe()), command);
}

} // namespace

bool confirmSpend(const std::string &estimate, const char *command) {
  std::fprintf(stderr, "recurrent %s: %s\n", command, estimate.c_str());
  if (::isatty(STDIN_FILENO) != 1) {
    std::fprintf(stderr, "recurrent %s: not confirmed (no terminal): run again with --yes to proceed\n", command);
    return false;
  }
  std::fprintf(stderr, "Proceed? [y/N] ");
  std::fflush(stderr);
  std::string answer;
  std::getline(std::cin, answer);
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

InterruptScope::InterruptScope() {
  gInterrupt = &source_;
  struct sigaction action {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous_);
}

InterruptScope::~InterruptScope() {
  ::sigaction(SIGINT, &previous_, nullptr);
  gInterrupt = nullptr;
}

std::vector<OptionSpec> memoryOptionSpecs() {
  std::vector<OptionSpec> specs = backendOptionSpecs();
  specs.push_back({"json", false, "print machine-readable JSON"});
  specs.push_back({"yes", false, "summarise without asking, whatever it costs"});
  specs.push_back({"confirm-above", true, "ask before a paid model summarises more new paragraphs (default 40)", "N"});
  specs.push_back({"confirm-local", false, "ask about a model on this machine too (it may take hours)"});
  return specs;
}

void printError(const char *command, const std::string &message) {
  std::fprintf(stderr, "recurrent %s: %s\n", command, message.c_str());
}

BookLayout resolveBook(const std::string &path) {
  if (auto found = BookLayout::find(path))
    return *found;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return BookLayout::folder(path);
  return BookLayout::singleFile(path);
}

Result<BackendConfig> backendConfigFrom(const Args &args) {
  BackendOverrides overrides;
  overrides.provider = args.get("provider");
  overrides.baseUrl = args.get("base-url");
  overrides.model = args.get("model");
  overrides.embedModel = args.get("embed-model");
  return resolveBackendConfig(overrides, processEnvironment());
}

namespace {

/// The writer lock, or (read-only) none, saying who holds it. Taken before the book is opened, so what is read is
/// not half of another process's write.
Status lockStory(MemorySession &s, const fs::path &stateDir, const char *command, WhenLocked whenLocked) {
  const std::string role = std::string("recurrent ") + command;
  if (whenLocked == WhenLocked::ReadOnly) {
    auto attempt = StateLock::tryAcquire(stateDir, role);
    if (!attempt) { // a state folder it may not write: what it can read still answers
      std::fprintf(stderr, "recurrent %s: note: %s; searching the memory as last saved\n", command,
                   attempt.error().message.c_str());
      return okStatus();
    }
    s.lock = std::move(attempt->lock);
    if (!s.lock)
      std::fprintf(stderr, "recurrent %s: note: %s is writing this story; searching its memory as last saved\n",
                   command, attempt->holder.c_str());
    return okStatus();
  }
  InterruptScope interrupt;
  auto lock = StateLock::acquire(stateDir, role, interrupt.token(), [&](const std::string &holder) {
    std::fprintf(stderr, "recurrent %s: waiting: %s is writing this story (Ctrl-C stops)\n", command, holder.c_str());
  });
  if (!lock)
    return lock.error();
  s.lock = std::move(*lock);
  return okStatus();
}

} // namespace

Result<MemorySession> openMemorySession(const std::string &path, const Args &args, const char *command,
                                        WhenLocked whenLocked) {
  MemorySession s;
  s.path = path;
  if (BookLayout::isStateFile(path))
    return Error{ErrorKind::InvalidArgument, path + " is part of a story's state, not a manuscript"};
  auto layout = resolveBook(path);
  if (!layout.isFolder()) {
    std::error_code ec;
    if (!fs::is_regular_file(layout.root(), ec))
      return Error{ErrorKind::Io, "cannot read " + path + ": no such file or folder"};
  }
  auto config = backendConfigFrom(args);
  if (!config)
    return config.error();
  s.config = *config;
  BookOptions options;
  auto above = args.getInt("confirm-above", static_cast<long>(options.confirmAbove));
  if (!above)
    return above.error();
  options.confirmAbove = static_cast<std::size_t>(std::max(0L, *above));
  options.confirmLocal = args.has("confirm-local");
  if (auto locked = lockStory(s, layout.paths().dir, command, whenLocked); !locked)
    return locked.error();
  auto book = openBook(layout, *config, options);
  if (!book)
    return book.error();
  s.book = std::move(*book);
  s.snapshot = s.book->snapshot();
  if (layout.isFolder() && s.snapshot->chapters().empty())
    return Error{ErrorKind::InvalidArgument, path + " holds no chapter files (*.md, *.markdown, *.txt)"};
  for (const auto &w : s.book->memory().loadWarnings())
    std::fprintf(stderr, "recurrent: warning: %s\n", w.c_str());
  return s;
}

Result<IndexReport> refreshMemory(MemorySession &s, const Args &args, const char *command) {
  if (!s.lock)
    return IndexReport{}; // read-only: the writer keeps the memory up to date
  if (!confirmCost(s.book->estimateSummaries(*s.snapshot), s, args, command))
    return Error{ErrorKind::Cancelled, "nothing was summarised"};
  InterruptScope interrupt;

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
  auto report = s.book->refreshMemory(*s.snapshot, interrupt.token(), progress);
  if (shown)
    std::fputs("\r\033[K", stderr);

  if (!report && report.error().kind == ErrorKind::Cancelled)
    return Error{ErrorKind::Cancelled, "interrupted; the work done so far is saved, run again to resume"};
  return report;
}

} // namespace recurrent::cli
