#include "engine/story/StoryState.h"

#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <regex>

namespace recurrent::engine {
namespace fs = std::filesystem;
using nlohmann::json;

const char *storyModeName(StoryMode mode) { return mode == StoryMode::InteractiveFiction ? "interactive" : "novel"; }

std::optional<StoryMode> parseStoryMode(std::string_view text) {
  if (text == "novel")
    return StoryMode::Novel;
  if (text == "interactive" || text == "if" || text == "interactive-fiction")
    return StoryMode::InteractiveFiction;
  return std::nullopt;
}

std::uint64_t hashManuscriptText(std::string_view text) {
  // FNV-1a over 8-byte words (then the tail bytes): the whole book is hashed at every
  // step, so this runs at memory speed rather than a byte at a time.
  std::uint64_t h = 1469598103934665603ull ^ text.size();
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    h = (h ^ word) * 1099511628211ull;
    h ^= h >> 29;
  }
  for (; i < text.size(); ++i)
    h = (h ^ static_cast<unsigned char>(text[i])) * 1099511628211ull;
  return h;
}

// --- story.json ----------------------------------------------------------------------

namespace {

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<std::uint64_t> unhex(const std::string &s) {
  if (s.empty() || s.size() > 16 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::nullopt;
  return std::stoull(s, nullptr, 16);
}

json markToJson(const ManuscriptMark &m) {
  return {{"bytes", m.bytes}, {"hash", hex(m.hash)}, {"paragraphs", m.paragraphs}};
}

/// Reads fields one by one, so one bad field costs only that field.
class Reader {
public:
  Reader(const json &object, std::string prefix, std::vector<std::string> &notes)
      : o_(object), prefix_(std::move(prefix)), notes_(notes) {}

  template <typename T> void get(const char *key, T &out) {
    auto it = o_.find(key);
    if (it == o_.end() || it->is_null())
      return;
    try {
      out = it->get<T>();
    } catch (const std::exception &) {
      bad(key);
    }
  }
  void getStrings(const char *key, std::vector<std::string> &out) {
    auto it = o_.find(key);
    if (it == o_.end() || it->is_null())
      return;
    if (!it->is_array())
      return bad(key);
    out.clear();
    for (const auto &v : *it)
      if (v.is_string())
        out.push_back(v.get<std::string>());
  }
  void getMark(const char *key, ManuscriptMark &out) {
    auto it = o_.find(key);
    if (it == o_.end() || !it->is_object())
      return;
    Reader r(*it, prefix_ + key + ".", notes_);
    r.get("bytes", out.bytes);
    r.get("paragraphs", out.paragraphs);
    std::string h;
    r.get("hash", h);
    if (auto v = unhex(h))
      out.hash = *v;
    else if (!h.empty())
      r.bad("hash");
  }
  void bad(const char *key) { notes_.push_back("story.json: field '" + prefix_ + key + "' was unreadable and was reset"); }
  const json *child(const char *key) const {
    auto it = o_.find(key);
    return it != o_.end() && it->is_object() ? &*it : nullptr;
  }

private:
  const json &o_;
  std::string prefix_;
  std::vector<std::string> &notes_;
};

} // namespace

ParsedStoryJson parseStoryJson(std::string_view bytes) {
  ParsedStoryJson out;
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (!j.is_object())
    return out;
  out.readable = true;
  auto &s = out.state;
  Reader r(j, "", out.notes);
  r.get("title", s.title);
  r.get("genre", s.genre);
  r.get("topic", s.topic);
  r.get("premise", s.premise);
  r.get("language", s.language);
  r.get("outline", s.outline);
  r.get("synopsis", s.synopsis);
  std::string mode;
  r.get("mode", mode);
  if (!mode.empty()) {
    if (auto m = parseStoryMode(mode))
      s.mode = *m;
    else
      out.notes.push_back("story.json: unknown mode '" + mode + "', using novel");
  }
  r.get("shortTermMemory", s.shortTermMemory);
  r.get("rationale", s.rationale);
  r.getStrings("plans", s.plans);
  r.get("lastPlan", s.lastPlan);
  r.get("step", s.step);
  if (s.step < 0) {
    out.notes.push_back("story.json: negative step reset to 0");
    s.step = 0;
  }
  std::string seed;
  r.get("seed", seed);
  if (auto v = unhex(seed))
    s.seed = *v;
  r.get("model", s.model);
  r.get("offline", s.offline);
  r.getMark("manuscript", s.manuscript);
  if (const json *st = r.child("stats")) {
    Reader sr(*st, "stats.", out.notes);
    sr.get("llmCalls", s.stats.llmCalls);
    sr.get("promptTokens", s.stats.promptTokens);
    sr.get("completionTokens", s.stats.completionTokens);
    sr.get("retries", s.stats.retries);
    sr.get("llmSeconds", s.stats.llmSeconds);
  }
  if (const json *jj = r.child("journal")) {
    StepJournal journal;
    Reader jr(*jj, "journal.", out.notes);
    jr.get("step", journal.step);
    jr.get("plan", journal.plan);
    jr.get("paragraph", journal.paragraph);
    jr.get("summary", journal.summary);
    jr.get("shortTermMemory", journal.shortTermMemory);
    jr.get("rationale", journal.rationale);
    jr.getStrings("plans", journal.plans);
    jr.getMark("before", journal.before);
    jr.getMark("after", journal.after);
    if (!journal.paragraph.empty() && journal.step > 0)
      s.journal = std::move(journal);
    else
      out.notes.push_back("story.json: an incomplete step journal was ignored");
  }
  return out;
}

std::string renderStoryJson(const StoryState &s) {
  json j = {
      {"format", 1},
      {"title", s.title},
      {"genre", s.genre},
      {"topic", s.topic},
      {"premise", s.premise},
      {"language", s.language},
      {"mode", storyModeName(s.mode)},
      {"outline", s.outline},
      {"synopsis", s.synopsis},
      {"step", s.step},
      {"seed", hex(s.seed)},
      {"model", s.model},
      {"offline", s.offline},
      {"lastPlan", s.lastPlan},
      // Copies of the Markdown files' contents: used only when those files are missing.
      {"shortTermMemory", s.shortTermMemory},
      {"rationale", s.rationale},
      {"plans", s.plans},
      {"manuscript", markToJson(s.manuscript)},
      {"stats",
       {{"llmCalls", s.stats.llmCalls},
        {"promptTokens", s.stats.promptTokens},
        {"completionTokens", s.stats.completionTokens},
        {"retries", s.stats.retries},
        {"llmSeconds", s.stats.llmSeconds}}},
  };
  if (s.journal) {
    const auto &jr = *s.journal;
    j["journal"] = {{"step", jr.step},           {"plan", jr.plan},
                    {"paragraph", jr.paragraph}, {"summary", jr.summary},
                    {"shortTermMemory", jr.shortTermMemory}, {"rationale", jr.rationale},
                    {"plans", jr.plans},         {"before", markToJson(jr.before)},
                    {"after", markToJson(jr.after)}};
  }
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// --- Markdown ----------------------------------------------------------------------------

namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

/// Removes HTML comments (an unclosed one runs to the end).
std::string stripComments(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto open = s.find("<!--", i);
    if (open == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, open - i));
    auto close = s.find("-->", open + 4);
    if (close == std::string_view::npos)
      break;
    i = close + 3;
  }
  return out;
}

