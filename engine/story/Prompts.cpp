#include "engine/story/Prompts.h"

#include "engine/story/Language.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace recurrent::engine {
using nlohmann::json;

namespace {

// Output caps. Reasoning models spend 300 to 1,000 tokens thinking before they answer, and
// those count against the cap, so the short tasks keep up to 800 tokens of room for it (an
// eighth of a small context); a cut-off answer is still asked again once with a higher cap
// (engine/llm/AnswerCheck.h).
int reasoningRoom(const PromptOptions &o) { return std::min(800, o.contextTokens / 8); }
int selectAnswerTokens(const PromptOptions &o) { return 200 + reasoningRoom(o); }
int plansAnswerTokens(const PromptOptions &o) { return 600 + reasoningRoom(o); }
int summaryAnswerTokens(const PromptOptions &o, std::size_t items) {
  return 60 + 60 * static_cast<int>(items) + reasoningRoom(o);
}

// --- Schemas (strict-mode compatible: every property required, no extra properties) ---

const char *kPlansProperty = R"("plans": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3})";

std::string objectSchema(std::initializer_list<std::string> properties, std::initializer_list<std::string> names) {
  std::string s = R"({"type": "object", "properties": {)";
  bool first = true;
  for (const auto &p : properties) {
    s += (first ? "" : ", ") + p;
    first = false;
  }
  s += R"(}, "required": [)";
  first = true;
  for (const auto &n : names) {
    s += (first ? "\"" : ", \"") + n + "\"";
    first = false;
  }
  return s + R"(], "additionalProperties": false})";
}

std::string str(const char *name) { return std::string("\"") + name + R"(": {"type": "string"})"; }

const std::string &stepSchema() {
  static const std::string s = objectSchema(
      {str("paragraph"), str("rationale"), str("shortTermMemory"), str("summary"), kPlansProperty},
      {"paragraph", "rationale", "shortTermMemory", "summary", "plans"});
  return s;
}
const std::string &initSchema() {
  static const std::string s = objectSchema(
      {str("title"), str("outline"),
       R"("paragraphs": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3})",
       str("shortTermMemory"), kPlansProperty},
      {"title", "outline", "paragraphs", "shortTermMemory", "plans"});
  return s;
}
const std::string &selectSchema() {
  static const std::string s =
      objectSchema({R"("choice": {"type": "integer", "minimum": 1, "maximum": 3})", str("reason")}, {"choice", "reason"});
  return s;
}
const std::string &plansSchema() {
  static const std::string s = objectSchema({kPlansProperty}, {"plans"});
  return s;
}
const std::string &adoptSchema() {
  static const std::string s =
      objectSchema({str("title"), str("genre"), str("synopsis"), str("outline"), str("rationale"),
                    str("shortTermMemory"), kPlansProperty},
                   {"title", "genre", "synopsis", "outline", "rationale", "shortTermMemory", "plans"});
  return s;
}
std::string summarizeSchema(std::size_t n) {
  return objectSchema({R"("summaries": {"type": "array", "items": {"type": "string"}, "minItems": )" +
                       std::to_string(n) + R"(, "maxItems": )" + std::to_string(n) + "}"},
                      {"summaries"});
}

// --- Shared wording ---

/// What the "plans" field holds: the writer's next paragraph, or the reader's next choice.
std::string plansField(bool fiction) {
  return fiction ? "three different choices the reader can make next, each one imperative sentence in the second "
                   "person (\"Open the door and ...\")."
                 : "three different plans for the next paragraph, each 1 to 3 sentences, each taking the story "
                   "somewhere different.";
}

std::string paragraphLength(std::string_view language) {
  return languageCountsCharacters(language) ? "250 to 450 characters" : "150 to 250 words";
}

std::string kindOfWork(const StoryState &s) {
  std::string genre = s.genre.empty() ? "" : s.genre + " ";
  return s.mode == StoryMode::InteractiveFiction ? "a " + genre + "interactive fiction" : "a " + genre + "novel";
}

std::string systemMessage(std::string_view language, StoryMode mode) {
  std::string lang(language.empty() ? "English" : language);
  std::string role = mode == StoryMode::InteractiveFiction
                         ? "You are the author of an interactive story that a reader plays in the second person."
                         : "You are a novelist's writing partner.";
  return role + " The story is written in " + lang + ": write every field of your answers in " + lang +
         ", whatever language these instructions use. Answer with one JSON object that follows the schema, and "
         "nothing else.";
}

std::string storyLine(const StoryState &s) {
  std::string line = "You are continuing ";
  line += s.title.empty() ? std::string("a story") : "\"" + s.title + "\"";
  line += ", " + kindOfWork(s) + " written in " + (s.language.empty() ? std::string("English") : s.language) + ".";
  return line;
}

std::string planSection(StoryMode mode) {
  return mode == StoryMode::InteractiveFiction ? "The reader's choice" : "Plan for the next paragraph";
}

void addStoryContext(PromptBuilder &b, const StoryState &s) {
  if (!s.outline.empty())
    b.add({SourceKind::Outline, "Outline", s.outline, "outline", Trim::Drop, 30});
  if (!s.synopsis.empty())
    b.add({SourceKind::Synopsis, "Synopsis of the story so far", s.synopsis, "synopsis", Trim::Drop, 25});
}

/// Recent paragraphs: the last is essential (cut at its start if huge), older ones go before it.
void addRecent(PromptBuilder &b, const std::vector<ContextParagraph> &recent, const char *section) {
  for (std::size_t i = 0; i < recent.size(); ++i) {
    bool last = i + 1 == recent.size();
    b.add({SourceKind::RecentText, section, recent[i].text, recent[i].label, last ? Trim::KeepTail : Trim::Drop,
           10 + static_cast<int>(i)});
  }
}

/// The story bible's entries: whole entries dropped lowest first, `always` ones last, all of them within
/// the bible's share of `promptTokens`; candidates left out before the budget are reported with why.
void addBible(PromptBuilder &b, const BibleSelection *bible, const PromptOptions &options, int promptTokens) {
  if (!bible)
    return;
  const char *section = "Story bible (characters, places and facts as they stand at this point)";
  int rank = 0, alwaysRank = 0;
  for (const auto &pick : bible->picks) {
    int priority = pick.always ? 90 - std::min(alwaysRank++, 9) : pick.related ? 1 : std::max(2, 20 - rank++);
    std::string reason = pick.cut ? pick.reason + "; shortened to " + std::to_string(options.bibleEntryTokens) +
                                        " tokens"
                                  : pick.reason;
    b.add({SourceKind::BibleEntry, section, pick.text, pick.name, Trim::Drop, priority, std::move(reason)});
  }
  double share = std::clamp(options.bibleShare, 0.0, 1.0);
  int cap = static_cast<int>(share * std::max(0, promptTokens));
  b.capKind(SourceKind::BibleEntry, cap,
            "over the story bible's share of the prompt (" + std::to_string(static_cast<int>(share * 100 + 0.5)) +
                "%, " + std::to_string(cap) + " tokens)");
  for (const auto &l : bible->leftOut)
    b.addLeftOut({SourceKind::BibleEntry, l.name, 0, false, l.reason, l.why});
}

std::shared_ptr<TaskPayload> basePayload(const char *task, const StoryState &s, std::uint64_t seed) {
  auto p = std::make_shared<TaskPayload>();
  p->task = task;
  p->language = s.language;
  p->genre = s.genre;
  p->topic = s.topic;
  p->premise = s.premise;
  p->title = s.title;
  p->outline = s.outline;
  p->synopsis = s.synopsis;
  p->mode = s.mode;
  p->shortTermMemory = s.shortTermMemory;
  p->seed = seed;
  return p;
}

template <typename Parse>
Result<PreparedRequest> finish(const char *task, const char *schemaName, std::string schema, PromptBuilder &builder,
                               std::shared_ptr<TaskPayload> payload, const PromptOptions &options, Parse parse) {
  builder.setSchema(schema);
  auto built = builder.build();
  if (!built)
    return built.error();
  payload->budget = built->report;
  PreparedRequest out;
  out.request.task = task;
  out.request.messages = std::move(built->messages);
  out.request.jsonSchema = std::move(schema);
  out.request.schemaName = schemaName;
  out.request.temperature = options.temperature;
  out.request.maxTokens = options.answerTokens;
  out.request.validate = [parse](std::string_view answer) -> std::optional<std::string> {
    auto r = parse(answer);
    if (r)
      return std::nullopt;
    return r.error().message;
  };
  out.request.payload = payload;
  out.payload = std::move(payload);
  return out;
}

// --- Parsing ---

Error badAnswer(std::string message) { return {ErrorKind::BadAnswer, std::move(message)}; }

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

Result<json> parseObject(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object())
    return badAnswer("the answer is not a JSON object");
  return j;
}

