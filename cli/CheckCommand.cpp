// recurrent check DIR|FILE [--json]: the book's continuity findings, printed like a compiler's warnings.
//
// Reads the chapters and the bible from disk (no state written, no model called) and runs the
// deterministic checks (engine/continuity/ContinuityChecker.h) over the whole book, or over one chapter
// when FILE is a chapter of a folder book (the rest of the book still informs it: facts, word counts).
// The run is three steps, so the model checks join as one more pass between the first and the last:
//   1. loadTarget        the book, its bible, which chapters to report
//   2. deterministicPass  findings of the offline checks
//      model pass         runModelPass (ModelCheckPass.h) appends the model's findings, when a model is set
//   3. report            `file:line:col: warning: message [code]` or JSON
// Exit code: 0 with no findings, 1 with findings (of any severity), 2 on a usage or read error.
#include "cli/Args.h"
#include "cli/BookOfPath.h"
#include "cli/Commands.h"
#include "cli/FindingText.h"
#include "cli/ModelCheckPass.h"
#include "engine/bible/BibleFile.h"
#include "engine/bible/BookBible.h"
#include "engine/book/BookSnapshot.h"
#include "engine/continuity/ContinuityChecker.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>

namespace recurrent::cli {
using namespace recurrent::engine;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<OptionSpec> &checkSpecs() {
  static const std::vector<OptionSpec> specs = [] {
    std::vector<OptionSpec> s = {{"json", false, "print machine-readable JSON"}};
    for (auto &o : modelPassOptionSpecs())
      s.push_back(std::move(o));
    return s;
  }();
  return specs;
}

int usageError(const std::string &message) {
  std::fprintf(stderr, "recurrent check: %s\n", message.c_str());
  return 2;
}

/// What is checked: the book as read from disk and the chapters whose findings are reported.
struct CheckTarget {
  BookLayout layout;
  std::shared_ptr<const Bible> bible;
  std::shared_ptr<const BookSnapshot> book;
  std::vector<std::size_t> chapters;
};

/// Findings of every pass, in the order they ran; notes for stderr.
struct CheckRun {
  std::vector<Finding> findings;
  std::vector<std::string> notices;
};

Result<CheckTarget> loadTarget(const fs::path &given) {
  std::error_code ec;
  if (!fs::exists(given, ec))
    return Error{ErrorKind::InvalidArgument, given.string() + " does not exist"};
  CheckTarget t{bookOfPath(given), nullptr, nullptr, {}};
  t.bible = std::make_shared<const Bible>(loadBible(bibleFolder(t.layout)));
  std::vector<BookSnapshot::ChapterSource> sources;
  for (auto &c : t.layout.chapters()) {
    auto text = readFile(c.path);
    if (!text)
      return Error{ErrorKind::Io, text.error().message};
    sources.push_back({c, std::make_shared<const std::string>(std::move(*text)), false});
  }
  t.book = BookSnapshot::build(t.layout, std::move(sources), 1);
  if (fs::is_directory(given, ec) || t.layout.kind() == BookLayout::Kind::SingleFile) {
    for (std::size_t i = 0; i < t.book->chapters().size(); ++i)
      t.chapters.push_back(i);
    return t;
  }
  auto chapter = t.book->chapterIndex(fs::absolute(given, ec).lexically_normal());
  if (!chapter)
    return Error{ErrorKind::InvalidArgument,
                 given.string() + " is not a chapter of the book at " + t.layout.root().string()};
  t.chapters.push_back(*chapter);
  return t;
}

void deterministicPass(const CheckTarget &target, CheckRun &run) {
  BookBible names(target.bible, *target.book);
  continuity::ContinuityChecker checker(names, *target.book);
  if (!checker.dictionaryNotice().empty())
    run.notices.push_back(checker.dictionaryNotice());
  for (auto c : target.chapters) {
    auto found = checker.checkChapter(names, *target.book, c);
    run.findings.insert(run.findings.end(), std::make_move_iterator(found.begin()),
                        std::make_move_iterator(found.end()));
  }
}

int report(const CheckTarget &target, const CheckRun &run, bool asJson) {
  auto base = target.layout.baseDir();
  auto shown = [&](const fs::path &p) { return shownPath(p, base); };
  for (const auto &n : run.notices)
    std::fprintf(stderr, "recurrent check: note: %s\n", n.c_str());
  if (asJson) {
    json findings = json::array();
    for (const auto &f : run.findings) {
      auto text = target.book->chapterText(f.chapter);
      auto [line, column] = lineColumn(text, f.begin);
      auto [endLine, endColumn] = lineColumn(text, f.end);
      json sources = json::array();
      for (const auto &s : f.sources)
        sources.push_back(
            {{"kind", sourceKindLabel(s.kind)}, {"file", shown(s.file)}, {"line", s.line + 1}, {"quote", s.quote}});
      json j = {{"file", shown(target.book->chapters()[f.chapter].file.path)},
                {"line", line},
                {"column", column},
                {"endLine", endLine},
                {"endColumn", endColumn},
                {"severity", severityLabel(f.severity)},
                {"code", f.code},
                {"message", f.message},
                {"quote", std::string(text.substr(f.begin, f.end - f.begin))},
                {"entry", f.entry},
                {"sources", sources},
                {"fingerprint", f.fingerprint}};
      if (f.replacement)
        j["replacement"] = *f.replacement;
      findings.push_back(std::move(j));
    }
    json out = {{"book", shown(target.layout.root())},
                {"chapters", target.chapters.size()},
                {"findings", findings},
                {"notices", run.notices}};
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    for (const auto &f : run.findings)
      std::fputs(compilerLines(f, *target.book).c_str(), stdout);
    if (!run.findings.empty())
      std::fprintf(stderr, "%zu finding%s in %zu chapter file%s\n", run.findings.size(),
                   run.findings.size() == 1 ? "" : "s", target.chapters.size(), target.chapters.size() == 1 ? "" : "s");
  }
  return run.findings.empty() ? 0 : 1;
}

} // namespace

