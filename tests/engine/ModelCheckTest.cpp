// The model's continuity check against the fake OpenAI-compatible server: which issues are kept, what the prompt
// holds, and the cache (requests counted at the server).
#include "engine/Backends.h"
#include "engine/bible/BookBible.h"
#include "engine/book/Book.h"
#include "engine/continuity/CheckCache.h"
#include "engine/continuity/CheckPrompt.h"
#include "engine/continuity/ModelCheck.h"
#include "engine/story/TokenBudget.h"
#include "support/Files.h"
#include "tests/support/CheckAnswers.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>

using namespace recurrent;
using namespace recurrent::engine;
using namespace recurrent::engine::continuity;
using recurrent::test::CheckAnswers;
using nlohmann::json;

namespace {

const char *kNatasha = "---\n"
                       "type: character\n"
                       "aliases: [Natasha]\n"
                       "---\n"
                       "# Natasha Rostova\n"
                       "\n"
                       "The younger countess, quick and warm.\n"
                       "\n"
                       "- eyes: dark grey\n"; // line 8

const std::string kP1 = "Natasha ran into the hall, her green eyes shining, and laughed at the old count.";
const std::string kP2 = "The count shook his head and went back to his letters without a word.";
const std::string kP3 = "Outside, the snow kept falling on the empty square until the lamps were lit.";

struct Fixture {
  test::TempDir dir;
  test::FakeLlmServer server;
  CheckAnswers answers;
  std::unique_ptr<Book> book;
  std::shared_ptr<ChatModel> model;

  Fixture() {
    server.setHandler(answers.handler());
    REQUIRE(writeFileAtomically(dir / "bible/natasha.md", kNatasha));
    writeChapter(kP1 + "\n\n" + kP2 + "\n\n" + kP3);
    BackendConfig config;
    config.provider = "openai";
    config.baseUrl = server.baseUrl();
    config.model = "fake-model";
    config.maxAttempts = 1;
    auto opened = openBook(BookLayout::folder(dir.path()), config, BookOptions{});
    REQUIRE(opened);
    book = std::move(*opened);
    model = makeBackends(config).chat;
  }
  void writeChapter(const std::string &prose) {
    REQUIRE(writeFileAtomically(dir / "01.md", "# Chapter One\n\n" + prose + "\n"));
  }
  CheckBook current() {
    book->reloadFromDisk();
    return checkBookOf(*book, book->snapshot());
  }
  std::shared_ptr<CheckCache> fileCache() {
    return CheckCache::open(CheckCache::fileFor(book->layout().paths()));
  }
};

std::string spanOf(const CheckBook &in, const Finding &f) {
  return std::string(in.snapshot->chapterText(f.chapter).substr(f.begin, f.end - f.begin));
}

} // namespace

