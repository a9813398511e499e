// Benchmark of `recurrent search BOOK QUERY` as a whole process, and of its phases inside one process.
//
// usage: bench_search_process [--runs N] [--recurrent PATH] [BOOK]
// (default: War and Peace from the corpus beside the repository; the `recurrent` built beside this bench).
// The book is copied into a temporary folder and indexed once with `recurrent index`. Then:
//  - the whole process: `recurrent search BOOK QUERY` spawned N times (output discarded), median and min;
//  - the phases, in this process, N times each (median): reading memory.jsonl and parsing it, loading the
//    vectors, loading words.index, opening the whole session (book, state, memory: all of the above and
//    the manuscript), the refresh a search runs first (nothing changed), the query, closing the session.
#include "cli/Args.h"
#include "cli/MemorySetup.h"
#include "engine/StatePaths.h"
#include "engine/memory/LexicalIndexFile.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/VectorIndex.h"
#include "support/Files.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

/// Runs `argv` with its output discarded; the exit code (-1 when it could not run).
int runQuiet(const std::vector<std::string> &args) {
  std::vector<char *> argv;
  for (const auto &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string loadAverage() {
  auto text = readFile("/proc/loadavg");
  if (!text)
    return "?";
  std::string s = *text;
  std::size_t cut = 0;
  for (int fields = 0; cut < s.size() && fields < 3; ++cut)
    if (s[cut] == ' ')
      ++fields;
  return s.substr(0, cut ? cut - 1 : s.size());
}

} // namespace

int main(int argc, char **argv) {
  int runs = 7;
  fs::path binary = fs::canonical("/proc/self/exe").parent_path().parent_path() / "recurrent";
  fs::path book;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--recurrent") && i + 1 < argc)
      binary = argv[++i];
    else
      book = argv[i];
  }
  if (book.empty()) {
    fs::path corpus = RECURRENT_SOURCE_DIR "/../shared/corpus";
    if (!fs::exists(corpus))
      corpus = RECURRENT_SOURCE_DIR "/../../shared/corpus";
    book = corpus / "war-and-peace.txt";
  }
  if (!fs::exists(book) || !fs::exists(binary)) {
    std::printf("skipped: %s or %s is missing\n", book.c_str(), binary.c_str());
    return 0;
  }
  std::string tmpl = (fs::temp_directory_path() / "bench-search-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return 1;
  const fs::path dir = tmpl;
  const fs::path copy = dir / book.filename();
  fs::copy_file(book, copy);
  const std::string query = "Natasha dances at the ball";
  if (runQuiet({binary.string(), "index", copy.string()}) != 0) {
    std::printf("skipped: recurrent index failed\n");
    fs::remove_all(dir);
    return 0;
  }
  const std::string loadBefore = loadAverage();

  // The whole process, as a writer runs it.
  std::vector<double> whole;
  (void)runQuiet({binary.string(), "search", copy.string(), query}); // warm the page cache
  for (int r = 0; r < runs; ++r) {
    auto t = Clock::now();
    if (runQuiet({binary.string(), "search", copy.string(), query}) != 0) {
      std::printf("recurrent search failed\n");
      fs::remove_all(dir);
      return 1;
    }
    whole.push_back(msSince(t));
  }

  // The phases, in this process.
  const StatePaths paths = StatePaths::forManuscript(copy);
  std::vector<double> entriesMs, vectorsMs, wordsMs, openMs, refreshMs, queryMs, closeMs;
  auto specs = cli::memoryOptionSpecs();
  std::vector<std::string> words = {"recurrent", "search", copy.string(), query};
  for (int r = 0; r < runs; ++r) {
    auto t = Clock::now();
    auto bytes = readFile(paths.longTermMemory());
    auto parsed = parseMemoryLog(bytes ? *bytes : std::string());
    entriesMs.push_back(msSince(t));

    t = Clock::now();
    auto vectors = VectorIndex::load(paths.vectorIndex(), paths.vectorIndexMeta());
    vectorsMs.push_back(msSince(t));
    if (!vectors)
      std::printf("vectors did not load: %s\n", vectors.error().message.c_str());

    LexicalIndex lexical;
    const std::uint64_t digest = memoryEntriesDigest(parsed.entries);
    t = Clock::now();
    if (!loadLexicalIndex(paths.wordIndex(), digest, lexical))
      std::printf("words.index did not load\n");
    wordsMs.push_back(msSince(t));

    std::vector<char *> argvArgs;
    for (auto &w : words)
      argvArgs.push_back(w.data());
    auto args = cli::parseArgs(static_cast<int>(argvArgs.size()), argvArgs.data(), 2, specs);
    if (!args)
      return 1;
    t = Clock::now();
    auto session = cli::openMemorySession(copy.string(), *args, "search", cli::WhenLocked::ReadOnly);
    openMs.push_back(msSince(t));
    if (!session) {
      std::printf("open failed: %s\n", session.error().message.c_str());
      return 1;
    }
    t = Clock::now();
    auto report = cli::refreshMemory(*session, *args, "search");
    refreshMs.push_back(msSince(t));
    if (!report || report->summarisedNow || report->embedded) {
      std::printf("the refresh changed something (it should not)\n");
      return 1;
    }
    t = Clock::now();
    auto hits = session->book->memory().search(query, 3);
    queryMs.push_back(msSince(t));
    if (!hits || hits->empty()) {
      std::printf("the search found nothing\n");
      return 1;
    }
    t = Clock::now();
    session->book.reset();
    session->snapshot.reset();
    closeMs.push_back(msSince(t));
  }
  const std::string loadAfter = loadAverage();
  fs::remove_all(dir);

  const double open = median(openMs), parts = median(entriesMs) + median(vectorsMs) + median(wordsMs);
  std::printf("recurrent search %s \"%s\", %d runs each; load before %s, after %s\n\n", book.filename().c_str(),
              query.c_str(), runs, loadBefore.c_str(), loadAfter.c_str());
  std::printf("| phase | median ms |\n|---|---|\n");
  std::printf("| whole process (spawned; min %.1f) | %.1f |\n", *std::min_element(whole.begin(), whole.end()),
              median(whole));
  std::printf("| open the session (book, manuscript, state, memory) | %.1f |\n", open);
  std::printf("|   of which: read + parse memory.jsonl | %.1f |\n", median(entriesMs));
  std::printf("|   of which: load the vectors | %.1f |\n", median(vectorsMs));
  std::printf("|   of which: load words.index | %.1f |\n", median(wordsMs));
  std::printf("|   of which: the rest (manuscript, state, digest) | %.1f |\n", std::max(0.0, open - parts));
  std::printf("| refresh before the query (verify/update, nothing changed) | %.1f |\n", median(refreshMs));
  std::printf("| the query | %.2f |\n", median(queryMs));
  std::printf("| close the session (flush, free) | %.1f |\n", median(closeMs));
  std::printf("\nROW\t`recurrent search` of %s, whole process (median of %d, load %s)\t%.0f ms\t< 150 ms\n",
              book.filename().c_str(), runs, loadBefore.c_str(), median(whole));
  std::printf("ROW\t  same, in one process: open / refresh / query / close\t%.0f / %.0f / %.1f / %.0f ms\t-\n", open,
              median(refreshMs), median(queryMs), median(closeMs));
  return 0;
}