/// A string field under its name or a few spellings models use instead.
std::string field(const json &j, std::initializer_list<const char *> names) {
  for (const char *n : names) {
    auto it = j.find(n);
    if (it == j.end())
      continue;
    if (it->is_string())
      return trim(it->get<std::string>());
    if (it->is_array()) { // a list of lines or sentences
      std::string joined;
      for (const auto &v : *it)
        if (v.is_string())
          joined += (joined.empty() ? "" : "\n") + trim(v.get<std::string>());
      return joined;
    }
  }
  return {};
}

std::vector<std::string> stringList(const json &j, std::initializer_list<const char *> names) {
  std::vector<std::string> out;
  for (const char *n : names) {
    auto it = j.find(n);
    if (it == j.end() || !it->is_array())
      continue;
    for (const auto &v : *it) {
      std::string s;
      if (v.is_string())
        s = v.get<std::string>();
      else if (v.is_object())
        s = field(v, {"plan", "text", "description", "choice", "summary"});
      s = trim(s);
      if (!s.empty())
        out.push_back(s);
    }
    break;
  }
  return out;
}

Result<std::vector<std::string>> threePlans(const json &j) {
  auto plans = stringList(j, {"plans", "instructions", "choices"});
  std::set<std::string> distinct(plans.begin(), plans.end());
  if (plans.size() < 3)
    return badAnswer("\"plans\" must hold three non-empty plans, got " + std::to_string(plans.size()));
  if (distinct.size() < 3)
    return badAnswer("the three plans must differ from each other");
  plans.resize(3);
  return plans;
}