TEST_CASE("model check: only an issue with an exact quote and a cited source becomes a finding") {
  Fixture fx;
  fx.answers.onPassage(
      "green eyes shining",
      json::array({CheckAnswers::issue("P1", "green eyes", "factual detail", "Natasha Rostova", "dark grey",
                                       "The bible gives Natasha dark grey eyes.", "dark grey eyes"),
                   CheckAnswers::issue("P1", "blue eyes", "factual detail", "Natasha Rostova", "dark grey",
                                       "A quote that is not in the passage."),
                   CheckAnswers::issue("P2", "shook his head", "characterization", "Count Rostov", "jovial",
                                       "A source that is not in the evidence.")}));
  ModelChecker checker(fx.model, CheckCache::inMemory());
  auto in = fx.current();
  auto report = checker.check(in, chapterParagraphs(*in.snapshot, 0));
  REQUIRE(report);
  CHECK(report->calls == 1); // three paragraphs, one batch
  CHECK(report->dropped == 2);
  REQUIRE(report->findings.size() == 1);
  const Finding &f = report->findings[0];
  CHECK(spanOf(in, f) == "green eyes");
  CHECK(f.code == "factual-detail");
  CHECK(f.severity == FindingSeverity::Warning);
  CHECK(f.entry == "Natasha Rostova");
  CHECK(f.replacement == std::optional<std::string>("dark grey eyes"));
  CHECK(f.message == "The bible gives Natasha dark grey eyes.");
  REQUIRE(f.sources.size() == 1);
  CHECK(f.sources[0].kind == FindingSource::Kind::BibleEntry);
  CHECK(f.sources[0].file.filename() == "natasha.md");
  CHECK(f.sources[0].line == 8); // the detail's own line, not the heading's
  CHECK(f.sources[0].quote == "dark grey");

  // The prompt: the entry as evidence under its label, the passage labelled, literary devices excluded.
  REQUIRE(fx.answers.checkPrompts().size() == 1);
  const std::string prompt = fx.answers.checkPrompts()[0];
  CHECK(prompt.find("[Natasha Rostova] Natasha Rostova (character)") != std::string::npos);
  CHECK(prompt.find("- eyes: dark grey") != std::string::npos);
  CHECK(prompt.find("[P1] " + kP1) != std::string::npos);
  CHECK(prompt.find("[P3] " + kP3) != std::string::npos);
  CHECK(prompt.find("foreshadowing") != std::string::npos);
  CHECK(prompt.find("unreliable") != std::string::npos);

  // With the server's BookBible (mentions and facts kept current elsewhere), the same answer, the same finding.
  BookBible names(in.bible, *in.snapshot);
  CheckBook shared = in;
  shared.names = &names;
  ModelChecker again(fx.model, CheckCache::inMemory());
  auto withNames = again.check(shared, chapterParagraphs(*in.snapshot, 0));
  REQUIRE(withNames);
  CHECK(withNames->findings == report->findings);
  CHECK(fx.answers.checkPrompts().back() == prompt);
}

TEST_CASE("model check: a fact written before a paragraph is the evidence there, and a batch never spans it") {
  Fixture fx;
  fx.writeChapter(kP1 + "\n\n<!-- fact: Natasha Rostova.eyes: green since the fever -->\n\nNatasha turned her dark "
                        "grey eyes to the window.");
  fx.answers.onPassage("turned her dark", json::array({CheckAnswers::issue("P1", "dark grey eyes", "factual detail",
                                                                           "Natasha Rostova", "green since the fever",
                                                                           "Her eyes turned green after the fever.")}));
  ModelChecker checker(fx.model, CheckCache::inMemory());
  auto in = fx.current();
  auto report = checker.check(in, chapterParagraphs(*in.snapshot, 0));
  REQUIRE(report);
  auto prompts = fx.answers.checkPrompts();
  REQUIRE(prompts.size() == 2);
  CHECK(prompts[0].find("green since the fever") == std::string::npos); // not yet true at the first paragraph
  CHECK(prompts[1].find("- eyes: green since the fever") != std::string::npos);
  REQUIRE(report->findings.size() == 1);
  const Finding &f = report->findings[0];
  CHECK(spanOf(in, f) == "dark grey eyes");
  REQUIRE(f.sources.size() == 1);
  CHECK(f.sources[0].kind == FindingSource::Kind::Fact);
  CHECK(f.sources[0].file.filename() == "01.md");
  CHECK(f.sources[0].line == 4);
}

TEST_CASE("model check cache: an unchanged chapter sends nothing, an edited paragraph is the only one sent") {
  Fixture fx;
  fx.answers.onPassage("green eyes", json::array({CheckAnswers::issue("P1", "green eyes", "factual detail",
                                                                      "Natasha Rostova", "dark grey", "Grey.")}));
  {
    ModelChecker checker(fx.model, fx.fileCache());
    auto in = fx.current();
    auto first = checker.check(in, chapterParagraphs(*in.snapshot, 0));
    REQUIRE(first);
    CHECK(first->checked == 3);
    CHECK(fx.server.requestCount() == 1);

    auto second = checker.check(in, chapterParagraphs(*in.snapshot, 0));
    REQUIRE(second);
    CHECK(fx.server.requestCount() == 1); // nothing sent
    CHECK(second->fromCache == 3);
    CHECK(second->calls == 0);
    CHECK(second->findings == first->findings);
  }
  // Persisted in the state: a new checker (a new process) sends nothing either, and a paragraph edited
  // elsewhere in the chapter moves the cached finding with its paragraph.
  const std::string edited = "The count laughed and went back to his letters, humming.";
  fx.writeChapter("A new first line.\n\n" + kP1 + "\n\n" + edited + "\n\n" + kP3);
  ModelChecker checker(fx.model, fx.fileCache());
  auto in = fx.current();
  auto third = checker.check(in, chapterParagraphs(*in.snapshot, 0));
  REQUIRE(third);
  CHECK(third->fromCache == 2);
  CHECK(third->checked == 2); // the edited paragraph and the new one
  CHECK(fx.server.requestCount() == 2);
  auto prompts = fx.answers.checkPrompts();
  REQUIRE(prompts.size() == 2);
  CHECK(prompts[1].find(edited) != std::string::npos);
  CHECK(prompts[1].find(kP3) == std::string::npos);
  CHECK(prompts[1].find(kP1) == std::string::npos);
  REQUIRE(third->findings.size() == 1);
  CHECK(spanOf(in, third->findings[0]) == "green eyes");

  // stored(): the findings on record, with no call at all.
  auto stored = checker.stored(in, allParagraphs(*in.snapshot));
  CHECK(stored.findings == third->findings);
  CHECK(fx.server.requestCount() == 2);
}

