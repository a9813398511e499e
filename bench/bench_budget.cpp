// bench_budget: prompt tokens per step against the configured context budget over a long run.
//
// Runs the real `recurrent write` (in process) for 200 steps against a fake OpenAI-compatible model
// on 127.0.0.1 whose answers follow each request's schema, with paragraphs of book length (~170
// words) and a short-term memory of ~90 words, so the prompt grows as the story does. Done twice:
// with the default budget (8,192 tokens) and a tight one (2,048), where trimming must happen.
// For each run it reads the story's call log (every call's BudgetReport: limit, room kept for the
// answer, estimated prompt tokens, what was trimmed) and, independently, re-estimates what the fake
// server actually received (messages + schema, plus the max_tokens asked for the answer), and
// reports max / p50 prompt tokens per task and whether any prompt overflowed its budget.
// Prints a table and `ROW<TAB>figure<TAB>value<TAB>target` lines for bench/run.
// Usage: bench_budget [STEPS] (default 200).
#include "cli/Commands.h"
#include "engine/StatePaths.h"
#include "engine/bible/BiblePrompt.h"
#include "engine/bible/MentionIndex.h"
#include "engine/story/TokenBudget.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace recurrent;
using json = nlohmann::json;

namespace {

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "bench_budget: %s\n", message.c_str());
  std::exit(1);
}