/// Titles and genres are one line: a model that writes a paragraph there has misread the field.
constexpr std::size_t kMaxLineFieldChars = 100;

std::optional<Error> checkOneLine(std::string_view value, const char *name) {
  std::size_t chars = 0;
  for (unsigned char c : value)
    chars += (c & 0xC0) != 0x80;
  if (value.find('\n') != std::string_view::npos || chars > kMaxLineFieldChars)
    return badAnswer(std::string("\"") + name + "\" must be one line of at most " + std::to_string(kMaxLineFieldChars) +
                     " characters, not " + std::to_string(chars) + " characters" +
                     (value.find('\n') != std::string_view::npos ? " on several lines" : ""));
  return std::nullopt;
}

std::optional<Error> checkLanguage(std::string_view text, std::string_view language, const char *what) {
  if (!language.empty() && !scriptMatchesLanguage(text, language))
    return badAnswer(std::string("the ") + what + " is not written in " + std::string(language) +
                     "; write it in " + std::string(language));
  return std::nullopt;
}

} // namespace

// --- init ------------------------------------------------------------------------------------

Result<PreparedRequest> makeInitRequest(const InitInput &in, const PromptOptions &options) {
  StoryState s;
  s.genre = in.genre;
  s.topic = in.topic;
  s.premise = in.premise;
  s.language = in.language.empty() ? "English" : in.language;
  s.mode = in.mode;
  PromptBuilder b({options.contextTokens, options.answerTokens});
  b.setSystem(systemMessage(s.language, s.mode));
  std::string ask = "Start " + kindOfWork(s) + " in " + s.language;
  if (!in.topic.empty())
    ask += " about " + in.topic;
  ask += ". It will be long (dozens of chapters), so the opening only sets the scene.";
  b.setPreamble(ask);
  if (!in.premise.empty())
    b.add({SourceKind::Material, "The writer's premise", in.premise, "premise", Trim::KeepHead, 50});
  bool fiction = in.mode == StoryMode::InteractiveFiction;
  b.setInstructions(
      "Answer with a JSON object with these fields:\n"
      "- \"title\": the book's title.\n"
      "- \"outline\": the arc of the whole story in a few sentences, then the first chapter in more detail "
      "(its setting, the main characters, how it begins).\n"
      "- \"paragraphs\": the three opening paragraphs, " +
      paragraphLength(s.language) + " each" +
      (fiction ? ", in the second person (\"you\") and the present tense" : ", in a novelist's style") +
      ", taking time to set the scene.\n"
      "- \"shortTermMemory\": a summary of the three paragraphs: the key facts a writer must keep in mind "
      "(who, where, what is at stake), at most 10 sentences.\n"
      "- \"plans\": " +
      plansField(fiction));
  auto payload = basePayload("init", s, in.seed);
  std::string language = s.language;
  return finish("init", "story_opening", initSchema(), b, payload, options,
                [language](std::string_view a) { return parseInitAnswer(a, language); });
}