TEST_CASE("model check cache: a corrupted file is rebuilt silently") {
  Fixture fx;
  auto file = CheckCache::fileFor(fx.book->layout().paths());
  REQUIRE(writeFileAtomically(file, "{\"format\": 1, \"paragraphs\": {\"x\": [{\"code\": 3"));
  auto cache = fx.fileCache();
  CHECK(cache->corrupted());
  CHECK(cache->size() == 0);
  ModelChecker checker(fx.model, cache);
  auto in = fx.current();
  REQUIRE(checker.check(in, chapterParagraphs(*in.snapshot, 0)));
  auto reopened = fx.fileCache();
  CHECK_FALSE(reopened->corrupted());
  CHECK(reopened->size() == 3);
}

TEST_CASE("model check: one paragraph alone, cancellation and progress, and no check with the offline stand-in") {
  Fixture fx;
  ModelChecker checker(fx.model, CheckCache::inMemory());
  auto in = fx.current();
  auto one = paragraphsIn(*in.snapshot, 0, in.snapshot->chapterText(0).find("The count"),
                          in.snapshot->chapterText(0).find("The count"));
  REQUIRE(one.size() == 1);
  std::vector<std::pair<std::size_t, std::size_t>> steps;
  auto report = checker.check(in, one, {}, [&](std::size_t done, std::size_t total) { steps.push_back({done, total}); });
  REQUIRE(report);
  CHECK(report->checked == 1);
  CHECK(steps.back() == std::pair<std::size_t, std::size_t>{1, 1});
  CHECK(fx.answers.checkPrompts().back().find(kP1) == std::string::npos);

  CancelSource cancel;
  cancel.cancel();
  ModelChecker fresh(fx.model, CheckCache::inMemory());
  auto cancelled = fresh.check(in, allParagraphs(*in.snapshot), cancel.token());
  REQUIRE(cancelled);
  CHECK(cancelled->cancelled);
  CHECK(cancelled->calls == 0);

  auto estimate = fresh.estimate(in, allParagraphs(*in.snapshot));
  CHECK(estimate.paragraphs == 3);
  CHECK(estimate.calls == 1);
  CHECK(estimate.tokens > 0);

  auto offline = makeBackends(BackendConfig{}).chat;
  CHECK_FALSE(ModelChecker::usable(offline.get()));
  ModelChecker none(offline, CheckCache::inMemory());
  auto refused = none.check(in, allParagraphs(*in.snapshot));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::Config);
}

TEST_CASE("check answer parser: issues, a malformed answer is retried with the reason") {
  auto ok = parseCheckAnswer(R"({"issues": [{"paragraph": "P1", "quote": "q", "subtype": "world-building"}]})");
  REQUIRE(ok);
  REQUIRE(ok->size() == 1);
  CHECK((*ok)[0].quote == "q");
  CHECK(subtypeCode((*ok)[0].subtype) == "world-building");
  CHECK(subtypeCode("Timeline and plot") == "timeline-and-plot");
  CHECK(subtypeCode("spelling").empty());
  CHECK_FALSE(parseCheckAnswer(R"({"problems": []})"));
  CHECK_FALSE(parseCheckAnswer("not json"));
}