int median(std::vector<int> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const char *kSentences[] = {
    "Pierre crossed the drawing room without looking at anyone, and the old prince watched him go.",
    "Outside, the carriages waited in the snow while the coachmen stamped their feet and talked of the war.",
    "Natasha laughed at something her brother said, then fell silent, listening to the music below.",
    "The letter from the army had arrived that morning, and nobody yet dared to read it aloud.",
    "Prince Andrew stood by the window, thinking of the bridge, the smoke and the long grey sky over it.",
    "Old servants carried the candles along the gallery, and their shadows moved slowly across the portraits.",
    "Somewhere a door closed, and the house seemed to hold its breath until the footsteps had passed.",
    "He told himself that tomorrow everything would be decided, and the thought gave him a strange calm.",
    "The regiment marched at dawn along the frozen road, and the villages they passed were empty.",
    "Marya prayed for a long time before the icon, and when she rose her face was calm again.",
    "Nobody at the table mentioned the French, though every one of them was thinking of little else.",
};

/// `sentences` sentences of plain English prose, different for each call.
std::string prose(int call, int sentences) {
  std::string out;
  for (int i = 0; i < sentences; ++i) {
    if (!out.empty())
      out += ' ';
    out += kSentences[(call * 7 + i * 3) % 11];
  }
  return out;
}

/// The schema answer with the fields a real model writes at length made book-sized.
json realisticAnswer(test::SchemaAnswers &answers, const test::FakeRequest &request) {
  json answer = answers.answer(request);
  int call = answers.calls();
  for (auto &[key, value] : answer.items()) {
    if (key.rfind("paragraph", 0) == 0 && value.is_string())
      value = prose(call, 10); // ~170 words
    else if (key.rfind("paragraph", 0) == 0 && value.is_array())
      for (auto &p : value)
        p = prose(call++, 10);
    else if (key == "shortTermMemory")
      value = prose(call + 5, 5); // ~90 words
  }
  return answer;
}

struct TaskFigures {
  std::vector<int> used;  ///< the builder's estimate (messages + schema)
  int limit = 0, reserved = 0, trimmedCalls = 0, overflows = 0;
  std::map<std::string, int> trimmedKinds; ///< sources trimmed (dropped or cut), by kind
};

struct SentFigures {
  std::vector<int> tokens;  ///< re-estimated from what the fake server received
  int overflows = 0;        ///< prompt + max_tokens beyond the context
};

struct RunResult {
  int budget = 0;
  int steps = 0;
  std::map<std::string, TaskFigures> tasks;      ///< by call-log task
  std::map<std::string, SentFigures> sent;       ///< by json_schema name
  double seconds = 0;
};

/// Microseconds per story-bible selection (40 entries with aliases; plan, three recent paragraphs and three
/// memories scanned; the picks rendered): p50 and max over `rounds`.
std::pair<double, double> bibleSelectionMicros(int rounds) {
  const char *names[] = {"Pierre Bezukhov", "Natasha Rostova", "Andrew Bolkonsky", "Marya Bolkonskaya",
                         "Nicholas Rostov", "Sonya", "Helene Kuragina", "Anatole Kuragin", "Vasili Kuragin",
                         "Boris Drubetskoy", "Anna Pavlovna", "Dolokhov", "Denisov", "Kutuzov", "Napoleon",
                         "Petya Rostov", "Vera Rostova", "Berg", "Julie Karagina", "Bilibin", "Bagration",
                         "Tushin", "Timokhin", "Karataev", "Bazdeev", "Alpatych", "Tikhon", "Lavrushka",
                         "Mademoiselle Bourienne", "Lise Bolkonskaya", "Prince Nikolay", "Count Ilya Rostov",
                         "Countess Rostova", "Marya Dmitrievna", "Speransky", "Arakcheev", "Rostopchin",
                         "Davout", "Murat", "Platon"};
  std::vector<engine::BibleEntry> entries;
  for (std::size_t i = 0; i < std::size(names); ++i) {
    engine::BibleEntry e;
    e.name = names[i];
    e.aliases = {e.name.substr(0, e.name.find(' ')) + (i % 2 ? "" : "ka")};
    e.description = std::string(names[i]) + ", " + prose(static_cast<int>(i), 2);
    e.details = {{"status", "alive", 0}, {"home", "Moscow", 0}};
    if (i % 5 == 0)
      e.related = {names[(i + 7) % std::size(names)]};
    if (i % 13 == 0)
      e.include = engine::BibleInclude::Always;
    entries.push_back(std::move(e));
  }
  engine::BibleContext context;
  context.bible = std::make_shared<const engine::Bible>(engine::assembleBible("bible", std::move(entries), {}));
  context.names = std::make_shared<const engine::MentionIndex>(*context.bible);
  std::vector<std::string> texts;
  for (int i = 0; i < 7; ++i)
    texts.push_back(prose(i, 10));
  engine::BibleScanInput input;
  input.plan = texts[0];
  for (int i = 1; i < 4; ++i)
    input.recent.push_back({texts[static_cast<std::size_t>(i)], "paragraph " + std::to_string(i)});
  for (int i = 4; i < 7; ++i)
    input.retrieved.push_back({texts[static_cast<std::size_t>(i)], "paragraph " + std::to_string(i)});
  std::vector<double> micros;
  std::size_t picked = 0;
  for (int r = 0; r < rounds; ++r) {
    auto start = std::chrono::steady_clock::now();
    picked += engine::selectBibleEntries(context, input).picks.size();
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  if (picked == 0)
    die("the bible selection picked nothing");
  std::sort(micros.begin(), micros.end());
  return {micros[micros.size() / 2], micros.back()};
}

RunResult run(int budget, int steps) {
  test::FakeLlmServer model;
  test::SchemaAnswers answers;
  model.setHandler([&answers](const test::FakeRequest &request) {
    if (request.path != "/v1/chat/completions")
      return test::FakeResponse::error(404, "not scripted");
    return test::chatStream(realisticAnswer(answers, request).dump());
  });
  test::TempDir dir;
  auto out = dir / "story.md";
  std::string url = model.baseUrl(), budgetArg = std::to_string(budget), stepsArg = std::to_string(steps),
              outArg = out.string();
  std::vector<std::string> args = {"recurrent", "write", "--provider", "openai", "--base-url", url,
                                   "--model", "fake-model", "--iterations", stepsArg, "--select", "llm",
                                   "--seed", "7", "--context-tokens", budgetArg, "--out", outArg,
                                   "--type", "historical fiction", "--topic", "a family in Moscow in 1812"};
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(a.data());

  // `write` reports each step on stderr: keep that in a log, shown only if the run fails.
  auto logPath = dir / "write.log";
  std::fflush(stderr);
  int savedErr = ::dup(STDERR_FILENO);
  int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(logFd, STDERR_FILENO);
  auto start = std::chrono::steady_clock::now();
  int code = cli::runWrite(static_cast<int>(argv.size()), argv.data());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fflush(stderr);
  ::dup2(savedErr, STDERR_FILENO);
  ::close(savedErr);
  ::close(logFd);
  if (code != 0) {
    auto log = readFile(logPath);
    die("recurrent write --context-tokens " + budgetArg + " failed:\n" + (log ? *log : std::string()));
  }

  RunResult result;
  result.budget = budget;
  result.seconds = seconds;
  auto paths = engine::StatePaths::forManuscript(out);
  auto log = readFile(paths.callLog());
  if (!log)
    die(log.error().message);
  std::istringstream lines(*log);
  for (std::string line; std::getline(lines, line);) {
    json record = json::parse(line, nullptr, false);
    if (!record.is_object() || !record.contains("budget"))
      continue;
    const json &b = record["budget"];
    TaskFigures &t = result.tasks[record.value("task", "?")];
    t.used.push_back(b["used"].get<int>());
    t.limit = b["limit"].get<int>();
    t.reserved = b["reservedForAnswer"].get<int>();
    t.trimmedCalls += !b["trimmed"].empty();
    for (const auto &item : b["trimmed"])
      ++t.trimmedKinds[item.value("kind", "?")];
    t.overflows += b["used"].get<int>() > t.limit - t.reserved;
  }
  result.steps = static_cast<int>(result.tasks["step"].used.size());
  if (result.steps == 0)
    die("no step calls in the call log for budget " + budgetArg);

  // What really went over the wire, estimated with the same rule.
  for (const auto &request : model.requests("/v1/chat/completions")) {
    const json &body = request.json;
    std::vector<engine::ChatMessage> messages;
    for (const auto &m : body.value("messages", json::array()))
      messages.push_back({m.value("role", ""), m.value("content", "")});
    int tokens = engine::estimateTokens(messages);
    std::string name = "(no schema)";
    if (body.contains("response_format") && body["response_format"].contains("json_schema")) {
      const json &schema = body["response_format"]["json_schema"];
      name = schema.value("name", name);
      tokens += engine::estimateTokens(schema["schema"].dump());
    }
    SentFigures &s = result.sent[name];
    s.tokens.push_back(tokens);
    s.overflows += tokens + body.value("max_tokens", 0) > budget;
  }
  return result;
}

} // namespace

int main(int argc, char **argv) {
  int steps = argc > 1 ? std::atoi(argv[1]) : 200;
  if (steps <= 0)
    die("usage: bench_budget [STEPS]");
  // The fake model must never see a real key from the environment.
  ::unsetenv("RECURRENT_API_KEY");
  ::unsetenv("OPENAI_API_KEY");

  std::vector<RunResult> runs = {run(8192, steps), run(2048, steps)};

  std::printf("bench_budget: `recurrent write` for %d steps against a fake model on 127.0.0.1 (paragraphs ~170 "
              "words); prompt tokens as estimated by the prompt builder (see engine/story/TokenBudget.h)\n",
              steps);
  std::printf("| budget | task            | calls | prompt max | prompt p50 | room for prompt | trimmed calls | overflows |\n");
  std::printf("|-------:|-----------------|------:|-----------:|-----------:|----------------:|--------------:|----------:|\n");
  for (const auto &r : runs)
    for (const auto &[task, t] : r.tasks)
      std::printf("| %6d | %-15s | %5zu | %10d | %10d | %15d | %13d | %9d |\n", r.budget, task.c_str(), t.used.size(),
                  *std::max_element(t.used.begin(), t.used.end()), median(t.used), t.limit - t.reserved,
                  t.trimmedCalls, t.overflows);
  std::printf("\nRe-estimated from the requests the fake server received (messages + schema; overflow: + max_tokens "
              "beyond the budget):\n");
  std::printf("| budget | schema                | requests | prompt max | prompt p50 | overflows |\n");
  std::printf("|-------:|-----------------------|---------:|-----------:|-----------:|----------:|\n");
  for (const auto &r : runs)
    for (const auto &[name, s] : r.sent)
      std::printf("| %6d | %-21s | %8zu | %10d | %10d | %9d |\n", r.budget, name.c_str(), s.tokens.size(),
                  *std::max_element(s.tokens.begin(), s.tokens.end()), median(s.tokens), s.overflows);
  for (const auto &r : runs) {
    std::printf("budget %d: %d steps in %.1f s; step sources trimmed:", r.budget, r.steps, r.seconds);
    const auto &kinds = r.tasks.at("step").trimmedKinds;
    for (const auto &[kind, n] : kinds)
      std::printf(" %s x%d", kind.c_str(), n);
    std::printf("%s\n", kinds.empty() ? " none" : "");
  }

  for (const auto &r : runs) {
    const TaskFigures &t = r.tasks.at("step");
    int overflows = 0;
    for (const auto &[task, f] : r.tasks)
      overflows += f.overflows;
    for (const auto &[name, s] : r.sent)
      overflows += s.overflows;
    std::printf("ROW\tstep prompt tokens max / p50, budget %d (%d steps)\t%d / %d of %d for the prompt, %d trimmed\t"
                "never over the budget\n",
                r.budget, r.steps, *std::max_element(t.used.begin(), t.used.end()), median(t.used),
                t.limit - t.reserved, t.trimmedCalls);
    std::printf("ROW\tprompts over budget %d (all %zu tasks, logged and sent)\t%d\t0\n", r.budget, r.tasks.size(),
                overflows);
  }
  auto [p50, max] = bibleSelectionMicros(2000);
  std::printf("ROW\tstory-bible selection, 40 entries (plan, 3 recent, 3 memories) p50 / max\t%.0f / %.0f us\t-\n",
              p50, max);
  return 0;
}