Result<InitAnswer> parseInitAnswer(std::string_view text, std::string_view language) {
  auto j = parseObject(text);
  if (!j)
    return j.error();
  InitAnswer a;
  a.title = field(*j, {"title", "name"});
  a.outline = field(*j, {"outline"});
  a.paragraphs = stringList(*j, {"paragraphs", "opening"});
  a.shortTermMemory = field(*j, {"shortTermMemory", "short_term_memory", "summary", "memory"});
  if (a.title.empty())
    return badAnswer("\"title\" is missing or empty");
  if (auto e = checkOneLine(a.title, "title"))
    return *e;
  if (a.paragraphs.empty())
    return badAnswer("\"paragraphs\" must hold the opening paragraphs");
  if (a.shortTermMemory.empty())
    return badAnswer("\"shortTermMemory\" is missing or empty");
  auto plans = threePlans(*j);
  if (!plans)
    return plans.error();
  a.plans = std::move(*plans);
  std::string all;
  for (const auto &p : a.paragraphs)
    all += p + "\n";
  if (auto e = checkLanguage(all, language, "opening"))
    return *e;
  return a;
}

// --- step ------------------------------------------------------------------------------------

Result<PreparedRequest> makeStepRequest(const StepInput &in, const PromptOptions &options) {
  const StoryState &s = *in.state;
  bool fiction = s.mode == StoryMode::InteractiveFiction;
  PromptBuilder b({options.contextTokens, options.answerTokens});
  b.setSystem(systemMessage(s.language, s.mode));
  b.setPreamble(storyLine(s));
  addStoryContext(b, s);
  // Earlier chapters of a folder book, dropped before anything else, the earliest first.
  for (std::size_t i = 0; i < in.previously.size(); ++i)
    b.add({SourceKind::ChapterSummary, "Previously (earlier chapters)", "- " + in.previously[i].text,
           in.previously[i].label, Trim::Drop, -100 + static_cast<int>(i) - static_cast<int>(in.previously.size())});
  for (std::size_t i = 0; i < in.retrieved.size(); ++i)
    b.add({SourceKind::RetrievedMemory, "Related earlier passages (long-term memory)", "- " + in.retrieved[i].text,
           in.retrieved[i].label, Trim::Drop, -static_cast<int>(i)});
  addBible(b, in.bible, options, options.contextTokens - options.answerTokens);
  b.add({SourceKind::ShortTermMemory, "Short-term memory (the story so far)",
         s.shortTermMemory.empty() ? std::string("(empty: the story has just begun)") : s.shortTermMemory,
         "short-term memory", Trim::Never, 100});
  addRecent(b, in.recent, fiction ? "The latest passage" : "The latest paragraphs");
  b.add({SourceKind::Plan, planSection(s.mode), in.plan, "plan", Trim::Never, 100});

  std::string task =
      fiction ? "Write the next passage of the interactive story, in the second person (\"you\") and the present "
                "tense, following the reader's choice above. Continue from the latest passage without repeating it, "
                "stay consistent with the memory, and end at a moment where the reader must choose."
              : "Write the next paragraph of the story, following the plan above. Do not rush: this is one paragraph "
                "of a long book, so take the plan's first step with concrete detail, action and dialogue. Continue "
                "seamlessly from the latest paragraph, in the same voice, tense and point of view, without "
                "repeating it, and stay consistent with the memory and the earlier passages.";
  if (in.inviteNewCharacter)
    task += " You may introduce a new character in this paragraph if it serves the story.";
  b.setInstructions(
      task +
      "\n\nAnswer with a JSON object with these fields:\n"
      "- \"paragraph\": the new " +
      std::string(fiction ? "passage" : "paragraph") + ", " + paragraphLength(s.language) +
      " of prose (no title, no notes, no choices in it).\n"
      "- \"rationale\": before rewriting the short-term memory, say which of its facts you drop because they no "
      "longer matter, which facts of the new text you add, and why.\n"
      "- \"shortTermMemory\": the rewritten short-term memory: close to the previous one, updated with the new text, "
      "key facts only (who, where, what is at stake, open threads), at most 15 sentences and 300 words.\n"
      "- \"summary\": one sentence saying what happens in the new text, for the long-term memory.\n"
      "- \"plans\": " +
      plansField(fiction));

  auto payload = basePayload("step", s, in.seed);
  payload->plan = in.plan;
  for (const auto &r : in.recent)
    payload->recentParagraphs.push_back(r.text);
  for (const auto &r : in.retrieved)
    payload->retrieved.push_back(r.text);
  payload->inviteNewCharacter = in.inviteNewCharacter;
  payload->corpus = in.corpus;
  std::string language = s.language;
  return finish("step", "story_step", stepSchema(), b, payload, options,
                [language](std::string_view a) { return parseStepAnswer(a, language); });
}

