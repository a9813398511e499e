// Benchmark of the model's continuity check: what a whole-book check costs in model calls and prompt tokens.
//
// War and Peace as a folder book (one chapter file per `CHAPTER`, in a temporary folder) with a bible of its
// main characters (bench/BenchCast.h, written as entry files with a short description and details), its memory
// indexed offline (extractive summaries, hashed embedder), then a whole-book model check against the fake
// OpenAI-compatible server on 127.0.0.1. Ten characters' entries give their eye colour, and up to two paragraphs
// naming each get a sentence giving them green eyes instead; the fake server plays a model that reports such
// a contradiction only when the prompt carries both the sentence and the bible's eye colour, so the bench
// measures whether the evidence gathering gives the model what it needs and the answer survives validation.
// Tokens are the project's own estimate (TokenBudget.h) of every request's messages and schema, against the
// same estimate of the book's text. Then a second whole-book check (the cache: no call expected) and a check
// after one paragraph is edited (one call expected).
//
// Usage: bench_continuity_model [FILE]   (default: War and Peace from the shared corpus).
#include "bench/BenchBook.h"
#include "bench/BenchCast.h"
#include "engine/Backends.h"
#include "engine/book/Book.h"
#include "engine/continuity/ModelCheck.h"
#include "engine/story/TokenBudget.h"
#include "support/Files.h"
#include "tests/support/CheckAnswers.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <atomic>
#include <chrono>
#include <cstdio>

using namespace recurrent;
using namespace recurrent::engine;
using namespace recurrent::engine::continuity;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

/// The eye colours the first entries' files give; the injected sentences say green.
const std::vector<std::string> kEyes = {"dark grey", "brown", "blue", "black", "hazel",
                                        "pale blue", "dark brown", "grey", "amber", "light grey"};
constexpr int kInjectionsPerCharacter = 2;
constexpr std::size_t kFirstInjectedChapter = 20; // late enough for the memory to know the character

struct Injection {
  std::string entry, sentence, eyes;
};

/// An entry file as a writer would keep it: aliases, a description, a few details.
std::string entryFile(const std::vector<std::string> &names, const std::string &eyes) {
  std::string out = "---\ntype: character\n";
  if (names.size() > 1) {
    out += "aliases: [";
    for (std::size_t i = 1; i < names.size(); ++i)
      out += (i > 1 ? ", " : "") + names[i];
    out += "]\n";
  }
  out += "---\n# " + names[0] + "\n\nOne of the principal people of the novel, seen through the war of 1805 to 1812 "
                                "and the peace around it; how they speak and whom they love matter to the story.\n\n"
                                "- family: as the book gives it\n- first seen: the first part\n";
  if (!eyes.empty())
    out += "- eyes: " + eyes + "\n";
  return out;
}

/// Puts "Natásha's green eyes shone." at the start of paragraphs (of chapters from kFirstInjectedChapter on)
/// that name one of the characters with an eye colour; returns what was injected.
std::vector<Injection> injectEyeContradictions(std::vector<std::string> &chapters) {
  std::vector<Injection> out;
  for (std::size_t c = 0; c < kEyes.size(); ++c) {
    const std::string &alias = bench::kCast[c].size() > 1 ? bench::kCast[c][1] : bench::kCast[c][0];
    int injected = 0;
    for (std::size_t ch = kFirstInjectedChapter + c * 17; ch < chapters.size() && injected < kInjectionsPerCharacter;
         ch += 7) {
      std::string &text = chapters[ch];
      for (std::size_t at = text.find("\n\n"); at != std::string::npos; at = text.find("\n\n", at + 2)) {
        std::size_t begin = at + 2, end = std::min(text.find("\n\n", begin), text.size());
        if (text.compare(begin, 8, "CHAPTER ") == 0 || text.substr(begin, end - begin).find(alias) == std::string::npos)
          continue;
        std::string sentence = alias + "'s green eyes shone that " + (injected == 0 ? "evening." : "morning.");
        text.insert(begin, sentence + " ");
        out.push_back({bench::kCast[c][0], sentence, kEyes[c]});
        ++injected;
        break;
      }
    }
  }
  return out;
}

/// The fake model: for each injected sentence in a passage paragraph ("[P3] Natásha's green eyes…"), an issue
/// when the prompt also carries the bible's "eyes: …" for that character. Counts what it saw.
struct EyeModel {
  std::vector<Injection> injections;
  std::atomic<int> requests{0}, seen{0}, withEvidence{0};

  test::FakeResponse answer(const test::FakeRequest &request) {
    ++requests;
    const std::string prompt = test::CheckAnswers::userPrompt(request);
    nlohmann::json issues = nlohmann::json::array();
    for (const auto &inj : injections) {
      auto at = prompt.find("] " + inj.sentence);
      auto open = at == std::string::npos ? at : prompt.rfind('[', at);
      if (at == std::string::npos || prompt.compare(open, 2, "[P") != 0)
        continue; // not in the passage (an earlier paragraph given as evidence)
      ++seen;
      if (prompt.find("eyes: " + inj.eyes) == std::string::npos)
        continue;
      ++withEvidence;
      issues.push_back(test::CheckAnswers::issue(prompt.substr(open + 1, at - open - 1), "green eyes", "factual detail",
                                                 inj.entry, inj.eyes, "The bible gives other eyes.", inj.eyes + " eyes"));
    }
    return test::chatStream(nlohmann::json{{"issues", issues}}.dump());
  }
};

long promptTokensOf(const std::vector<test::FakeRequest> &requests) {
  long total = 0;
  for (const auto &r : requests) {
    if (!test::CheckAnswers::isCheckRequest(r))
      continue;
    std::vector<ChatMessage> messages;
    for (const auto &m : r.json["messages"])
      messages.push_back({m.value("role", ""), m.value("content", "")});
    total += estimateTokens(messages) + estimateTokens(r.json["response_format"]["json_schema"]["schema"].dump());
  }
  return total;
}

} // namespace

