#include "engine/continuity/DeadCharacterActs.h"

#include "engine/continuity/TextScan.h"
#include "engine/manuscript/LineRules.h"

#include <algorithm>
#include <array>

namespace recurrent::engine::continuity {
namespace {

template <std::size_t N> bool oneOf(std::string_view word, const std::array<std::string_view, N> &list) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

constexpr std::array<std::string_view, 9> kDead = {"dead",     "deceased", "died",  "killed", "murdered",
                                                  "slain",    "executed", "drowned", "buried"};
constexpr std::array<std::string_view, 8> kAway = {"absent", "away",   "elsewhere", "gone",
                                                  "departed", "missing", "abroad",  "exiled"};
constexpr std::array<std::string_view, 32> kSpeech = {
    "said",     "says",     "asked",    "asks",     "replied",  "answered", "whispered", "shouted",
    "cried",    "called",   "exclaimed", "muttered", "murmured", "added",    "continued", "repeated",
    "insisted", "declared", "remarked", "observed", "inquired", "demanded", "screamed",  "yelled",
    "shrieked", "retorted", "snapped",  "growled",  "laughed",  "sighed",   "began",     "began"};
constexpr std::array<std::string_view, 40> kActs = {
    "walked",  "ran",     "entered", "came",    "went",     "stood",   "sat",     "rose",
    "smiled",  "nodded",  "grinned", "shrugged", "waved",   "turned",  "opened",  "took",
    "gave",    "jumped",  "danced",  "ate",     "drank",    "wrote",   "kissed",  "stepped",
    "knocked", "climbed", "hurried", "rushed",  "lifted",   "grabbed", "handed",  "winked",
    "frowned", "wept",    "galloped", "rode",   "embraced", "bowed",   "laughed", "shouted"};
/// A paragraph holding one of these words may be a memory, a dream or a ghost: the dead speak there.
constexpr std::array<std::string_view, 16> kRemembering = {
    "remember", "remembered", "remembering", "recalled", "recall",  "recalling", "dream",  "dreamed",
    "dreamt",   "dreaming",   "ghost",       "memory",   "memories", "imagined", "fancied", "vision"};

bool isSpaceCp(char32_t c) {
  return lines::isSpace(c);
}

/// The first code point before `pos` that is not white space (0 at the paragraph's start).
char32_t previousVisible(std::string_view text, std::size_t pos, std::size_t floor, std::size_t *at = nullptr) {
  while (pos > floor) {
    auto cp = codePointBefore(text, pos, floor);
    std::size_t k = pos - 1;
    while (k > floor && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80)
      --k;
    if (!isSpaceCp(cp)) {
      if (at)
        *at = k;
      return cp;
    }
    pos = k;
  }
  if (at)
    *at = floor;
  return 0;
}

/// The word ending right before `pos` (after white space), folded; empty when punctuation comes first.
std::string wordBefore(std::string_view text, std::size_t pos, std::size_t floor, std::size_t *begin = nullptr) {
  std::size_t at = pos;
  auto cp = previousVisible(text, pos, floor, &at);
  if (!isWordLetter(cp))
    return {};
  std::size_t end = at;
  std::size_t len = 1;
  codePointAt(text, at, &len);
  end = at + len;
  std::size_t start = at;
  while (start > floor && isWordLetter(codePointBefore(text, start, floor))) {
    --start;
    while (start > floor && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
      --start;
  }
  if (begin)
    *begin = start;
  return folded(text.substr(start, end - start));
}

bool subjectPosition(std::string_view text, std::size_t mention, std::size_t floor) {
  auto cp = previousVisible(text, mention, floor);
  if (cp == 0 || isQuoteMark(cp))
    return true;
  switch (cp) {
  case '.': case '!': case '?': case ';': case ':': case ',': case '(':
  case 0x2014: case 0x2013: case '-':
    return true;
  default:
    break;
  }
  auto w = wordBefore(text, mention, floor);
  return w == "and" || w == "then" || w == "but";
}

bool remembers(std::string_view text, std::size_t begin, std::size_t end) {
  bool found = false;
  forEachWord(text, begin, end, [&](std::size_t b, std::size_t e) {
    if (!found && oneOf(folded(text.substr(b, e - b)), kRemembering))
      found = true;
  });
  return found;
}

/// The verb that makes the mention [b, e) act, when the evidence is clear (see the header); empty else.
std::string actingVerb(std::string_view text, std::size_t b, std::size_t e, std::size_t floor, std::size_t to) {
  // "…,” said Ana": the verb before the name, a quotation mark before the verb.
  std::size_t verbBegin = 0;
  auto before = wordBefore(text, b, floor, &verbBegin);
  if (!before.empty() && oneOf(before, kSpeech) && isQuoteMark(previousVisible(text, verbBegin, floor)) &&
      !(e < to && (text[e] == '\'' || text.substr(e).starts_with("\xE2\x80\x99"))))
    return before;
  // "Ana said" / "Ana walked": white space, then the verb.
  if (e >= to || !isSpaceCp(codePointAt(text, e)))
    return {};
  std::size_t at = e;
  while (at < to) {
    std::size_t len = 1;
    if (!isSpaceCp(codePointAt(text, at, &len)))
      break;
    at += len;
  }
  auto verbEnd = wordEndAt(text, at, to);
  if (verbEnd == at)
    return {};
  auto verb = std::string(text.substr(at, verbEnd - at));
  if (verb != folded(verb)) // "Ana Said" is not a verb
    return {};
  bool speech = oneOf(std::string_view(verb), kSpeech);
  if (speech) {
    bool quoteBefore = isQuoteMark(previousVisible(text, b, floor));
    std::size_t k = verbEnd;
    while (k < to && (text[k] == ',' || text[k] == ':' || text[k] == ' '))
      ++k;
    bool quoteAfter = k < to && isQuoteMark(codePointAt(text, k));
    if (quoteBefore || quoteAfter)
      return verb;
  }
  if ((speech || oneOf(std::string_view(verb), kActs)) && subjectPosition(text, b, floor))
    return verb;
  return {};
}

std::string lowerFirstWord(std::string_view value) {
  auto v = lines::trim(value);
  auto end = wordEndAt(v, 0, v.size());
  return folded(v.substr(0, end));
}

} // namespace

DeadCharacterActs::Status DeadCharacterActs::classify(std::string_view value) {
  auto first = lowerFirstWord(value);
  if (oneOf(std::string_view(first), kDead))
    return Status::Dead;
  if (oneOf(std::string_view(first), kAway))
    return Status::Away;
  return Status::Present;
}

std::vector<Finding> DeadCharacterActs::check(const CheckContext &context, const ChapterView &view) const {
  std::vector<Finding> out;
  const auto &bible = context.bible;
  // Entries that could be gone somewhere: a status detail, or any fact at all (cheap to ask).
  auto mayBeGone = [&](std::size_t e) {
    if (context.facts.countFor(e))
      return true;
    for (const auto &d : bible.entries[e].details)
      if (folded(d.key) == "status")
        return true;
    return false;
  };
  std::vector<signed char> gone(bible.entries.size(), -1);
  for (const auto &p : view.paragraphs) {
    auto mentions = mentionsIn(context.mentions, view.chapter, p.begin, p.end);
    bool checkedMemory = false, memory = false;
    for (const auto &m : mentions) {
      if (m.excluded || m.entry >= bible.entries.size())
        continue;
      if (gone[m.entry] < 0)
        gone[m.entry] = mayBeGone(m.entry) ? 1 : 0;
      if (!gone[m.entry])
        continue;
      auto verb = actingVerb(view.text, m.begin, m.end, p.begin, p.end);
      if (verb.empty())
        continue;
      if (!checkedMemory) {
        memory = remembers(view.text, p.begin, p.end);
        checkedMemory = true;
      }
      if (memory)
        break;
      auto state = context.facts.at(bible, m.entry, view.chapter, m.begin);
      const BibleDetail *status = nullptr;
      for (const auto &d : state.details)
        if (folded(d.key) == "status")
          status = &d;
      if (!status)
        continue;
      auto kind = classify(status->value);
      if (kind == Status::Present)
        continue;
      const auto &entry = bible.entries[m.entry];
      // The source: the last fact that set the status, else the bible's own detail line.
      FindingSource source{FindingSource::Kind::BibleEntry, entry.file, status->line,
                           status->key + ": " + status->value};
      std::string where = "the bible";
      for (auto it = state.replaced.rbegin(); it != state.replaced.rend(); ++it)
        if (folded(it->detail) == "status") {
          auto file = it->chapter < context.chapterFiles.size() ? context.chapterFiles[it->chapter]
                                                                : view.file;
          source = {FindingSource::Kind::Fact, file, it->line,
                    "fact: " + entry.name + "." + it->detail + ": " + it->text};
          where = "the fact in " + file.filename().string() + " line " + std::to_string(it->line + 1);
          break;
        }
      auto name = std::string(view.text.substr(m.begin, m.end - m.begin));
      bool speaks = oneOf(std::string_view(verb), kSpeech);
      Finding f;
      f.code = "dead-character-acts";
      f.severity = FindingSeverity::Warning;
      f.chapter = view.chapter;
      f.begin = m.begin;
      f.end = m.end;
      f.message = "\xE2\x80\x98" + name + "\xE2\x80\x99 " + (speaks ? "speaks" : "acts") + " here (\xE2\x80\x98" +
                  verb + "\xE2\x80\x99), but " + (kind == Status::Dead ? "is dead" : "is away") +
                  " by this point: \xE2\x80\x98status: " + status->value + "\xE2\x80\x99 (" + where + ")";
      f.sources.push_back(std::move(source));
      f.entry = entry.name;
      f.fingerprint = fingerprintOf(f.code, f.entry, name + " " + verb);
      out.push_back(std::move(f));
    }
  }
  return out;
}

} // namespace recurrent::engine::continuity
