#include "engine/continuity/CheckPrompt.h"

#include "engine/story/TaskPayload.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace recurrent::engine::continuity {
using nlohmann::json;

namespace {

const std::string &schema() {
  static const std::string s = [] {
    json str = {{"type", "string"}};
    json subtypes = checkSubtypes();
    json issue = {{"type", "object"},
                  {"properties",
                   {{"paragraph", str},
                    {"quote", str},
                    {"subtype", {{"type", "string"}, {"enum", subtypes}}},
                    {"source", str},
                    {"sourceQuote", str},
                    {"explanation", str},
                    {"severity", {{"type", "string"}, {"enum", {"high", "medium", "low"}}}},
                    {"replacement", str}}},
                  {"required", {"paragraph", "quote", "subtype", "source", "sourceQuote", "explanation", "severity",
                                "replacement"}},
                  {"additionalProperties", false}};
    json root = {{"type", "object"},
                 {"properties", {{"issues", {{"type", "array"}, {"items", issue}}}}},
                 {"required", {"issues"}},
                 {"additionalProperties", false}};
    return root.dump();
  }();
  return s;
}

std::string systemText(std::string_view language) {
  std::string lang(language.empty() ? "English" : language);
  return "You are a continuity editor for a novel written in " + lang +
         ". You find where a passage contradicts the evidence you are given. Write explanations in " + lang +
         "; copy quotes exactly as written. Answer with one JSON object that follows the schema, and nothing else.";
}

// ConStory-Bench's checker: exact quotes, the five categories, and literary devices excluded.
const char *kInstructions =
    "Report only places where a passage paragraph contradicts the evidence above (or an earlier passage "
    "paragraph). For each issue: \"paragraph\": the passage paragraph's label (P1, ...); \"quote\": the wrong "
    "words, copied exactly from that paragraph (a few words); \"subtype\": characterization, factual detail, "
    "narrative style, timeline and plot, or world-building; \"source\": the label in square brackets of what it "
    "contradicts; \"sourceQuote\": the exact words there; \"explanation\": one sentence; \"severity\": high, "
    "medium or low; \"replacement\": words to put in place of the quote, or \"\". Not errors: foreshadowing, an "
    "unreliable or mistaken narrator, deliberate mystery or ambiguity, a character lying or misremembering, "
    "metaphor, irony, dreams, flashbacks, a character learning or changing, and anything the evidence does not "
    "state. When in doubt, favour the literary reading: no issue. With none: {\"issues\": []}.";

const char *sectionOf(CheckEvidenceItem::Kind kind) {
  switch (kind) {
  case CheckEvidenceItem::Kind::BibleEntry: return "Story bible, as true at the passage";
  case CheckEvidenceItem::Kind::ShortTermMemory: return "Short-term memory of the recent story";
  case CheckEvidenceItem::Kind::MemorySummary: return "Earlier paragraphs, summarised";
  case CheckEvidenceItem::Kind::SourceParagraph: return "Earlier paragraphs, in full";
  }
  return "Evidence";
}

SourceKind sourceKindOf(CheckEvidenceItem::Kind kind) {
  switch (kind) {
  case CheckEvidenceItem::Kind::BibleEntry: return SourceKind::BibleEntry;
  case CheckEvidenceItem::Kind::ShortTermMemory: return SourceKind::ShortTermMemory;
  case CheckEvidenceItem::Kind::MemorySummary: return SourceKind::RetrievedMemory;
  case CheckEvidenceItem::Kind::SourceParagraph: return SourceKind::RetrievedMemory;
  }
  return SourceKind::Material;
}

std::string rendered(const std::string &label, const std::string &text) { return "[" + label + "] " + text; }

Error badAnswer(std::string message) { return {ErrorKind::BadAnswer, std::move(message)}; }

} // namespace

const std::vector<std::string> &checkSubtypes() {
  static const std::vector<std::string> s = {"characterization", "factual detail", "narrative style",
                                             "timeline and plot", "world-building"};
  return s;
}

std::string subtypeCode(std::string_view subtype) {
  std::string lower;
  for (char c : subtype)
    lower += (c == '_' || c == '-') ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "characterisation")
    lower = "characterization";
  if (lower == "world building")
    lower = "world-building";
  if (lower == "timeline & plot" || lower == "timeline")
    lower = "timeline and plot";
  const auto &all = checkSubtypes();
  if (std::find(all.begin(), all.end(), lower) == all.end())
    return {};
  std::string code;
  for (char c : lower)
    code += c == ' ' ? '-' : c;
  return code;
}

int checkRequestOverheadTokens() {
  return estimateTokens(std::vector<ChatMessage>{{"system", systemText("English")}, {"user", kInstructions}}) +
         estimateTokens(schema()) + 40; // section headings and labels
}

int evidenceTokens(const CheckEvidenceItem &item) { return estimateTokens(rendered(item.label, item.text)) + 1; }

Result<ChatRequest> makeCheckRequest(const CheckRequestInput &in) {
  PromptBuilder b({in.contextTokens, in.answerTokens});
  b.setSystem(systemText(in.language));
  b.setSchema(schema());
  // Evidence first (the passage is read against it), most important first; the passage is never cut.
  int priority = static_cast<int>(in.evidence.size()) + 10;
  for (const auto &e : in.evidence)
    b.add({sourceKindOf(e.kind), sectionOf(e.kind), rendered(e.label, e.text), e.label, Trim::Drop, priority--});
  for (const auto &p : in.passage)
    b.add({SourceKind::Material, "Passage to check", rendered(p.label, p.text), p.label, Trim::Never, 1000});
  b.setInstructions(kInstructions);
  auto built = b.build();
  if (!built)
    return built.error();
  ChatRequest r;
  r.task = "check";
  r.messages = std::move(built->messages);
  r.jsonSchema = schema();
  r.schemaName = "continuity_issues";
  r.temperature = 0.1;
  r.maxTokens = in.answerTokens;
  // The budget report rides along so the call log and the context viewer show the check's sources too.
  auto payload = std::make_shared<TaskPayload>();
  payload->task = r.task;
  payload->budget = built->report;
  r.payload = std::move(payload);
  r.validate = [](std::string_view answer) -> std::optional<std::string> {
    auto parsed = parseCheckAnswer(answer);
    return parsed ? std::nullopt : std::optional<std::string>(parsed.error().message);
  };
  return r;
}

Result<std::vector<CheckIssue>> parseCheckAnswer(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object())
    return badAnswer("the answer is not a JSON object");
  auto it = j.find("issues");
  if (it == j.end() || !it->is_array())
    return badAnswer("\"issues\" must be an array of objects");
  std::vector<CheckIssue> out;
  for (const auto &v : *it) {
    if (!v.is_object())
      return badAnswer("each of \"issues\" must be an object");
    auto field = [&](const char *name) {
      auto f = v.find(name);
      return f != v.end() && f->is_string() ? f->get<std::string>() : std::string();
    };
    out.push_back({field("paragraph"), field("quote"), field("subtype"), field("source"), field("sourceQuote"),
                   field("explanation"), field("severity"), field("replacement")});
  }
  return out;
}

} // namespace recurrent::engine::continuity