int main(int argc, char **argv) {
  auto path = bench::benchBook(argc, argv);
  auto text = readFile(path);
  if (!text) {
    std::printf("bench_continuity_model skipped: %s\n", text.error().message.c_str());
    return 0;
  }
  test::TempDir dir;
  auto chapters = bench::chaptersOf(*text);
  EyeModel eyeModel;
  eyeModel.injections = injectEyeContradictions(chapters);
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "ch%03zu.md", i);
    if (!writeFileAtomically(dir / name, chapters[i]))
      return 1;
  }
  for (std::size_t i = 0; i < bench::kCast.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "bible/%02zu.md", i);
    if (!writeFileAtomically(dir / name, entryFile(bench::kCast[i], i < kEyes.size() ? kEyes[i] : "")))
      return 1;
  }

  auto opened = openBook(BookLayout::folder(dir.path()), BackendConfig{}, BookOptions{});
  if (!opened) {
    std::printf("bench_continuity_model: %s\n", opened.error().message.c_str());
    return 1;
  }
  Book &book = **opened;
  auto snapshot = book.snapshot();
  auto t0 = Clock::now();
  if (auto indexed = book.refreshMemory(*snapshot, {}); !indexed) {
    std::printf("bench_continuity_model: indexing: %s\n", indexed.error().message.c_str());
    return 1;
  }
  double indexSeconds = seconds(Clock::now() - t0);

  test::FakeLlmServer server;
  test::CheckAnswers answers; // everything but the check
  server.setHandler([&eyeModel, others = answers.handler()](const test::FakeRequest &request) {
    return test::CheckAnswers::isCheckRequest(request) ? eyeModel.answer(request) : others(request);
  });
  BackendConfig config;
  config.provider = "openai";
  config.baseUrl = server.baseUrl();
  config.model = "fake-model";
  ModelChecker checker(makeBackends(config).chat, CheckCache::open(CheckCache::fileFor(book.layout().paths())));

  CheckBook in = checkBookOf(book, snapshot);
  auto paragraphs = allParagraphs(*snapshot);
  auto estimate = checker.estimate(in, paragraphs);
  t0 = Clock::now();
  auto first = checker.check(in, paragraphs);
  double checkSeconds = seconds(Clock::now() - t0);
  if (!first) {
    std::printf("bench_continuity_model: %s\n", first.error().message.c_str());
    return 1;
  }
  const long bookTokens = estimateTokens(snapshot->manuscript().text());
  const long promptTokens = promptTokensOf(server.requests());
  const int firstCalls = eyeModel.requests;
  const int seen = eyeModel.seen, withEvidence = eyeModel.withEvidence;
  int kept = 0;
  for (const auto &f : first->findings)
    kept += f.code == "factual-detail" && f.message == "The bible gives other eyes.";

  t0 = Clock::now();
  auto second = checker.check(in, paragraphs);
  double cachedSeconds = seconds(Clock::now() - t0);
  const int secondCalls = eyeModel.requests - firstCalls;

  // One paragraph edited in the middle of the book: only it is sent again.
  auto place = snapshot->place(paragraphs.size() / 2);
  std::string chapter(snapshot->chapterText(place->chapter));
  chapter.insert(place->begin, "Meanwhile, ");
  book.setOverlay(snapshot->chapters()[place->chapter].file.path, chapter);
  auto edited = book.snapshot();
  auto third = checker.check(checkBookOf(book, edited), allParagraphs(*edited));
  const int thirdCalls = eyeModel.requests - firstCalls - secondCalls;
  if (!second || !third)
    return 1;

  std::printf("book: %s, %zu chapters, %zu paragraphs, %ld tokens (estimate), bible of %zu entries\n",
              path.filename().c_str(), snapshot->chapters().size(), paragraphs.size(), bookTokens,
              bench::kCast.size());
  std::printf("memory indexed offline in %.1f s\n", indexSeconds);
  std::printf("whole-book model check: %d calls (estimated %zu), %ld prompt tokens (estimated %ld), "
              "%.2fx the book; %zu issues dropped; %.1f s against the fake server\n",
              firstCalls, estimate.calls, promptTokens, estimate.tokens,
              static_cast<double>(promptTokens) / static_cast<double>(bookTokens), first->dropped, checkSeconds);
  std::printf("second whole-book check: %d calls, %zu paragraphs from the cache, %.2f s\n", secondCalls,
              second->fromCache, cachedSeconds);
  std::printf("after editing one paragraph: %d call(s), %zu paragraph(s) sent\n", thirdCalls, third->checked);
  const int injected = static_cast<int>(eyeModel.injections.size());
  std::printf("injected eye-colour contradictions: %d; in a checked passage: %d; with the bible's eye colour in "
              "the same prompt: %d; kept as findings: %d\n",
              injected, seen, withEvidence, kept);
  std::printf("ROW\tmodel check (whole book): model calls\t%d\t-\n", firstCalls);
  std::printf("ROW\tmodel check: injected eye-colour contradictions with the bible fact in the prompt / kept\t%d / %d "
              "of %d\tall\n",
              withEvidence, kept, injected);
  std::printf("ROW\tmodel check (whole book): prompt tokens vs book tokens\t%.2fx (%ld / %ld)\t<= 1.5x\n",
              static_cast<double>(promptTokens) / static_cast<double>(bookTokens), promptTokens, bookTokens);
  std::printf("ROW\tmodel check: second whole-book check / one paragraph edited\t%d / %d calls\t0 / 1\n", secondCalls,
              thirdCalls);
  return 0;
}
