#include "engine/story/OfflineChatModel.h"

#include "engine/story/Language.h"
#include "engine/story/MarkovProse.h"
#include "engine/story/OfflineText.h"
#include "engine/story/TaskPayload.h"
#include "engine/story/TokenBudget.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>

namespace recurrent::engine {
using nlohmann::json;
using namespace offline;

struct OfflineChatModel::Learnt {
  std::size_t bytes = 0;       ///< corpus prefix learnt (up to a paragraph break)
  std::uint64_t prefixHash = 0;
  MarkovProse prose;
};

OfflineChatModel::OfflineChatModel() = default;
OfflineChatModel::~OfflineChatModel() = default;

namespace {

std::uint64_t fnv(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool isEnglish(const std::string &language) {
  auto l = lowerAscii(language);
  return l.empty() || l == "english" || l == "en" || l.rfind("en-", 0) == 0;
}

std::string capitalise(std::string s) {
  if (!s.empty())
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string joinSentences(const std::vector<std::string> &sentences) {
  std::string out;
  for (const auto &s : sentences) {
    if (s.empty())
      continue;
    if (!out.empty())
      out += ' ';
    out += s;
  }
  return out;
}

template <typename T> const T &pick(const std::vector<T> &v, std::mt19937_64 &rng) {
  return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

// --- The story's own material: names and keywords of the recent text ----------------------

struct Material {
  std::vector<std::string> names;
  std::vector<std::string> keywords;
};

Material materialOf(const TaskPayload &p) {
  std::string recent;
  for (const auto &r : p.recentParagraphs)
    recent += r + "\n\n";
  std::string context = recent + p.shortTermMemory + "\n" + p.plan;
  Material m;
  m.names = names(context, 6);
  if (m.names.size() < 2 && p.corpus) {
    auto tail = std::string_view(*p.corpus).substr(p.corpus->size() > 20000 ? p.corpus->size() - 20000 : 0);
    for (const auto &n : names(tail, 6))
      if (std::find(m.names.begin(), m.names.end(), n) == m.names.end())
        m.names.push_back(n);
  }
  m.keywords = keywords(recent.empty() ? context : recent, 8);
  if (m.keywords.size() < 3)
    for (const auto &k : keywords(context + (p.corpus ? p.corpus->substr(0, 20000) : std::string()), 8))
      if (std::find(m.keywords.begin(), m.keywords.end(), k) == m.keywords.end())
        m.keywords.push_back(k);
  return m;
}

/// Three different plans made from the story's names and keywords.
std::vector<std::string> makePlans(const TaskPayload &p, std::mt19937_64 &rng) {
  auto m = materialOf(p);
  std::string a = m.names.size() > 0 ? m.names[0] : "the stranger";
  std::string b = m.names.size() > 1 ? m.names[1] : "an old friend";
  std::string k1 = m.keywords.size() > 0 ? m.keywords[0] : "secret";
  std::string k2 = m.keywords.size() > 1 ? m.keywords[1] : "promise";
  std::string k3 = m.keywords.size() > 2 ? m.keywords[2] : "door";
  std::vector<std::string> plans;
  if (!isEnglish(p.language)) {
    // No English frames in another language's story: point at the story's own sentences.
    std::vector<std::string> sentences;
    for (const auto &r : p.recentParagraphs)
      for (auto &s : splitSentences(r))
        sentences.push_back(s);
    std::shuffle(sentences.begin(), sentences.end(), rng);
    std::vector<std::string> who = m.names.empty() ? std::vector<std::string>{"→"} : m.names;
    for (std::size_t i = 0; plans.size() < 3 && i < sentences.size(); ++i) {
      std::string plan = who[i % who.size()] + " → " + sentences[i];
      if (std::find(plans.begin(), plans.end(), plan) == plans.end())
        plans.push_back(plan);
    }
    while (plans.size() < 3)
      plans.push_back(who[0] + " → " + (m.keywords.size() > plans.size() ? m.keywords[plans.size()] : k1) + " (" +
                      std::to_string(plans.size() + 1) + ")");
    return plans;
  }
  std::vector<std::string> templates;
  if (p.mode == StoryMode::InteractiveFiction) {
    templates = {"Go to the " + k1 + " and search for whatever " + a + " is hiding.",
                 "Ask " + a + " about the " + k2 + ", and watch the answer closely.",
                 "Wait until dark, then follow " + a + " without being seen.",
                 "Open the " + k1 + ", whatever it costs you.",
                 "Leave the " + k2 + " behind and go looking for " + b + ".",
                 "Tell " + b + " the truth about the " + k3 + ".",
                 "Take the " + k3 + " and keep it hidden from " + a + "."};
  } else {
    templates = {a + " returns to the " + k1 + " and finds that something has changed since the last time.",
                 a + " and " + b + " argue about the " + k2 + "; one of them is hiding what they know.",
                 "A quiet moment: " + a + " thinks back on the " + k3 + ", and a small detail suddenly makes sense.",
                 b + " brings news about the " + k1 + " that forces " + a + " to act before nightfall.",
                 a + " follows the trail of the " + k2 + " to a place nobody has visited in years.",
                 "Someone new arrives, asking questions about " + a + " and the " + k1 + ".",
                 a + " decides to break a promise and look into the " + k3 + " alone.",
                 "The " + k1 + " gives up a secret, and " + b + " is the first to understand it."};
  }
  std::shuffle(templates.begin(), templates.end(), rng);
  templates.resize(3);
  return templates;
}

// --- Short-term memory, rationale, summaries ------------------------------------------------

struct MemoryUpdate {
  std::string memory, rationale;
};

MemoryUpdate updateMemory(const std::string &previous, const std::string &summary, const std::string &language) {
  constexpr std::size_t kKeep = 8;
  auto sentences = splitSentences(previous);
  std::vector<std::string> dropped;
  sentences.push_back(summary);
  while (sentences.size() > kKeep) {
    dropped.push_back(sentences.front());
    sentences.erase(sentences.begin());
  }
  MemoryUpdate u;
  u.memory = joinSentences(sentences);
  if (isEnglish(language)) {
    u.rationale = dropped.empty() ? "Nothing dropped: the memory still has room."
                                  : "Dropped the oldest fact (\"" + dropped.front() +
                                        "\"), which the story has moved past.";
    u.rationale += " Added what the new paragraph establishes: \"" + summary + "\"";
  } else {
    u.rationale = (dropped.empty() ? std::string() : "− " + dropped.front() + "\n") + "+ " + summary;
  }
  return u;
}

// --- A story from a topic: the built-in template -------------------------------------------

struct GenreWords {
  std::vector<std::string> things;
  std::string work;
};

GenreWords genreWords(const std::string &genre) {
  auto g = lowerAscii(genre);
  auto has = [&](const char *w) { return g.find(w) != std::string::npos; };
  if (has("science") || has("sci-fi") || has("space"))
    return {{"station", "signal", "console", "reactor", "hatch", "array"}, "watching the long-range array from the observation deck"};
  if (has("fantasy"))
    return {{"tower", "river", "bell", "hearth", "forest", "oath"}, "keeping the bell tower above the river"};
  if (has("horror"))
    return {{"cellar", "well", "door", "candle", "chapel", "woods"}, "tending the chapel at the edge of the woods"};
  if (has("romance") || has("love"))
    return {{"café", "letter", "garden", "piano", "bridge", "window"}, "running the café by the old bridge"};
  if (has("thriller") || has("spy"))
    return {{"phone", "file", "car", "border", "safehouse", "envelope"}, "sorting files in a windowless office"};
  if (has("mystery") || has("crime") || has("detective"))
    return {{"ledger", "harbour", "lamp", "letter", "key", "clock"}, "keeping the records at the harbour office"};
  if (has("western"))
    return {{"saloon", "rail", "horse", "canyon", "badge", "wagon"}, "minding the telegraph at the rail stop"};
  return {{"house", "road", "letter", "river", "door", "lamp"}, "keeping the old house at the end of the road"};
}

std::string titleFor(const std::string &topic) {
  auto toks = tokenize(topic);
  std::vector<std::string> words;
  for (const auto &t : toks)
    if (t.kind == TokenKind::Word)
      words.push_back(t.text);
  if (words.empty())
    return "Untitled";
  std::string first = lowerAscii(words[0]);
  bool article = first == "the" || first == "a" || first == "an";
  std::string title;
  std::size_t n = std::min<std::size_t>(words.size(), article ? 5 : 4);
  for (std::size_t i = 0; i < n; ++i) {
    std::string w = words[i];
    if (i == 0 || !isStopword(lowerAscii(w)))
      w = capitalise(w);
    title += (i ? " " : "") + w;
  }
  return article || words.size() > 2 ? title : "The " + title;
}

std::vector<std::string> templateOpening(const std::string &topic, const std::string &premise, const std::string &genre,
                                         std::mt19937_64 &rng, std::string &hero, std::string &ally) {
  static const std::vector<std::string> heroes = {"Mara", "Elias", "Ines", "Tomas", "Nadia", "Jonah", "Lena", "Ravi", "Hanna", "Oskar"};
  static const std::vector<std::string> allies = {"Bram", "Celia", "Dov", "Ysolde", "Pieter", "Amara", "Quinn", "Soren"};
  static const std::vector<std::string> places = {"Hollowmere", "Kestrel Point", "Ashford", "Vell", "Low Harrow", "Saltmarsh"};
  hero = pick(heroes, rng);
  ally = pick(allies, rng);
  std::string place = pick(places, rng);
  auto gw = genreWords(genre);
  std::shuffle(gw.things.begin(), gw.things.end(), rng);
  const std::string &t1 = gw.things[0], &t2 = gw.things[1], &t3 = gw.things[2];
  std::string about = topic.empty() ? "what had happened there" : lowerAscii(topic);
  std::vector<std::string> paragraphs = {
      "Nobody in " + place + " had spoken about " + about + " for years, and " + hero +
          " had grown up believing that was the way things should be. Most days " + hero + " was " + gw.work +
          ", and liked the quiet of it. The " + t1 + " hummed in the walls, the " + t2 +
          " kept its own slow rhythm, and one day went by much like another. The old people said that " + about +
          " was a story for children, and the children said it was a story for the old. " + hero +
          " believed neither of them, and kept that to " + std::string("themself") + ". In the evenings " + hero +
          " walked the long way home, past the " + t3 + " and the empty square, counting the lit windows. There were " +
          "fewer of them every year. People left " + place + " and did not come back, and nobody asked why. " +
          "That changed on the evening the first sign came.",
      "It began with the " + t1 + ". " + hero + " noticed it a little after dark: a pause, then a sound that did not " +
          "belong to anything in " + place + ". " + hero + " stood very still and listened. The sound came again, " +
          "closer this time, and with it a cold feeling that had nothing to do with the weather. \"Did you hear that?\" " +
          hero + " asked, though there was nobody there to answer. The " + t2 + " was quiet. The " + t3 +
          " was quiet. Only the " + t1 + " went on, patient and strange, as if it were waiting for something. " + hero +
          " wrote the time on the back of an envelope, then the length of each pause, then a question that had no " +
          "answer yet. By midnight the envelope was full. By morning the sound had stopped, and the silence it left " +
          "behind was worse.",
      ally + " came by the next morning, as " + ally + " did every morning, and found " + hero +
          " sitting by the window with the " + t3 + " on the table. \"You look as if you haven't slept,\" " + ally +
          " said. \"I haven't,\" " + hero + " said. \"Something is happening, and I think it has to do with " + about +
          ".\" " + ally + " laughed at first, and then saw that " + hero + " was not joking. For a long moment neither " +
          "of them spoke. " + hero + " pushed the envelope across the table, and " + ally +
          " read it twice, slowly, the way a person reads a letter with bad news in it. \"We should tell someone,\" " +
          ally + " said at last. \"Who would believe us?\" " + hero + " asked. Outside, the " + t2 +
          " kept its slow rhythm, and the whole of " + place + " went about its business as if nothing had changed at all.",
  };
  if (!premise.empty())
    paragraphs[2] += " " + hero + " thought of what everyone half knew and nobody said: " + premise +
                     (endsSentence(std::string(1, premise.back())) ? "" : ".");
  return paragraphs;
}

} // namespace

const MarkovProse &OfflineChatModel::proseFor(const std::string &corpus) {
  // Learn up to the last paragraph break: text after it may still be growing.
  std::size_t cut = corpus.rfind("\n\n");
  cut = cut == std::string::npos ? 0 : cut + 2;
  bool extend = learnt_ && learnt_->bytes <= cut && fnv(std::string_view(corpus).substr(0, learnt_->bytes)) == learnt_->prefixHash;
  if (!extend)
    learnt_ = std::make_unique<Learnt>();
  for (const auto &p : proseParagraphs(std::string_view(corpus).substr(learnt_->bytes, cut - learnt_->bytes)))
    learnt_->prose.learn(p);
  learnt_->bytes = cut;
  learnt_->prefixHash = fnv(std::string_view(corpus).substr(0, cut));
  return learnt_->prose;
}

Result<ChatResult> OfflineChatModel::chat(const ChatRequest &request, const CancelToken &cancel,
                                          const ChatCallbacks &callbacks) {
  if (cancel.cancelled())
    return Error::cancelled();
  if (!request.payload)
    return Error{ErrorKind::InvalidArgument,
                 "the offline stand-in answers only the recurrence's own tasks (this request carries no task inputs)"};
  const TaskPayload &p = *request.payload;
  std::mt19937_64 rng(p.seed ^ 0x9E3779B97F4A7C15ull);
  json answer;

  if (p.task == "step") {
    std::string paragraph;
    {
      std::lock_guard lock(mutex_);
      std::string corpus = p.corpus ? *p.corpus : std::string();
      if (corpus.empty())
        for (const auto &r : p.recentParagraphs)
          corpus += r + "\n\n";
      const auto &model = proseFor(corpus);
      MarkovProse::Steering steer;
      steer.boost = contentWords(p.plan);
      for (const auto &n : names(p.plan, 4))
        steer.boost.push_back(lowerAscii(n));
      // Discourage reusing the latest paragraphs' phrases (the prompt's recent text and more).
      auto prose = proseParagraphs(std::string_view(corpus).substr(corpus.size() > 30000 ? corpus.size() - 30000 : 0));
      for (std::size_t i = prose.size() > 8 ? prose.size() - 8 : 0; i < prose.size(); ++i)
        steer.avoid.push_back(prose[i]);
      for (const auto &r : p.recentParagraphs)
        steer.avoid.push_back(r);
      int sentences = std::uniform_int_distribution<int>(6, 9)(rng);
      paragraph = model.paragraph(steer, sentences, rng);
    }
    if (paragraph.empty())
      return Error{ErrorKind::BadAnswer, "the offline stand-in has no prose to learn from yet: write or adopt an "
                                         "opening first"};
    std::string summary = extractiveSummary(paragraph);
    auto update = updateMemory(p.shortTermMemory, summary, p.language);
    TaskPayload next = p;
    next.recentParagraphs.push_back(paragraph);
    answer = {{"paragraph", paragraph},
              {"rationale", update.rationale},
              {"shortTermMemory", update.memory},
              {"summary", summary},
              {"plans", makePlans(next, rng)}};
  } else if (p.task == "init") {
    if (!isEnglish(p.language))
      return Error{ErrorKind::Config, "the offline stand-in can start a story from a topic only in English; for a " +
                                          p.language + " story, write an opening and adopt it (--from FILE), or "
                                                       "configure a model"};
    std::string hero, ally;
    auto paragraphs = templateOpening(p.topic, p.premise, p.genre, rng, hero, ally);
    std::vector<std::string> summaries;
    for (const auto &para : paragraphs)
      summaries.push_back(extractiveSummary(para));
    TaskPayload next = p;
    next.recentParagraphs = paragraphs;
    std::string topic = p.topic.empty() ? std::string("a secret") : p.topic;
    answer = {{"title", titleFor(p.topic.empty() ? p.genre : p.topic)},
              {"outline", hero + " and " + ally + " are drawn into " + lowerAscii(topic) +
                              ", and what begins as a strange sign becomes the turn of their lives. Chapter 1: the "
                              "first sign, and the decision to look closer."},
              {"paragraphs", paragraphs},
              {"shortTermMemory", joinSentences(summaries)},
              {"plans", makePlans(next, rng)}};
  } else if (p.task == "adopt") {
    std::vector<std::string> synopsis;
    const auto &s = p.texts;
    if (!s.empty()) {
      std::set<std::size_t> chosen;
      for (std::size_t i = 0; i < std::min<std::size_t>(2, s.size()); ++i)
        chosen.insert(i);
      for (std::size_t k = 1; k <= 4 && s.size() > 6; ++k)
        chosen.insert(k * s.size() / 5);
      for (std::size_t i = s.size() > 2 ? s.size() - 2 : 0; i < s.size(); ++i)
        chosen.insert(i);
      for (auto i : chosen)
        synopsis.push_back(s[i]);
    }
    std::vector<std::string> recentSummaries;
    for (std::size_t i = s.size() > 6 ? s.size() - 6 : 0; i < s.size(); ++i)
      recentSummaries.push_back(s[i]);
    auto m = materialOf(p);
    std::string who = m.names.empty() ? std::string() : m.names[0];
    answer = {{"title", p.title.empty() ? (who.empty() ? std::string("Untitled") : who) : p.title},
              {"genre", p.genre.empty() ? std::string("fiction") : p.genre},
              {"synopsis", joinSentences(synopsis)},
              {"outline", isEnglish(p.language) ? "The story continues from where the manuscript stops" +
                                                      (who.empty() ? std::string(".") : ", with " + who + ".")
                                                : joinSentences(recentSummaries)},
              {"rationale", isEnglish(p.language) ? "The memory holds the summaries of the last paragraphs, where the "
                                                    "next one picks up."
                                                  : std::string("+ ") + std::to_string(recentSummaries.size())},
              {"shortTermMemory", joinSentences(recentSummaries)},
              {"plans", makePlans(p, rng)}};
  } else if (p.task == "plans") {
    answer = {{"plans", makePlans(p, rng)}};
  } else if (p.task == "select") {
    std::map<std::string, int> context;
    for (const auto &w : contentWords(p.shortTermMemory))
      ++context[w];
    for (const auto &r : p.recentParagraphs)
      for (const auto &w : contentWords(r))
        ++context[w];
    int best = 0;
    double bestScore = -1;
    std::uniform_real_distribution<double> tie(0, 0.5);
    std::vector<std::string> shared;
    for (std::size_t i = 0; i < p.candidatePlans.size(); ++i) {
      double score = tie(rng);
      std::vector<std::string> hits;
      for (const auto &w : contentWords(p.candidatePlans[i]))
        if (context.count(w)) {
          score += 1;
          hits.push_back(w);
        }
      if (score > bestScore) {
        bestScore = score;
        best = static_cast<int>(i);
        shared = hits;
      }
    }
    std::string reason = "It follows the threads the story already holds";
    if (!shared.empty()) {
      reason += " (";
      for (std::size_t i = 0; i < std::min<std::size_t>(3, shared.size()); ++i)
        reason += (i ? ", " : "") + shared[i];
      reason += ")";
    }
    answer = {{"choice", best + 1}, {"reason", reason + "."}};
  } else if (p.task == "summarize") {
    std::vector<std::string> summaries;
    for (const auto &t : p.texts) {
      auto s = extractiveSummary(t);
      summaries.push_back(s.empty() ? t.substr(0, 200) : s);
    }
    answer = {{"summaries", summaries}};
  } else {
    return Error{ErrorKind::InvalidArgument, "the offline stand-in does not know the task '" + p.task + "'"};
  }

  ChatResult result;
  result.text = answer.dump(-1, ' ', false, json::error_handler_t::replace);
  result.rawText = result.text;
  result.model = kModelName;
  result.usage.promptTokens = estimateTokens(request.messages);
  result.usage.completionTokens = estimateTokens(result.text);
  if (request.validate)
    if (auto problem = request.validate(result.text))
      return Error{ErrorKind::BadAnswer, "the offline stand-in could not answer the " + p.task + " task: " + *problem};
  if (callbacks.onDelta) {
    std::string_view text = result.text;
    for (std::size_t i = 0; i < text.size(); i += 64) {
      if (cancel.cancelled())
        return Error::cancelled();
      callbacks.onDelta(text.substr(i, 64));
    }
  }
  return result;
}

} // namespace recurrent::engine