int runCheck(int argc, char **argv) {
  auto parsed = parseArgs(argc, argv, 2, checkSpecs());
  if (!parsed)
    return usageError(parsed.error().message);
  if (parsed->has("help")) {
    std::printf(
        "usage: recurrent check DIR|FILE [--json]\n\nChecks the book DIR (or the chapter FILE of a book, or the "
        "one-file story FILE) against its story bible and prints each finding like a compiler's warning, "
        "`file:line:col: warning: message [code]`, followed by `note:` lines naming the bible line or fact it "
        "rests on. The checks: name-misspelling (a near miss of a bible name or alias), dead-character-acts (a "
        "character whose status says dead or away speaks or acts), pov-drift (first-person narration in a "
        "chapter whose front matter says `pov: third`). With a model configured (--base-url, RECURRENT_API_KEY, ...), "
        "the model then reads each paragraph against the bible entries it mentions, earlier paragraphs and the "
        "short-term memory (one call per batch of paragraphs; findings coded by ConStory's categories, e.g. "
        "factual-detail), cached in the story's state so unchanged text is never sent twice; --no-model skips it, "
        "and a paid model asked to check more than --confirm-above paragraphs asks first (or --yes). Without a "
        "model nothing is written and no model is called.\n\n"
        "Exit code: 0 with no findings, 1 with findings, 2 on an error.\n\noptions:\n%s",
        describeOptions(checkSpecs()).c_str());
    return 0;
  }
  if (parsed->positionals.size() != 1)
    return usageError("expected one book folder or manuscript FILE (see --help)");
  auto target = loadTarget(parsed->positionals[0]);
  if (!target)
    return usageError(target.error().message);
  CheckRun run;
  deterministicPass(*target, run);
  auto model = runModelPass(target->layout, target->chapters, *parsed);
  if (!model) {
    // What the offline checks found is still shown; the run is an error all the same.
    run.notices.push_back("model check: " + model.error().message);
    report(*target, run, parsed->has("json"));
    return 2;
  }
  for (auto &f : model->findings)
    run.findings.push_back(std::move(f));
  for (auto &n : model->notices)
    run.notices.push_back(std::move(n));
  return report(*target, run, parsed->has("json"));
}

} // namespace recurrent::cli
