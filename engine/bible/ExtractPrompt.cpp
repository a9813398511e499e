#include "engine/bible/ExtractPrompt.h"

#include "engine/continuity/TextScan.h"
#include "engine/llm/JsonExtract.h"
#include "engine/manuscript/LineRules.h"
#include "engine/story/TaskPayload.h"
#include "engine/story/TokenBudget.h"
#include "support/Utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace recurrent::engine {
using nlohmann::json;

namespace {

/// A description is a sentence or two, and never a paragraph the model wrote about the book.
constexpr std::size_t kDescriptionSentences = 2;
constexpr std::size_t kDescriptionBytes = 400;
/// Below this much room for the chapter the request is not worth its cost.
constexpr int kMinChapterTokens = 200;

const std::string &schema() {
  static const std::string s = [] {
    json str = {{"type", "string"}};
    // `type` is a free string: an unknown one becomes `other` instead of costing a retry.
    json entry = {{"type", "object"},
                  {"properties",
                   {{"name", str}, {"type", str}, {"aliases", {{"type", "array"}, {"items", str}}}, {"description", str}}},
                  {"required", {"name", "type", "aliases", "description"}},
                  {"additionalProperties", false}};
    json root = {{"type", "object"},
                 {"properties", {{"entries", {{"type", "array"}, {"items", entry}}}}},
                 {"required", {"entries"}},
                 {"additionalProperties", false}};
    return root.dump();
  }();
  return s;
}

std::string systemText(std::string_view language) {
  std::string lang(language.empty() ? "English" : language);
  return "You keep the story bible of a novel written in " + lang +
         ": its characters, places, objects and lore. Write descriptions in " + lang +
         "; copy names exactly as the text writes them. Answer with one JSON object that follows the schema, and "
         "nothing else.";
}

std::string instructions(std::size_t limit, bool known) {
  return "List the named characters, places, objects and lore of the chapter above that matter to the story, at most " +
         std::to_string(limit) + ", the most important first" +
         (known ? ", leaving out every name already in the bible" : std::string()) +
         ". For each: \"name\": the fullest name the chapter uses, exactly as written; \"type\": character, place, "
         "object, lore or other; \"aliases\": other names the chapter uses for it (or []); \"description\": one or "
         "two sentences of what the chapter says about it, nothing it does not say. With none: {\"entries\": []}.";
}

Error badAnswer(std::string message) { return {ErrorKind::BadAnswer, std::move(message)}; }

BibleEntryType typeOf(std::string_view text) {
  std::string t = continuity::folded(lines::trim(text));
  for (auto type : {BibleEntryType::Character, BibleEntryType::Place, BibleEntryType::Object, BibleEntryType::Lore})
    if (t == bibleEntryTypeName(type))
      return type;
  return BibleEntryType::Other;
}

/// `name` occurs in the folded `text` as a whole word (CJK names: anywhere, they have no word boundaries).
bool occursIn(std::string_view foldedText, std::string_view name) {
  const std::string n = continuity::folded(name);
  if (n.empty())
    return false;
  for (std::size_t at = foldedText.find(n); at != std::string_view::npos; at = foldedText.find(n, at + 1)) {
    char32_t before = continuity::codePointBefore(foldedText, at);
    char32_t after = at + n.size() < foldedText.size() ? continuity::codePointAt(foldedText, at + n.size()) : 0;
    auto open = [](char32_t cp) { return cp == 0 || !continuity::isWordLetter(cp) || utf8::isCjk(cp); };
    if ((open(before) || utf8::isCjk(continuity::codePointAt(n, 0))) && (open(after) || utf8::isCjk(after)))
      return true;
  }
  return false;
}

/// One line, at most two sentences, no Markdown that would make it a heading, a detail or a comment.
std::string shortDescription(std::string_view text) {
  std::string flat;
  for (char c : text)
    if (c == '\n' || c == '\r' || c == '\t')
      flat += ' ';
    else if (c != ' ' || (!flat.empty() && flat.back() != ' '))
      flat += c;
  std::string_view s = lines::trim(flat);
  while (!s.empty() && (s.front() == '#' || s.front() == '-' || s.front() == '>' || s.front() == '*' || s.front() == ' '))
    s.remove_prefix(1);
  std::size_t end = s.size(), sentences = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool stop = (s[i] == '.' || s[i] == '!' || s[i] == '?') && (i + 1 == s.size() || s[i + 1] == ' ');
    bool cjkStop = s.compare(i, 3, "。") == 0;
    if ((stop || cjkStop) && ++sentences == kDescriptionSentences) {
      end = i + (cjkStop ? 3 : 1);
      break;
    }
  }
  std::string out(utf8::prefixBytes(s.substr(0, end), kDescriptionBytes));
  for (std::size_t at; (at = out.find("<!--")) != std::string::npos;)
    out.erase(at, 4);
  return std::string(lines::trim(out));
}

} // namespace