std::vector<std::string> lines(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto nl = s.find('\n', i);
    std::string_view line = s.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    out.emplace_back(line);
    if (nl == std::string_view::npos)
      break;
    i = nl + 1;
  }
  return out;
}

bool isHeading(const std::string &line) { return !line.empty() && line[0] == '#'; }
bool isNote(const std::string &line) {
  auto t = trim(line);
  return !t.empty() && t[0] == '>';
}

std::string lower(std::string s) {
  for (auto &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Joins lines into text, keeping paragraph breaks (one blank line) and dropping extra blanks.
std::string joinLines(const std::vector<std::string> &ls) {
  std::string out;
  bool pendingBlank = false;
  for (const auto &l : ls) {
    auto t = trim(l);
    if (t.empty()) {
      pendingBlank = !out.empty();
      continue;
    }
    if (!out.empty())
      out += pendingBlank ? "\n\n" : "\n";
    pendingBlank = false;
    out += t;
  }
  return out;
}

} // namespace

ShortTermMemoryDoc parseShortTermMemoryMarkdown(std::string_view bytes) {
  ShortTermMemoryDoc doc;
  std::vector<std::string> memory, rationale;
  bool inRationale = false;
  for (const auto &line : lines(stripComments(bytes))) {
    if (isHeading(line)) {
      auto text = line.find_first_not_of('#');
      auto h = text == std::string::npos ? std::string() : lower(trim(line.substr(text)));
      if (h.rfind("why", 0) == 0 || h.rfind("rationale", 0) == 0 || h.rfind("reason", 0) == 0)
        inRationale = true;
      continue; // other headings (the title) are not content
    }
    if (isNote(line))
      continue;
    (inRationale ? rationale : memory).push_back(line);
  }
  doc.memory = joinLines(memory);
  doc.rationale = joinLines(rationale);
  return doc;
}

std::string renderShortTermMemoryMarkdown(const std::string &memory, const std::string &rationale,
                                          const std::string &note) {
  std::string out = "# Short-term memory\n\n"
                    "<!-- The story so far, as the next step will read it. Edit it freely: the next step uses "
                    "your version. The section below records why the last step rewrote it. -->\n\n";
  if (!note.empty())
    out += "> " + note + "\n\n";
  out += trim(memory) + "\n\n## Why it changed\n\n" + (rationale.empty() ? std::string("(none)") : trim(rationale)) +
         "\n";
  return out;
}

std::vector<std::string> parsePlansMarkdown(std::string_view bytes) {
  static const std::regex numbered(R"(^\s*\d{1,3}[.)]\s+(.*)$)");
  static const std::regex bullet(R"(^\s*[-*+]\s+(.*)$)");
  std::vector<std::string> items, paragraphs;
  std::string current, para;
  bool sawMarker = false;
  auto flushItem = [&] {
    if (auto t = trim(current); !t.empty())
      items.push_back(t);
    current.clear();
  };
  auto flushPara = [&] {
    if (auto t = trim(para); !t.empty())
      paragraphs.push_back(t);
    para.clear();
  };
  for (const auto &line : lines(stripComments(bytes))) {
    if (isHeading(line) || isNote(line)) {
      flushItem();
      flushPara();
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, numbered) || std::regex_match(line, m, bullet)) {
      sawMarker = true;
      flushItem();
      current = m[1].str();
      flushPara();
      continue;
    }
    auto t = trim(line);
    if (t.empty()) {
      flushPara();
      // a blank line inside an item keeps the item open: continuation may follow
      continue;
    }
    if (!current.empty() || sawMarker) {
      if (!current.empty())
        current += " " + t;
    }
    para += (para.empty() ? "" : " ") + t;
  }
  flushItem();
  flushPara();
  if (sawMarker)
    return items;
  return paragraphs;
}