TEST_CASE("model check: an earlier paragraph from memory is evidence, and contradicting it is information") {
  Fixture fx;
  const std::string later = "Natasha said she had never laughed at the old count in her life.";
  fx.writeChapter(kP1 + "\n\n" + kP2 + "\n\n" + later);
  auto in = fx.current();
  REQUIRE(fx.book->refreshMemory(*in.snapshot, {}));
  fx.answers.onPassage("never laughed", json::array({CheckAnswers::issue("P1", "never laughed", "timeline and plot",
                                                                         "01.md:3", "laughed at the old count",
                                                                         "She laughed at him in the hall.")}));
  ModelChecker checker(fx.model, CheckCache::inMemory());
  auto last = chapterParagraphs(*in.snapshot, 0).back();
  auto report = checker.check(in, {last});
  REQUIRE(report);
  const std::string prompt = fx.answers.checkPrompts().back();
  CHECK(prompt.find("[01.md:3] " + kP1) != std::string::npos); // the source paragraph in full, room permitting
  CHECK(prompt.find("[P1] " + later) != std::string::npos);
  REQUIRE(report->findings.size() == 1);
  const Finding &f = report->findings[0];
  CHECK(spanOf(in, f) == "never laughed");
  CHECK(f.code == "timeline-and-plot");
  CHECK(f.severity == FindingSeverity::Information);
  CHECK(f.entry.empty());
  REQUIRE(f.sources.size() == 1);
  CHECK(f.sources[0].kind == FindingSource::Kind::Paragraph);
  CHECK(f.sources[0].file.filename() == "01.md");
  CHECK(f.sources[0].line == 2);
}

TEST_CASE("model check: a whole-book check's prompts stay within 1.5 times the book, however large the bible") {
  Fixture fx;
  // Twelve entries with long descriptions, all mentioned everywhere: unbounded, the evidence would dwarf the text.
  std::string prose;
  for (int e = 0; e < 12; ++e) {
    std::string name = "Person" + std::string(1, static_cast<char>('A' + e));
    std::string description;
    for (int w = 0; w < 60; ++w)
      description += "trait" + std::to_string(w) + " ";
    REQUIRE(writeFileAtomically(fx.dir / ("bible/" + name + ".md"), "# " + name + "\n\n" + description + "\n"));
  }
  for (int p = 0; p < 150; ++p) {
    std::string paragraph = "PersonA met PersonB and PersonC near PersonD, PersonE, PersonF, PersonG, PersonH, "
                            "PersonI, PersonJ, PersonK and PersonL in scene " + std::to_string(p) + ".";
    for (int s = 0; s < 6; ++s)
      paragraph += " They talked about the weather and the road for a while, then parted.";
    prose += (p ? "\n\n" : "") + paragraph;
  }
  fx.writeChapter(prose);
  auto in = fx.current();
  REQUIRE(fx.book->refreshMemory(*in.snapshot, {}));
  ModelChecker checker(fx.model, CheckCache::inMemory());
  auto report = checker.check(in, allParagraphs(*in.snapshot));
  REQUIRE(report);
  long promptTokens = 0;
  for (const auto &r : fx.server.requests("/v1/chat/completions")) {
    if (!CheckAnswers::isCheckRequest(r))
      continue;
    std::vector<ChatMessage> messages;
    for (const auto &m : r.json["messages"])
      messages.push_back({m.value("role", ""), m.value("content", "")});
    promptTokens += estimateTokens(messages) + estimateTokens(r.json["response_format"]["json_schema"]["schema"].dump());
  }
  const long bookTokens = estimateTokens(in.snapshot->manuscript().text());
  INFO("prompt tokens " << promptTokens << ", book tokens " << bookTokens << ", calls " << report->calls);
  CHECK(report->calls >= 3);
  CHECK(report->calls == static_cast<std::size_t>(fx.answers.checkRequests()));
  CHECK(static_cast<double>(promptTokens) <= 1.5 * static_cast<double>(bookTokens));
  // The bible still reached every call.
  for (const auto &prompt : fx.answers.checkPrompts())
    CHECK(prompt.find("[PersonA] PersonA") != std::string::npos);
}
