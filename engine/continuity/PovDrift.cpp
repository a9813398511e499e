#include "engine/continuity/PovDrift.h"

#include "engine/continuity/ChapterFrontMatter.h"
#include "engine/continuity/TextScan.h"
#include "engine/manuscript/LineRules.h"
#include "support/Utf8.h"

namespace recurrent::engine::continuity {
namespace {

bool opensDouble(char32_t c) {
  return c == 0x201C || c == 0x00AB || c == 0x201E || c == 0x300C || c == 0x300E;
}
bool closesDouble(char32_t c) {
  return c == 0x201D || c == 0x00BB || c == 0x300D || c == 0x300F;
}

bool isFirstPerson(std::string_view word) {
  if (word == "I" || word == "I'm" || word == "I\xE2\x80\x99m" || word == "I'd" || word == "I\xE2\x80\x99" "d" ||
      word == "I've" || word == "I\xE2\x80\x99ve" || word == "I'll" || word == "I\xE2\x80\x99ll")
    return true;
  auto f = folded(word);
  return f == "me" || f == "my" || f == "myself";
}

bool sentenceStartBefore(std::string_view text, std::size_t pos, std::size_t floor) {
  while (pos > floor) {
    auto cp = codePointBefore(text, pos, floor);
    if (!lines::isSpace(cp))
      return cp == '.' || cp == '!' || cp == '?' || isQuoteMark(cp) || cp == ':' || cp == 0x2014;
    --pos;
    while (pos > floor && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80)
      --pos;
  }
  return true;
}

/// Byte range of the first first-person word outside dialogue and emphasis in [begin, end), if any.
std::optional<std::pair<std::size_t, std::size_t>> firstPersonIn(std::string_view text, std::size_t begin,
                                                                 std::size_t end) {
  // A block quote (a letter, an epigraph) is someone else's voice.
  if (lines::trimLeft(text.substr(begin, end - begin)).starts_with(">"))
    return std::nullopt;
  bool inDouble = false, inSingle = false, inEmphasis = false;
  std::size_t prevWordBegin = std::string_view::npos, prevWordEnd = 0;
  std::size_t i = begin;
  while (i < end) {
    std::size_t len = 1;
    char32_t c = codePointAt(text, i, &len);
    char32_t before = codePointBefore(text, i, begin);
    if (c == '"') {
      inDouble = !inDouble;
    } else if (opensDouble(c)) {
      inDouble = true;
    } else if (closesDouble(c)) {
      inDouble = false;
    } else if (c == '*' || c == '_') {
      inEmphasis = !inEmphasis;
    } else if (c == 0x2018 || c == '\'' || c == 0x2019) {
      char32_t after = i + len < end ? codePointAt(text, i + len) : 0;
      bool letterBefore = isWordLetter(before), letterAfter = isWordLetter(after);
      if (!inSingle && !letterBefore && letterAfter && c != 0x2019)
        inSingle = true; // ‘ or ' opening a quote
      else if (inSingle && !letterAfter)
        inSingle = false;
    } else if (isWordLetter(c)) {
      auto wordEnd = wordEndAt(text, i, end);
      auto word = text.substr(i, wordEnd - i);
      if (!inDouble && !inSingle && !inEmphasis && isFirstPerson(word)) {
        bool numeral = word == "I" && prevWordBegin != std::string_view::npos && prevWordEnd + 1 == i &&
                       isCapitalised(text.substr(prevWordBegin, prevWordEnd - prevWordBegin)) &&
                       !sentenceStartBefore(text, prevWordBegin, begin);
        if (!numeral)
          return std::make_pair(i, wordEnd);
      }
      prevWordBegin = i;
      prevWordEnd = wordEnd;
      i = wordEnd;
      continue;
    }
    i += len;
  }
  return std::nullopt;
}

} // namespace

bool PovDrift::isThirdPerson(std::string_view pov) {
  auto v = folded(lines::trim(pov));
  if (v.empty())
    return false;
  for (std::string_view other : {"first", "1st", "second", "2nd"})
    if (v.find(other) != std::string::npos)
      return false;
  return true;
}

std::vector<Finding> PovDrift::check(const CheckContext &, const ChapterView &view) const {
  std::vector<Finding> out;
  auto pov = frontMatterField(view.text, "pov");
  if (!pov || !isThirdPerson(pov->value))
    return out;
  for (const auto &p : view.paragraphs) {
    auto hit = firstPersonIn(view.text, p.begin, p.end);
    if (!hit)
      continue;
    auto word = std::string(view.text.substr(hit->first, hit->second - hit->first));
    Finding f;
    f.code = "pov-drift";
    f.severity = FindingSeverity::Hint;
    f.chapter = view.chapter;
    f.begin = hit->first;
    f.end = hit->second;
    f.message = "first-person narration (\xE2\x80\x98" + word +
                "\xE2\x80\x99) outside dialogue, in a chapter told in the third person (pov: " + pov->value + ")";
    f.sources.push_back({FindingSource::Kind::Paragraph, view.file, pov->line, "pov: " + pov->value});
    // The paragraph's opening words, so that editing another paragraph keeps the fingerprint.
    auto opening = std::string(utf8::prefixBytes(view.text.substr(p.begin, p.end - p.begin), 80));
    f.fingerprint = fingerprintOf(f.code, pov->value, opening);
    out.push_back(std::move(f));
  }
  return out;
}

} // namespace recurrent::engine::continuity