std::string renderPlansMarkdown(const std::vector<std::string> &plans, StoryMode mode, const std::string &note) {
  std::string out = mode == StoryMode::InteractiveFiction ? "# Your choices for the next passage\n\n"
                                                          : "# Plans for the next paragraph\n\n";
  out += "<!-- Edit, reorder, replace or add plans: the next step reads this file as it is. "
         "`recurrent write` follows the plan its selector picks; the editor offers each as an action. -->\n\n";
  if (!note.empty())
    out += "> " + note + "\n\n";
  int n = 1;
  for (const auto &p : plans) {
    std::string flat;
    for (char c : trim(p))
      flat += (c == '\n' || c == '\r') ? ' ' : c;
    out += std::to_string(n++) + ". " + flat + "\n";
  }
  return out;
}

// --- Files -----------------------------------------------------------------------------------

namespace {

bool fileExists(const fs::path &p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

Result<std::optional<std::string>> readIfPresent(const fs::path &p) {
  if (!fileExists(p))
    return std::optional<std::string>{};
  auto r = readFile(p);
  if (!r)
    return r.error();
  return std::optional<std::string>(std::move(*r));
}

std::string offlineNote(const StoryState &s) {
  return s.offline ? "Written by the offline stand-in (no model configured): a statistical sketch, not a model's work."
                   : std::string();
}

fs::path snapshotDir(const StatePaths &paths, long step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%06ld", step);
  return paths.history() / name;
}

std::vector<std::pair<long, fs::path>> listSnapshots(const StatePaths &paths) {
  std::vector<std::pair<long, fs::path>> out;
  std::error_code ec;
  for (fs::directory_iterator it(paths.history(), ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind("step-", 0) != 0 || !it->is_directory())
      continue;
    try {
      out.emplace_back(std::stol(name.substr(5)), it->path());
    } catch (const std::exception &) {
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// `storyJsonRead` (optional) is set to whether a story.json was found and was JSON.
Result<LoadedState> loadFrom(const fs::path &storyJson, const fs::path &memoryMd, const fs::path &plansMd,
                             bool setAside, bool *storyJsonRead = nullptr) {
  LoadedState out;
  if (storyJsonRead)
    *storyJsonRead = false;
  auto js = readIfPresent(storyJson);
  if (!js)
    return js.error();
  if (js->has_value()) {
    out.existed = true;
    auto parsed = parseStoryJson(**js);
    if (parsed.readable) {
      if (storyJsonRead)
        *storyJsonRead = true;
      out.state = std::move(parsed.state);
      out.notes = std::move(parsed.notes);
    } else if (setAside) {
      auto aside = storyJson;
      aside += ".unreadable-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::system_clock::now().time_since_epoch())
                                                   .count());
      std::error_code ec;
      fs::rename(storyJson, aside, ec);
      out.notes.push_back("story.json is not valid JSON; it was set aside as " + aside.filename().string() +
                          " and the state is rebuilt from the Markdown files and the manuscript");
    } else {
      out.notes.push_back("story.json in the snapshot is not valid JSON");
    }
  }
  auto mem = readIfPresent(memoryMd);
  if (!mem)
    return mem.error();
  if (mem->has_value()) {
    out.existed = true;
    auto doc = parseShortTermMemoryMarkdown(**mem);
    out.state.shortTermMemory = doc.memory;
    out.state.rationale = doc.rationale == "(none)" ? std::string() : doc.rationale;
  }
  auto plans = readIfPresent(plansMd);
  if (!plans)
    return plans.error();
  if (plans->has_value()) {
    out.existed = true;
    out.state.plans = parsePlansMarkdown(**plans);
  }
  return out;
}

/// The bytes of the three state files, as save() writes them.
struct RenderedFiles {
  std::string shortTermMemory, plans, story;
};

RenderedFiles renderFiles(const StoryState &state) {
  auto note = offlineNote(state);
  return {renderShortTermMemoryMarkdown(state.shortTermMemory, state.rationale, note),
          renderPlansMarkdown(state.plans, state.mode, note), renderStoryJson(state)};
}

Status saveTo(const StoryState &state, const fs::path &storyJson, const fs::path &memoryMd, const fs::path &plansMd) {
  auto files = renderFiles(state);
  if (auto s = writeFileAtomically(memoryMd, files.shortTermMemory); !s)
    return s;
  if (auto s = writeFileAtomically(plansMd, files.plans); !s)
    return s;
  return writeFileAtomically(storyJson, files.story); // last: the commit point
}

/// Puts `bytes` at `kept` (a snapshot's file). When the live file already holds exactly
/// these bytes, `kept` becomes a second name of it: no write and no flush, since its
/// contents were flushed when save() wrote it. Otherwise (missing, edited, or a
/// filesystem without hard links) the bytes are written atomically.
Status keepInSnapshot(const fs::path &live, const fs::path &kept, const std::string &bytes) {
  if (hardLinkAtomically(live, kept)) {
    // Checked after linking, on the file the snapshot now names, so an editor that
    // replaced the live file in between cannot slip its version in. Two links exactly:
    // the live name and ours; a third name elsewhere could be edited in place at any time.
    std::error_code ec;
    auto links = fs::hard_link_count(kept, ec);
    auto linked = readFile(kept);
    if (!ec && links == 2 && linked && *linked == bytes)
      return okStatus();
  }
  return writeFileAtomically(kept, bytes);
}

} // namespace

Result<LoadedState> StateStore::load() const {
  return loadFrom(paths_.story(), paths_.shortTermMemory(), paths_.plans(), /*setAside=*/true);
}

Status StateStore::save(const StoryState &state) const {
  if (auto s = ensurePrivateDirectory(paths_.dir); !s)
    return s;
  return saveTo(state, paths_.story(), paths_.shortTermMemory(), paths_.plans());
}

Status StateStore::saveStoryJson(const StoryState &state) const {
  return writeFileAtomically(paths_.story(), renderStoryJson(state));
}

Status StateStore::snapshot(const StoryState &state) const {
  auto dir = snapshotDir(paths_, state.step + 1);
  StoryState copy = state;
  copy.journal.reset(); // so a live story.json that carries a journal never matches: it is rewritten without
  auto files = renderFiles(copy);
  // Usually the session has just reloaded the live files, so they hold exactly this state
  // and are linked rather than written again. The next save renames new files over the
  // live names, leaving the snapshot the old ones alone. Until then (the few milliseconds
  // to that save, or to the next save if that one fails) the live file and the snapshot
  // share one file, and an editor that writes in place (vim does when a file has two
  // links) changes both. That is harmless: the snapshot then holds the writer's newer
  // text, a state the writer made, which the save was about to replace in the live file
  // anyway; undo returns it rather than losing it.
  if (auto s = keepInSnapshot(paths_.shortTermMemory(), dir / "short-term-memory.md", files.shortTermMemory); !s)
    return s;
  if (auto s = keepInSnapshot(paths_.plans(), dir / "plans.md", files.plans); !s)
    return s;
  // story.json last: restoreSnapshot() skips a snapshot without one (cut short by a crash).
  if (auto s = keepInSnapshot(paths_.story(), dir / "story.json", files.story); !s)
    return s;
  auto all = listSnapshots(paths_);
  std::error_code ec;
  for (std::size_t i = 0; i + kMaxSnapshots < all.size(); ++i)
    fs::remove_all(all[i].second, ec);
  return okStatus();
}

Result<std::optional<StoryState>> StateStore::restoreSnapshot() const {
  auto all = listSnapshots(paths_);
  while (!all.empty()) {
    auto dir = all.back().second;
    all.pop_back();
    bool storyJsonRead = false;
    auto loaded = loadFrom(dir / "story.json", dir / "short-term-memory.md", dir / "plans.md", false, &storyJsonRead);
    std::error_code ec;
    // Without its story.json (the last file a snapshot gets) a snapshot is not a state:
    // empty, cut short by a crash or a power cut. Skip to the previous one.
    if (!loaded || !storyJsonRead) {
      fs::remove_all(dir, ec);
      continue;
    }
    // The step journal belongs to the step being undone: restored, it would redo that step on resume.
    loaded->state.journal.reset();
    if (auto s = save(loaded->state); !s)
      return s.error();
    fs::remove_all(dir, ec);
    return std::optional<StoryState>(std::move(loaded->state));
  }
  return std::optional<StoryState>{};
}

} // namespace recurrent::engine
