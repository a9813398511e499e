// recurrent write: the headless recurrence (the original's recurrent.sh), crash-safe and resumable.
//
// Starts a story (from a topic, from an existing opening with --from, or from the
// bundled opening when given nothing), then runs N steps: the human simulator picks
// a plan, the model writes the paragraph, and the paragraph and the state are saved.
// Each step's writes are ordered so that `kill -9` at any moment followed by
// `--resume` neither loses nor duplicates a paragraph: the step is journalled in
// story.json, then the manuscript is replaced atomically, then the state is
// committed; on resume, the journal is finished or dropped by comparing the
// manuscript with the marks it recorded. With --check, each new paragraph is then checked by the model against
// the bible and the memory (engine/continuity/ModelCheck.h); findings print like compiler warnings and stay in
// the state's check cache.
#include "cli/Args.h"
#include "cli/Commands.h"
#include "cli/FindingText.h"
#include "cli/ResumeFlags.h"
#include "engine/Backends.h"
#include "engine/book/Book.h"
#include "engine/book/StateLock.h"
#include "engine/bible/BookBible.h"
#include "engine/continuity/ContinuityChecker.h"
#include "engine/continuity/ModelCheck.h"
#include "engine/llm/BackendConfig.h"
#include "engine/story/CallLog.h"
#include "engine/story/StorySession.h"
#include "engine/story/opening/BundledOpening.h"
#include "support/Files.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace recurrent::cli {
namespace fs = std::filesystem;
using namespace recurrent::engine;
using namespace recurrent::engine::continuity;