Result<StepAnswer> parseStepAnswer(std::string_view text, std::string_view language) {
  auto j = parseObject(text);
  if (!j)
    return j.error();
  StepAnswer a;
  a.paragraph = field(*j, {"paragraph", "passage", "text"});
  a.rationale = field(*j, {"rationale", "rational", "reason"});
  a.shortTermMemory = field(*j, {"shortTermMemory", "short_term_memory", "memory", "updatedMemory"});
  a.summary = field(*j, {"summary"});
  if (a.paragraph.empty())
    return badAnswer("\"paragraph\" is missing or empty");
  if (a.shortTermMemory.empty())
    return badAnswer("\"shortTermMemory\" is missing or empty");
  if (a.summary.empty())
    return badAnswer("\"summary\" is missing or empty");
  auto plans = threePlans(*j);
  if (!plans)
    return plans.error();
  a.plans = std::move(*plans);
  if (auto e = checkLanguage(a.paragraph, language, "paragraph"))
    return *e;
  return a;
}

// --- select ----------------------------------------------------------------------------------

Result<PreparedRequest> makeSelectRequest(const SelectInput &in, const PromptOptions &options) {
  const StoryState &s = *in.state;
  bool fiction = s.mode == StoryMode::InteractiveFiction;
  PromptBuilder b({options.contextTokens, selectAnswerTokens(options)});
  b.setSystem(systemMessage(s.language, s.mode));
  b.setPreamble(fiction ? "You are a curious reader of an interactive story, choosing what to do next."
                        : "You are helping a novelist decide how the story continues. " + storyLine(s));
  addBible(b, in.bible, options, options.contextTokens - selectAnswerTokens(options));
  b.add({SourceKind::ShortTermMemory, "Short-term memory (the story so far)", s.shortTermMemory, "short-term memory",
         Trim::KeepHead, 100});
  addRecent(b, in.recent, "The latest paragraphs");
  std::string numbered;
  for (std::size_t i = 0; i < in.plans.size(); ++i)
    numbered += (i ? "\n" : "") + std::to_string(i + 1) + ". " + in.plans[i];
  b.add({SourceKind::Plan, fiction ? "The choices" : "The candidate plans", numbered, "plans", Trim::Never, 100});
  b.setInstructions(std::string(fiction ? "Pick the choice that makes the most engaging next passage."
                                        : "Pick the plan that makes the most interesting and coherent continuation "
                                          "for readers.") +
                    " Answer with a JSON object: \"choice\" (the number, 1 to " + std::to_string(in.plans.size()) +
                    ") and \"reason\" (one or two sentences).");
  auto payload = basePayload("select", s, in.seed);
  payload->candidatePlans = in.plans;
  for (const auto &r : in.recent)
    payload->recentParagraphs.push_back(r.text);
  int count = static_cast<int>(in.plans.size());
  PromptOptions o = options;
  o.answerTokens = selectAnswerTokens(options);
  o.temperature = 0.3;
  return finish("select", "plan_choice", selectSchema(), b, payload, o,
                [count](std::string_view a) { return parseSelectAnswer(a, count); });
}

Result<SelectAnswer> parseSelectAnswer(std::string_view text, int planCount) {
  auto j = parseObject(text);
  if (!j)
    return j.error();
  SelectAnswer a;
  auto it = j->find("choice");
  long n = 0;
  if (it != j->end() && it->is_number_integer())
    n = it->get<long>();
  else if (it != j->end() && it->is_string())
    n = std::atol(it->get<std::string>().c_str());
  if (n < 1 || n > planCount)
    return badAnswer("\"choice\" must be a number from 1 to " + std::to_string(planCount));
  a.choice = static_cast<int>(n - 1);
  a.reason = field(*j, {"reason", "why"});
  return a;
}

