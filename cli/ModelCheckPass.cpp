#include "cli/ModelCheckPass.h"

#include "cli/MemorySetup.h"
#include "engine/Backends.h"
#include "engine/continuity/ModelCheck.h"
#include "engine/story/CallLog.h"

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace recurrent::cli {
using namespace recurrent::engine;
using namespace recurrent::engine::continuity;

namespace {
constexpr long kConfirmAbove = static_cast<long>(engine::kDefaultConfirmAbove);

std::string withCommas(long n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}
} // namespace

std::vector<OptionSpec> modelPassOptionSpecs() {
  std::vector<OptionSpec> specs = backendOptionSpecs();
  specs.push_back({"no-model", false, "run only the offline checks, even with a model configured"});
  specs.push_back({"yes", false, "let a paid model check many paragraphs without asking"});
  specs.push_back({"confirm-above", true, "ask before a paid model checks more paragraphs than this (default 40)", "N"});
  return specs;
}

Result<ModelPassOutcome> runModelPass(const BookLayout &layout, const std::vector<std::size_t> &chapters,
                                      const Args &args) {
  ModelPassOutcome out;
  if (args.has("no-model"))
    return out;
  auto config = backendConfigFrom(args);
  if (!config)
    return config.error();
  if (config->isOffline())
    return out;
  auto above = args.getInt("confirm-above", kConfirmAbove);
  if (!above)
    return above.error();

  const bool story = layout.hasState();
  BookOptions options;
  options.session.logCalls = story; // a book that is not a story gets no state folder from a check
  auto opened = openBook(layout, *config, options);
  if (!opened)
    return opened.error();
  Book &book = **opened;
  auto snapshot = book.snapshot();
  const auto &paths = layout.paths();
  auto model = book.recordedModel();
  ModelChecker checker(model, story ? CheckCache::open(CheckCache::fileFor(paths)) : CheckCache::inMemory());
  CheckBook in = checkBookOf(book, snapshot);
  std::vector<std::size_t> paragraphs;
  for (auto c : chapters)
    for (auto p : chapterParagraphs(*snapshot, c))
      paragraphs.push_back(p);

  auto estimate = checker.estimate(in, paragraphs);
  if (isPaidBackend(*config) && static_cast<long>(estimate.paragraphs) > *above && !args.has("yes")) {
    std::string what = std::to_string(estimate.paragraphs) + " paragraphs to check with " + config->describe() +
                       ": " + std::to_string(estimate.calls) + " calls, about " + withCommas(estimate.tokens) +
                       " prompt tokens";
    if (!confirmSpend(what, "check"))
      return Error{ErrorKind::Cancelled, "nothing was sent to the model"};
  }

  InterruptScope interrupt;
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  bool shown = false;
  auto progress = [&](std::size_t done, std::size_t total) {
    if (!terminal || estimate.calls < 2)
      return;
    std::fprintf(stderr, "\rmodel check %zu/%zu paragraphs   ", done, total);
    std::fflush(stderr);
    shown = true;
  };
  auto report = checker.check(in, paragraphs, interrupt.token(), progress);
  if (shown)
    std::fputs("\r\033[K", stderr);
  if (!report)
    return report.error();
  out.ran = true;
  out.findings = std::move(report->findings);
  std::string line = "model check (" + model->describe() + "): " + std::to_string(report->checked) +
                     " paragraphs sent in " + std::to_string(report->calls) + " calls, " +
                     std::to_string(report->fromCache) + " unchanged (cached)";
  if (report->dropped)
    line += ", " + std::to_string(report->dropped) + " unverifiable issues dropped";
  out.notices.push_back(line);
  if (report->cancelled)
    out.notices.push_back("model check interrupted: the paragraphs checked so far are cached; run again to go on");
  if (!story)
    out.notices.push_back("model check results are not kept: " + layout.root().string() +
                          " is not a story yet (recurrent index or adopt it to keep them)");
  return out;
}

} // namespace recurrent::cli