namespace {

const std::vector<OptionSpec> &writeSpecs() {
  static const std::vector<OptionSpec> specs = [] {
    std::vector<OptionSpec> s = {
        {"topic", true, "what the story is about (starts a new story)", "TEXT"},
        {"type", true, "the genre, e.g. \"science fiction\"", "GENRE"},
        {"premise", true, "a sentence or two the opening must honour", "TEXT"},
        {"iterations", true, "steps (paragraphs) to write; default 10", "N"},
        {"out", true, "the manuscript to write; default story.md (or the --from file); DIR/ writes a book", "FILE.md"},
        {"chapter-steps", true, "with --out DIR/: start a new chapter file every N steps", "N"},
        {"from", true, "adopt an existing opening or half-written book and continue it", "FILE"},
        {"resume", false, "continue the story in --out where it stopped"},
        {"select", true, "who picks each plan: llm (the human simulator), random, first", "MODE"},
        {"language", true, "the story's language (default: detected, or English)", "NAME"},
        {"seed", true, "seed for plan selection and the new-character draw", "N"},
        {"bible-share", true, "the story bible's share of each prompt, 0 to 1 (default 0.25)", "X"},
        {"mode", true, "novel or interactive (second-person interactive fiction)", "MODE"},
        {"context-tokens", true, "the model's context window; every prompt fits it (default 8192)", "N"},
        {"check", false, "check each new paragraph for contradictions of the bible and memory (one model call each)"},
    };
    for (const auto &b : backendOptionSpecs())
      s.push_back(b);
    return s;
  }();
  return specs;
}

constexpr const char *kUsage =
    "usage: recurrent write [options]\n"
    "\n"
    "Writes a story paragraph by paragraph with long- and short-term memory (RecurrentGPT).\n"
    "With no options it continues a bundled opening offline into story.md.\n"
    "--out DIR/ (or an existing folder) writes a book of chapter files: each step appends to the last\n"
    "chapter, and --chapter-steps N starts a new chapter file every N steps (named like the others).\n"
    "Edit .recurrent/NAME.md/short-term-memory.md or plans.md (a book: DIR/.recurrent/book/) between\n"
    "runs: the next step uses them.\n"
    "--check runs the offline continuity checks on each new paragraph, then asks the model whether it\n"
    "contradicts the story bible, earlier paragraphs or the short-term memory, prints what they find as\n"
    "`file:line:col: warning: ...` and keeps the model's results in the state (model-checks.json); with the\n"
    "offline stand-in only the offline checks run.\n"
    "\n"
    "options:\n";

std::atomic<bool> gInterrupted{false};
CancelSource *gCancel = nullptr;

extern "C" void onSigint(int) {
  if (gInterrupted.exchange(true)) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  if (gCancel)
    gCancel->cancel();
}

/// Crash-recovery tests: RECURRENT_TEST_KILL_AT=STAGE:N (STAGE journal, manuscript or commit)
/// sends this process SIGKILL right after that write of step N of this run, so `kill -9`
/// at each point between the writes is tested deterministically (tests/write/run).
void killPoint(const char *stage, long step) {
  static const std::string spec = [] {
    const char *v = std::getenv("RECURRENT_TEST_KILL_AT");
    return std::string(v ? v : "");
  }();
  if (!spec.empty() && spec == std::string(stage) + ":" + std::to_string(step))
    std::raise(SIGKILL);
}

int fail(const std::string &message) {
  std::fprintf(stderr, "recurrent write: %s\n", message.c_str());
  return 1;
}

std::string thousands(long n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string withParagraph(const std::string &text, const std::string &paragraph) {
  std::string out = text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t' || out.back() == '\r'))
    out.pop_back();
  if (!out.empty())
    out += "\n\n";
  return out + paragraph + "\n";
}

/// The status line: a bar on a terminal, plain lines otherwise.
class Progress {
public:
  Progress(long total) : total_(total), tty_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

  void streamed(std::string_view delta) {
    streamedChars_ += delta.size();
    if (tty_)
      draw();
  }
  void stepStarted(long index, const std::string &plan) {
    index_ = index;
    streamedChars_ = 0;
    if (!tty_)
      std::fprintf(stderr, "step %ld/%ld: %s\n", index, total_, plan.c_str());
  }
  void stepDone(long words, long manuscriptWords, long tokensOut) {
    manuscriptWords_ = manuscriptWords;
    tokensOut_ = tokensOut;
    if (tty_)
      draw();
    else
      std::fprintf(stderr, "  +%ld words (%s in the manuscript)\n", words, thousands(manuscriptWords).c_str());
  }
  void note(const std::string &line) {
    if (tty_)
      std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "%s\n", line.c_str());
    if (tty_)
      draw();
  }
  void finish() {
    if (tty_)
      std::fputs("\r\033[K", stderr);
  }

private:
  void draw() {
    const int width = 20;
    int filled = total_ > 0 ? static_cast<int>(width * (index_ - 1) / total_) : 0;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    long tokens = tokensOut_ + static_cast<long>(streamedChars_ / 4);
    std::fprintf(stderr, "\r\033[K[%s%s] step %ld/%ld  %s words  %s tokens out  %.1f tok/s", std::string(filled, '#').c_str(),
                 std::string(width - filled, '-').c_str(), index_, total_, thousands(manuscriptWords_).c_str(),
                 thousands(tokens).c_str(), seconds > 0 ? tokens / seconds : 0.0);
    std::fflush(stderr);
  }
  long total_, index_ = 0, manuscriptWords_ = 0, tokensOut_ = 0;
  std::size_t streamedChars_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

/// Every `every` steps, a book's next step opens a new chapter file (named like the others,
/// listed in SUMMARY.md when there is one) holding only its heading. Not when the last
/// chapter holds no paragraph yet (a run interrupted right after making it).
Status startChapterIfDue(const BookLayout &layout, long step, long every) {
  if (step <= 0 || step % every != 0)
    return okStatus();
  auto chapters = layout.chapters();
  if (!chapters.empty()) {
    auto text = readFile(chapters.back().path);
    if (text && Manuscript(*text).paragraphs().empty())
      return okStatus();
  }
  if (auto made = layout.createNextChapter(); !made)
    return made.error();
  return okStatus();
}

/// The finding as `recurrent check` prints it, and the suggested replacement.
std::string compilerStyle(const Finding &f, const BookSnapshot &snapshot) {
  std::string out = compilerLines(f, snapshot);
  if (f.replacement)
    out += "  suggestion: \u2018" + *f.replacement + "\u2019\n";
  out.pop_back(); // Progress::note ends the line
  return out;
}

/// The paragraphs `paragraph` became in `chapter` of the book (appended at its end).
std::vector<std::size_t> newParagraphs(const BookSnapshot &snapshot, const fs::path &chapter, const std::string &paragraph) {
  auto index = snapshot.chapterIndex(chapter);
  if (!index)
    return {};
  std::string_view text = snapshot.chapterText(*index);
  std::string_view trimmed = paragraph;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' '))
    trimmed.remove_suffix(1);
  auto at = text.rfind(trimmed);
  if (at == std::string_view::npos || trimmed.empty())
    return {};
  return paragraphsIn(snapshot, *index, at, at + trimmed.size());
}

} // namespace