// --- plans -----------------------------------------------------------------------------------

Result<PreparedRequest> makePlansRequest(const PlansInput &in, const PromptOptions &options) {
  const StoryState &s = *in.state;
  bool fiction = s.mode == StoryMode::InteractiveFiction;
  PromptBuilder b({options.contextTokens, plansAnswerTokens(options)});
  b.setSystem(systemMessage(s.language, s.mode));
  b.setPreamble(storyLine(s));
  addStoryContext(b, s);
  addBible(b, in.bible, options, options.contextTokens - plansAnswerTokens(options));
  b.add({SourceKind::ShortTermMemory, "Short-term memory (the story so far)", s.shortTermMemory, "short-term memory",
         Trim::Never, 100});
  addRecent(b, in.recent, "The latest paragraphs");
  b.setInstructions(fiction ? "Offer the reader three different choices for what to do next, each one imperative "
                              "sentence in the second person. Answer with a JSON object: \"plans\" (three strings)."
                            : "Propose three different plans for the next paragraph, each 1 to 3 sentences, each "
                              "taking the story somewhere different. Answer with a JSON object: \"plans\" (three "
                              "strings).");
  auto payload = basePayload("plans", s, in.seed);
  for (const auto &r : in.recent)
    payload->recentParagraphs.push_back(r.text);
  payload->corpus = in.corpus;
  std::string language = s.language;
  PromptOptions o = options;
  o.answerTokens = plansAnswerTokens(options);
  return finish("plans", "story_plans", plansSchema(), b, payload, o,
                [language](std::string_view a) { return parsePlansAnswer(a, language); });
}

Result<std::vector<std::string>> parsePlansAnswer(std::string_view text, std::string_view language) {
  auto j = parseObject(text);
  if (!j)
    return j.error();
  auto plans = threePlans(*j);
  if (!plans)
    return plans.error();
  std::string all;
  for (const auto &p : *plans)
    all += p + " ";
  if (auto e = checkLanguage(all, language, "plans"))
    return *e;
  return plans;
}

// --- adopt -----------------------------------------------------------------------------------

Result<PreparedRequest> makeAdoptRequest(const AdoptInput &in, const PromptOptions &options) {
  StoryState s;
  s.language = in.language.empty() ? "English" : in.language;
  s.genre = in.genre;
  s.title = in.title;
  s.mode = in.mode;
  bool fiction = in.mode == StoryMode::InteractiveFiction;
  PromptBuilder b({options.contextTokens, options.answerTokens});
  b.setSystem(systemMessage(s.language, s.mode));
  b.setPreamble("A writer has a manuscript in progress" + (in.title.empty() ? std::string() : ", \"" + in.title + "\"") +
                ", written in " + s.language +
                ", and wants to continue it with you. Below are one-line summaries of its paragraphs, in order "
                "(some from the middle may be left out for space), and its last paragraphs in full.");
  const std::size_t n = in.summaries.size();
  for (std::size_t i = 0; i < n; ++i) {
    // The middle of a long book goes first when space runs short; the recent part matters most.
    int fromStart = static_cast<int>(i), fromEnd = static_cast<int>(n - 1 - i);
    b.add({SourceKind::RetrievedMemory, "Paragraph summaries", "- " + in.summaries[i].text, in.summaries[i].label,
           Trim::Drop, -std::min(fromStart, 4 * fromEnd)});
  }
  addRecent(b, in.recent, "The last paragraphs");
  b.setInstructions(
      std::string("Answer with a JSON object with these fields:\n"
                  "- \"title\": " +
                  (in.keepTitle ? "the manuscript's own title, \"" + in.title + "\", unchanged.\n"
                                : std::string("the manuscript's title, one line.\n")) +
                  "- \"genre\": its genre, in a few words on one line.\n"
                  "- \"synopsis\": the story so far, in at most 10 sentences.\n"
                  "- \"outline\": where the story seems to be heading, in a few sentences.\n"
                  "- \"rationale\": what the short-term memory must hold to continue from the end, and why.\n"
                  "- \"shortTermMemory\": the short-term memory for continuing from the last paragraph: key facts "
                  "only (who, where, what is at stake, open threads), at most 15 sentences and 300 words.\n"
                  "- \"plans\": ") +
      plansField(fiction));
  auto payload = basePayload("adopt", s, in.seed);
  for (const auto &x : in.summaries)
    payload->texts.push_back(x.text);
  for (const auto &r : in.recent)
    payload->recentParagraphs.push_back(r.text);
  payload->corpus = in.corpus;
  std::string language = s.language;
  std::string kept = in.keepTitle ? in.title : std::string();
  return finish("adopt", "story_adoption", adoptSchema(), b, payload, options,
                [language, kept](std::string_view a) { return parseAdoptAnswer(a, language, kept); });
}