Result<ExtractRequest> makeExtractRequest(const ExtractRequestInput &in) {
  std::string known;
  for (const auto &n : in.knownNames)
    known += (known.empty() ? "" : ", ") + n;
  const std::string system = systemText(in.language), task = instructions(in.limit, !known.empty());
  auto overhead = [&](bool withKnown) {
    return estimateTokens(std::vector<ChatMessage>{{"system", system}, {"user", task}}) + estimateTokens(schema()) +
           (withKnown ? estimateTokens(known) : 0) + 60; // headings and framing
  };
  int room = in.contextTokens - in.answerTokens - overhead(true);
  if (room < kMinChapterTokens && !known.empty()) {
    known.clear(); // the parser leaves the bible's names out anyway
    room = in.contextTokens - in.answerTokens - overhead(false);
  }
  if (room < kMinChapterTokens)
    return Error{ErrorKind::Config, "the model's context (" + std::to_string(in.contextTokens) +
                                        " tokens) is too small to read a chapter: raise recurrent.contextTokens"};
  ExtractRequest out;
  std::string chapter = in.chapterText;
  if (estimateTokens(chapter) > room) {
    chapter = cutToTokens(in.chapterText, room);
    out.cut = true;
  }
  out.sentBytes = std::min(chapter.size(), in.chapterText.size());
  PromptBuilder b({in.contextTokens, in.answerTokens});
  b.setSystem(system);
  b.setSchema(schema());
  if (!known.empty())
    b.add({SourceKind::BibleEntry, "Names already in the story bible", known, "the bible's names", Trim::Drop, 1});
  const std::string heading = "Chapter " + in.chapterName +
                              (out.cut ? " (only its beginning: the whole chapter does not fit the context)" : "");
  b.add({SourceKind::Material, heading, chapter, in.chapterName, Trim::KeepHead, 1000});
  b.setInstructions(task);
  auto built = b.build();
  if (!built)
    return built.error();
  ChatRequest &r = out.request;
  r.task = "extract";
  r.messages = std::move(built->messages);
  r.jsonSchema = schema();
  r.schemaName = "bible_entries";
  r.temperature = 0.2;
  r.maxTokens = in.answerTokens;
  auto payload = std::make_shared<TaskPayload>();
  payload->task = r.task;
  payload->language = in.language;
  payload->budget = built->report;
  r.payload = std::move(payload);
  r.validate = [](std::string_view answer) -> std::optional<std::string> {
    auto parsed = parseExtractAnswer(answer, "", {}, 0);
    return parsed ? std::nullopt : std::optional<std::string>(parsed.error().message);
  };
  return out;
}

Result<ExtractedEntries> parseExtractAnswer(std::string_view answer, std::string_view chapterText,
                                            const std::vector<std::string> &knownNames, std::size_t limit) {
  auto extracted = extractJsonObject(answer);
  if (!extracted)
    return extracted.error();
  json j = json::parse(*extracted, nullptr, false);
  auto it = j.is_object() ? j.find("entries") : j.end();
  if (!j.is_object() || it == j.end() || !it->is_array())
    return badAnswer("\"entries\" must be an array of objects");
  const std::string text = continuity::folded(chapterText);
  std::set<std::string> taken;
  for (const auto &n : knownNames)
    taken.insert(continuity::folded(lines::trim(n)));
  ExtractedEntries out;
  for (const auto &v : *it) {
    if (!v.is_object())
      return badAnswer("each of \"entries\" must be an object");
    auto field = [&](const char *name) {
      auto f = v.find(name);
      return f != v.end() && f->is_string() ? std::string(lines::trim(f->get<std::string>())) : std::string();
    };
    ExtractedEntry e;
    e.name = field("name");
    e.type = typeOf(field("type"));
    e.description = shortDescription(field("description"));
    bool inText = occursIn(text, e.name);
    if (auto a = v.find("aliases"); a != v.end() && a->is_array())
      for (const auto &alias : *a)
        if (alias.is_string()) {
          std::string s(lines::trim(alias.get<std::string>()));
          if (!s.empty() && continuity::folded(s) != continuity::folded(e.name) && occursIn(text, s) &&
              std::find(e.aliases.begin(), e.aliases.end(), s) == e.aliases.end())
            e.aliases.push_back(std::move(s));
        }
    inText = inText || !e.aliases.empty();
    bool knownAlready = taken.count(continuity::folded(e.name)) > 0;
    for (const auto &a : e.aliases)
      knownAlready = knownAlready || taken.count(continuity::folded(a)) > 0;
    if (e.name.empty() || e.name.find('\n') != std::string::npos || !inText || knownAlready ||
        out.entries.size() >= limit) {
      ++out.dropped;
      continue;
    }
    taken.insert(continuity::folded(e.name));
    for (const auto &a : e.aliases)
      taken.insert(continuity::folded(a));
    out.entries.push_back(std::move(e));
  }
  return out;
}

} // namespace recurrent::engine