int runWrite(int argc, char **argv) {
  auto parsed = parseArgs(argc, argv, 2, writeSpecs());
  if (!parsed)
    return fail(parsed.error().message);
  const Args &args = *parsed;
  if (args.has("help")) {
    std::printf("%s%s", kUsage, describeOptions(writeSpecs()).c_str());
    return 0;
  }
  if (!args.positionals.empty())
    return fail("unexpected argument '" + args.positionals[0] + "' (see --help)");

  auto iterations = args.getInt("iterations", 10);
  auto contextTokens = args.getInt("context-tokens", 8192);
  if (!iterations)
    return fail(iterations.error().message);
  if (!contextTokens)
    return fail(contextTokens.error().message);
  if (*iterations < 0)
    return fail("--iterations must be 0 or more");
  if (*contextTokens < 1024)
    return fail("--context-tokens must be at least 1024");
  auto selectMode = parseSelectMode(args.getOr("select", "llm"));
  if (!selectMode)
    return fail("--select must be llm, random or first");
  auto mode = parseStoryMode(args.getOr("mode", "novel"));
  if (!mode)
    return fail("--mode must be novel or interactive");
  bool resume = args.has("resume");
  bool starting = args.has("topic") || args.has("type") || args.has("premise");
  // --resume with the first run's --topic, --type, --from ...: checked against the saved story below.
  if (starting && args.has("from"))
    return fail("use either --from (continue a manuscript) or --topic/--type (start a new one)");

  // The backend: flags > environment > defaults (DESIGN.md), the key only from the environment.
  BackendOverrides overrides;
  overrides.provider = args.get("provider");
  overrides.baseUrl = args.get("base-url");
  overrides.model = args.get("model");
  overrides.embedModel = args.get("embed-model");
  auto config = resolveBackendConfig(overrides, processEnvironment());
  if (!config)
    return fail(config.error().message);
  auto chapterSteps = args.getInt("chapter-steps", 0);
  if (!chapterSteps)
    return fail(chapterSteps.error().message);
  if (*chapterSteps < 0)
    return fail("--chapter-steps must be 0 or more");

  const std::string outArg = args.getOr("out", args.has("from") ? args.getOr("from", "") : "story.md");
  fs::path out = outArg;
  std::error_code ec;
  // A folder (given as DIR/, or existing) is a book; a file inside a folder book writes that book.
  BookLayout layout = BookLayout::singleFile(out);
  if ((!outArg.empty() && outArg.back() == '/') || fs::is_directory(out, ec))
    layout = BookLayout::folder(out);
  else if (auto found = BookLayout::find(out); found && found->isFolder())
    layout = *found;
  if (*chapterSteps > 0 && !layout.isFolder())
    return fail("--chapter-steps needs a book: give --out a folder (DIR/)");
  const bool isBook = layout.isFolder();
  auto paths = layout.paths();
  bool outExists = isBook ? !layout.chapters().empty() : fs::exists(out, ec);
  bool hasState = fs::exists(paths.story(), ec) || fs::exists(paths.shortTermMemory(), ec);
  if (isBook)
    out = layout.root();
  if (resume && !outExists)
    return fail(out.string() + " does not exist: nothing to resume");
  if (resume && !hasState)
    return fail(out.string() + " has no story state to resume; adopt it with --from " + out.string());
  if (!resume && hasState)
    return fail(out.string() + " already has a story; continue it with --resume, or choose another --out");
  if (!resume && outExists && !args.has("from"))
    return fail(out.string() + " already exists; continue it with --from " + out.string() + ", or choose another --out");

  BookOptions options;
  options.session.prompt.contextTokens = static_cast<int>(*contextTokens);
  options.session.prompt.answerTokens = std::min(1800, static_cast<int>(*contextTokens) / 3);
  auto bibleShare = args.getDouble("bible-share", options.session.prompt.bibleShare);
  if (!bibleShare || *bibleShare < 0 || *bibleShare > 1)
    return fail("--bible-share must be a number from 0 to 1");
  options.session.prompt.bibleShare = *bibleShare;
  options.session.onWarning = [](const std::string &m) { std::fprintf(stderr, "warning: %s\n", m.c_str()); };
  CancelSource cancel;
  gCancel = &cancel;
  auto previous = std::signal(SIGINT, onSigint);
  struct Restore {
    decltype(previous) handler;
    ~Restore() {
      std::signal(SIGINT, handler);
      gCancel = nullptr;
    }
  } restore{previous};

  // One writer per story: an editor's server (or another write) on this story makes us wait, not interleave.
  auto lock = StateLock::acquire(paths.dir, "recurrent write", cancel.token(), [&](const std::string &holder) {
    std::fprintf(stderr, "recurrent write: waiting: %s is writing this story (Ctrl-C stops)\n", holder.c_str());
  });
  if (!lock)
    return lock.error().kind == ErrorKind::Cancelled ? 130 : fail(lock.error().message);

  auto opened = openBook(layout, *config, options);
  if (!opened)
    return fail(opened.error().message);
  Book &book = **opened;
  StorySession &session = book.session();
  for (const auto &n : session.notes())
    std::fprintf(stderr, "note: %s\n", n.c_str());

  auto seedArg = args.getInt("seed", -1);
  if (!seedArg)
    return fail(seedArg.error().message);
  std::uint64_t seed = *seedArg >= 0 ? static_cast<std::uint64_t>(*seedArg) : std::random_device{}();
  std::string language = args.getOr("language", "");
  auto start = std::chrono::steady_clock::now();

  // The chapter new text goes into: the file itself, or a book's last chapter (a first one when none).
  auto lastChapter = [&]() -> Result<fs::path> {
    if (!isBook)
      return out;
    auto chapters = layout.chapters();
    if (!chapters.empty())
      return chapters.back().path;
    return layout.nextChapterPath();
  };
  auto loadManuscript = [&]() -> Result<Manuscript> {
    if (!isBook) {
      book.reloadFromDisk(); // the bible's facts are read from the book's copy
      auto text = readFile(out);
      if (!text)
        return text.error();
      return Manuscript(std::move(*text));
    }
    book.reloadFromDisk();
    return book.snapshot()->manuscript();
  };

  // --- Start or resume the story ---
  if (resume) {
    auto m = loadManuscript();
    if (!m)
      return fail(m.error().message);
    // The first run's flags may come along: refuse only those the saved story contradicts.
    std::optional<std::string> fromText;
    bool fromInPlace = false;
    if (auto from = args.get("from")) {
      fromInPlace = fs::absolute(*from).lexically_normal() == fs::absolute(out).lexically_normal() ||
                    (isBook && BookLayout::folder(*from).root() == layout.root());
      if (auto t = readFile(*from))
        fromText = std::move(*t);
    }
    auto conflicts = resumeConflicts(args, session.state(), m->text(), fromText, fromInPlace);
    if (!conflicts.empty()) {
      std::string why = "--resume continues the saved story, and ";
      for (std::size_t i = 0; i < conflicts.size(); ++i)
        why += (i ? "; " : "") + conflicts[i];
      return fail(why + ". Leave those flags out to resume, or choose another --out for a new story");
    }
    auto report = session.reconcile(*m, cancel.token());
    if (!report)
      return fail(report.error().message);
    if (!report->message.empty())
      std::fprintf(stderr, "%s\n", report->message.c_str());
    if (!session.state().initialised()) {
      // The first run was interrupted while adopting: adopt again (summaries already made are kept).
      auto st = session.state();
      if (auto s = session.adopt(*m, st.genre, st.language, st.mode, cancel.token()); !s)
        return fail(s.error().message);
    } else if (auto s = session.refreshMemory(*m, cancel.token()); !s) {
      return fail(s.error().message); // memory of text written while interrupted catches up
    }
  } else if (starting) {
    InitInput in;
    in.genre = args.getOr("type", "fiction");
    in.topic = args.getOr("topic", "");
    in.premise = args.getOr("premise", "");
    in.language = language.empty() ? "English" : language;
    in.mode = *mode;
    in.seed = seed;
    std::fprintf(stderr, "starting a %s about %s with %s\n", in.genre.c_str(),
                 in.topic.empty() ? "anything" : in.topic.c_str(), session.modelDescription().c_str());
    auto init = session.prepareInit(in, cancel.token());
    if (!init)
      return fail(init.error().message);
    auto target = lastChapter();
    if (!target)
      return fail(target.error().message);
    if (auto s = writeFileAtomically(*target, init->markdown); !s)
      return fail(s.error().message);
    auto m = loadManuscript();
    if (!m)
      return fail(m.error().message);
    if (auto s = session.commitInit(*init, in, *m, cancel.token()); !s)
      return fail(s.error().message);
    std::fprintf(stderr, "\"%s\": opening written to %s\n", init->answer.title.c_str(), target->string().c_str());
  } else {
    std::string genre = args.getOr("type", "");
    if (args.has("from")) {
      fs::path from = args.getOr("from", "");
      bool inPlace = fs::absolute(from).lexically_normal() == fs::absolute(out).lexically_normal() ||
                     (isBook && BookLayout::folder(from).root() == layout.root());
      if (!inPlace) {
        auto text = readFile(from);
        if (!text)
          return fail(text.error().message);
        auto target = lastChapter();
        if (!target)
          return fail(target.error().message);
        if (isBook && outExists)
          return fail(out.string() + " already holds chapters; adopt it with --from " + out.string());
        if (auto s = writeFileAtomically(*target, *text); !s)
          return fail(s.error().message);
      }
      std::fprintf(stderr, "adopting %s: summarising every paragraph...\n", from.string().c_str());
    } else {
      const auto &opening = bundledOpening();
      auto target = lastChapter();
      if (!target)
        return fail(target.error().message);
      if (auto s = writeFileAtomically(*target, opening.markdown); !s)
        return fail(s.error().message);
      genre = std::string(opening.genre);
      if (language.empty())
        language = std::string(opening.language);
      std::fprintf(stderr, "continuing the bundled opening \"%s\" in %s\n", std::string(opening.title).c_str(),
                   out.string().c_str());
    }
    auto m = loadManuscript();
    if (!m)
      return fail(m.error().message);
    // The seed is part of the state: set it before adopting, so plans are reproducible.
    auto seeded = session.state();
    seeded.seed = seed;
    if (auto s = StateStore(session.paths()).save(seeded); !s)
      return fail(s.error().message);
    if (auto s = session.reload(); !s)
      return fail(s.error().message);
    auto adopted = session.adopt(*m, genre, language, *mode, cancel.token(),
                                 [](std::string_view stage, std::size_t done, std::size_t total) {
                                   if (total > 50)
                                     std::fprintf(stderr, "  %.*s %zu/%zu\n", static_cast<int>(stage.size()),
                                                  stage.data(), done, total);
                                 });
    if (!adopted)
      return fail(adopted.error().message);
  }

  // --- The continuity check of each new paragraph (--check) ---
  const bool checkSteps = args.has("check");
  std::unique_ptr<ModelChecker> checker;
  if (checkSteps && session.offline()) {
    std::fprintf(stderr, "note: --check: the offline stand-in cannot judge continuity: only the offline checks "
                         "(names, dead characters, point of view) run; configure a model for the model's check\n");
  } else if (checkSteps) {
    ModelCheckOptions checkOptions;
    checkOptions.contextTokens = static_cast<int>(*contextTokens);
    checkOptions.answerTokens = std::min(1200, static_cast<int>(*contextTokens) / 4);
    // The session's model: the summary's call counts and calls.jsonl include the check's calls.
    checker = std::make_unique<ModelChecker>(book.recordedModel(), CheckCache::open(CheckCache::fileFor(paths)),
                                             checkOptions);
  }
  std::size_t checkFindings = 0, checkCalls = 0;
  long checkTokens = 0;

  // --- The recurrence ---
  Progress progress(*iterations);
  long stepsDone = 0, wordsAdded = 0;
  bool interrupted = false;
  std::string failure;
  for (long i = 1; i <= *iterations; ++i) {
    if (cancel.cancelled()) {
      interrupted = true;
      break;
    }
    if (*chapterSteps > 0) {
      if (auto s = startChapterIfDue(layout, session.state().step, *chapterSteps); !s) {
        failure = s.error().message;
        break;
      }
    }
    auto m = loadManuscript();
    if (!m) {
      failure = m.error().message;
      break;
    }
    auto selected = session.selectPlan(*selectMode, *m, cancel.token());
    if (!selected) {
      // No usable plans (a writer emptied plans.md): ask for fresh ones.
      if (selected.error().kind == ErrorKind::InvalidArgument) {
        auto plans = session.suggestPlans(*m, cancel.token());
        if (plans)
          selected = session.selectPlan(*selectMode, *m, cancel.token());
      }
      if (!selected) {
        failure = selected.error().message;
        interrupted = selected.error().kind == ErrorKind::Cancelled;
        break;
      }
    }
    progress.stepStarted(i, selected->plan);
    StreamCallbacks stream;
    stream.onText = [&](std::string_view d) { progress.streamed(d); };
    stream.onRetry = [&](const RetryNotice &n) {
      char line[512];
      std::snprintf(line, sizeof line, "  retrying (attempt %d of %d failed: %s), next in %.1f s", n.attempt,
                    n.maxAttempts, n.reason.message.c_str(), n.delaySeconds);
      progress.note(line);
    };
    auto pending = session.prepareStep(*m, {std::nullopt, selected->plan}, cancel.token(), stream);
    if (!pending) {
      failure = pending.error().message;
      interrupted = pending.error().kind == ErrorKind::Cancelled;
      break;
    }
    std::string paragraph = pending->paragraph;
    auto target = lastChapter();
    if (!target) {
      failure = target.error().message;
      break;
    }
    std::string text;
    Manuscript after;
    if (isBook) {
      // The book after the step: the last chapter with the paragraph appended.
      auto chapterNow = readFile(*target);
      text = withParagraph(chapterNow ? *chapterNow : std::string(), paragraph);
      book.setOverlay(*target, text);
      after = book.snapshot()->manuscript();
      book.clearOverlay(*target);
    } else {
      text = withParagraph(m->text(), paragraph);
      after = Manuscript(text);
    }
    if (auto s = session.recordJournal(*pending, markOf(*m), markOf(after)); !s) {
      failure = s.error().message;
      break;
    }
    killPoint("journal", i);
    if (auto s = writeFileAtomically(*target, text); !s) {
      failure = s.error().message;
      break;
    }
    killPoint("manuscript", i);
    // The paragraph is saved: commit even if Ctrl-C came meanwhile (the index catches up on resume).
    auto committed = session.commitStep(*pending, paragraph, after, CancelToken());
    if (!committed) {
      failure = committed.error().message;
      break;
    }
    killPoint("commit", i);
    ++stepsDone;
    wordsAdded += static_cast<long>(committed->words);
    progress.stepDone(static_cast<long>(committed->words), static_cast<long>(after.totalWords()),
                      session.totals().completionTokens);
    if (checkSteps) {
      // The offline checks, then the model's; a failed check is reported and the story goes on (the paragraph
      // is written and saved already).
      book.reloadFromDisk();
      auto snapshot = book.snapshot();
      auto added = newParagraphs(*snapshot, *target, paragraph);
      BookBible names(book.bible(), *snapshot);
      std::vector<Finding> offline;
      if (!added.empty()) {
        auto first = snapshot->place(added.front());
        ContinuityChecker deterministic(names, *snapshot);
        offline = deterministic.checkParagraphs(names, *snapshot, first->chapter, first->paragraph, added.size());
      }
      checkFindings += offline.size();
      for (const auto &f : offline)
        progress.note(compilerStyle(f, *snapshot));
      if (!checker)
        continue;
      CheckBook in = checkBookOf(book, snapshot);
      in.names = &names;
      auto report = checker->check(in, added, cancel.token());
      if (!report) {
        progress.note("  check failed: " + report.error().message);
      } else {
        checkCalls += report->calls;
        checkTokens += report->promptTokens;
        checkFindings += report->findings.size();
        for (const auto &f : report->findings)
          progress.note(compilerStyle(f, *snapshot));
      }
    }
  }
  progress.finish();

  // --- Summary ---
  auto totals = session.totals();
  auto state = session.state();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto finalManuscript = loadManuscript();
  long manuscriptWords = finalManuscript ? static_cast<long>(finalManuscript->totalWords()) : 0;
  std::printf("\"%s\": %ld step%s written to %s (step %ld of the story), %s words added, %s in the manuscript\n",
              state.title.c_str(), stepsDone, stepsDone == 1 ? "" : "s", out.string().c_str(), state.step,
              thousands(wordsAdded).c_str(), thousands(manuscriptWords).c_str());
  std::printf("LLM calls: %ld (%ld failed), tokens: %s in / %s out, retries: %ld, time: %.1f s (model %.1f s)\n",
              totals.calls, totals.failed, thousands(totals.promptTokens).c_str(),
              thousands(totals.completionTokens).c_str(), totals.retries, seconds, totals.seconds);
  if (checkSteps && !checker) {
    std::printf("continuity check (offline checks only): %zu finding%s in %ld new paragraph%s\n", checkFindings,
                checkFindings == 1 ? "" : "s", stepsDone, stepsDone == 1 ? "" : "s");
  } else if (checker) {
    std::printf("continuity check: %zu finding%s in %ld new paragraph%s, %zu model call%s, %s tokens in (kept in %s)\n",
                checkFindings, checkFindings == 1 ? "" : "s", stepsDone, stepsDone == 1 ? "" : "s", checkCalls,
                checkCalls == 1 ? "" : "s", thousands(checkTokens).c_str(),
                CheckCache::fileFor(paths).string().c_str());
  }
  std::printf("model: %s\n", session.modelDescription().c_str());
  if (session.offline())
    std::printf("offline stand-in: the prose is a statistical sketch learnt from the manuscript, not a model's "
                "writing; configure a model (--base-url, RECURRENT_API_KEY) for real continuations\n");
  std::printf("state: %s\n", session.paths().dir.string().c_str());
  std::fflush(stdout);
  if (interrupted) {
    std::fprintf(stderr, "stopped by Ctrl-C after %ld step%s; everything written is saved. Continue with: recurrent "
                         "write --resume --out %s%s\n",
                 stepsDone, stepsDone == 1 ? "" : "s", out.string().c_str(), isBook ? "/" : "");
    return 130;
  }
  if (!failure.empty()) {
    std::fprintf(stderr, "recurrent write: stopped after %ld step%s: %s\n", stepsDone, stepsDone == 1 ? "" : "s",
                 failure.c_str());
    return 1;
  }
  return 0;
}

} // namespace recurrent::cli