Result<AdoptAnswer> parseAdoptAnswer(std::string_view text, std::string_view language, std::string_view writersTitle) {
  auto j = parseObject(text);
  if (!j)
    return j.error();
  AdoptAnswer a;
  a.title = writersTitle.empty() ? field(*j, {"title"}) : std::string(writersTitle);
  a.genre = field(*j, {"genre"});
  if (auto e = checkOneLine(a.title, "title"); e && writersTitle.empty())
    return *e;
  if (auto e = checkOneLine(a.genre, "genre"))
    return *e;
  a.synopsis = field(*j, {"synopsis"});
  a.outline = field(*j, {"outline"});
  a.rationale = field(*j, {"rationale"});
  a.shortTermMemory = field(*j, {"shortTermMemory", "short_term_memory", "memory"});
  if (a.synopsis.empty())
    return badAnswer("\"synopsis\" is missing or empty");
  if (a.shortTermMemory.empty())
    return badAnswer("\"shortTermMemory\" is missing or empty");
  auto plans = threePlans(*j);
  if (!plans)
    return plans.error();
  a.plans = std::move(*plans);
  if (auto e = checkLanguage(a.shortTermMemory, language, "short-term memory"))
    return *e;
  return a;
}

// --- summarize -------------------------------------------------------------------------------

Result<PreparedRequest> makeSummarizeRequest(const std::vector<SummarizeItem> &items, const std::string &language,
                                             const PromptOptions &options) {
  std::string lang = language.empty() ? "English" : language;
  PromptBuilder b({options.contextTokens, summaryAnswerTokens(options, items.size())});
  b.setSystem(systemMessage(lang, StoryMode::Novel));
  b.setPreamble("Summarise each numbered paragraph of a manuscript in one sentence, in " + lang +
                ": who does what, and what changes. Keep names.");
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string text = "[" + std::to_string(i + 1) + "] " +
                       (items[i].chapter.empty() ? std::string() : "(" + items[i].chapter + ") ") + items[i].text;
    b.add({SourceKind::Material, "Paragraphs", text, "paragraph " + std::to_string(i + 1), Trim::KeepHead, 100});
  }
  b.setInstructions("Answer with a JSON object: \"summaries\", an array of exactly " + std::to_string(items.size()) +
                    " strings, one per paragraph, in order.");
  StoryState s;
  s.language = lang;
  auto payload = basePayload("summarize", s, 0);
  for (const auto &it : items)
    payload->texts.push_back(it.text);
  std::size_t n = items.size();
  PromptOptions o = options;
  o.answerTokens = summaryAnswerTokens(options, n);
  o.temperature = 0.2;
  return finish("summarize", "paragraph_summaries", summarizeSchema(n), b, payload, o,
                [n](std::string_view a) { return parseSummarizeAnswer(a, n); });
}

Result<std::vector<std::string>> parseSummarizeAnswer(std::string_view text, std::size_t expected) {
  auto j = parseObject(text);
  if (!j)
    return j.error();
  auto it = j->find("summaries");
  if (it == j->end() || !it->is_array())
    return badAnswer("\"summaries\" must be an array of strings");
  std::vector<std::string> out;
  for (const auto &v : *it)
    out.push_back(v.is_string() ? trim(v.get<std::string>()) : std::string());
  if (out.size() != expected)
    return badAnswer("\"summaries\" must hold exactly " + std::to_string(expected) + " strings, one per paragraph; got " +
                     std::to_string(out.size()));
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i].empty())
      return badAnswer("summary " + std::to_string(i + 1) + " is empty");
  return out;
}

} // namespace recurrent::engine
