#include "engine/bible/MentionIndex.h"

#include "engine/book/BookSnapshot.h"
#include "engine/manuscript/LineRules.h"
#include "support/Utf8.h"

#include <algorithm>
#include <array>
#include <regex>

namespace recurrent::engine {
namespace {

/// Simple case folding for the scripts writers' names mostly use (see the header).
inline char32_t fold(char32_t c) {
  return utf8::foldCase(c);
}

/// The longest text one regex key is run over (see scanRange).
constexpr std::size_t kMaxRegexSpan = 4096;

bool isUpper(char32_t c) {
  return fold(c) != c;
}
bool isApostrophe(char32_t c) {
  return c == '\'' || c == 0x2019;
}

/// Letters and digits that make a word continue (CJK never does: it is matched without boundaries).
bool isWordChar(char32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  if (c >= 0x300 && c <= 0x36F) // combining marks
    return true;
  return utf8::isLetter(c) && !utf8::isCjk(c);
}

/// utf8::next with the ASCII case inline: the scan decodes every byte of the book.
inline char32_t nextCp(std::string_view text, std::size_t &i) {
  auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  return utf8::next(text, i);
}

char32_t decodeAt(std::string_view text, std::size_t i) {
  return nextCp(text, i);
}

/// The code point that ends right before `pos` (0 at `floor`).
char32_t previousCp(std::string_view text, std::size_t pos, std::size_t floor) {
  if (pos <= floor)
    return 0;
  auto k = pos - 1;
  while (k > floor && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80)
    --k;
  return decodeAt(text, k);
}

bool boundaryAt(std::string_view text, std::size_t pos, std::size_t limit) {
  return pos >= limit || !isWordChar(decodeAt(text.substr(0, limit), pos));
}

bool isBlankLine(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r')
      return false;
  return true;
}

struct Term {
  std::string text;
  std::size_t entry = 0;
  Mention::Via via = Mention::Via::Name;
  BibleCase rule = BibleCase::Auto;
  bool exclusion = false;
  bool cjkStart = false, cjkEnd = false, letterEnd = false;
};

struct KeyRegex {
  std::regex re;
  std::size_t entry = 0;
};

struct Match {
  std::size_t end = 0;
  bool folded = false;
};

/// Matches `term` at `pos` (the text already limited to the paragraph).
std::optional<Match> matchAt(std::string_view text, std::size_t pos, const Term &term) {
  std::size_t i = pos, j = 0;
  bool folded = false, first = true;
  const std::string_view t = term.text;
  while (j < t.size()) {
    char32_t tc = nextCp(t, j);
    if (lines::isSpace(tc)) {
      for (std::size_t k = j; k < t.size() && lines::isSpace(utf8::next(t, k));)
        j = k;
      if (i >= text.size())
        return std::nullopt;
      std::size_t k = i;
      if (!lines::isSpace(utf8::next(text, k)))
        return std::nullopt;
      i = k;
      for (std::size_t k2 = i; i < text.size() && lines::isSpace(utf8::next(text, k2));)
        i = k2;
      first = false;
      continue;
    }
    if (i >= text.size())
      return std::nullopt;
    char32_t c = nextCp(text, i);
    if (c != tc && !(isApostrophe(c) && isApostrophe(tc))) {
      if (fold(c) != fold(tc) || term.rule == BibleCase::Sensitive)
        return std::nullopt;
      if (term.rule == BibleCase::Auto && first && isUpper(tc))
        return std::nullopt;
      folded = true;
    }
    first = false;
  }
  return Match{i, folded};
}

/// The length of a plural ending ("s", "es") at `pos` followed by a boundary, or 0.
std::size_t pluralAt(std::string_view text, std::size_t pos, const Term &term) {
  if (term.rule == BibleCase::Sensitive) {
    for (std::string_view s : {"es", "s"})
      if (text.substr(pos, s.size()) == s && boundaryAt(text, pos + s.size(), text.size()))
        return s.size();
    return 0;
  }
  for (std::string_view s : {"es", "s"}) {
    auto got = text.substr(pos, s.size());
    if (got.size() == s.size() &&
        std::equal(got.begin(), got.end(), s.begin(), [](char a, char b) { return (a | 0x20) == b; }) &&
        boundaryAt(text, pos + s.size(), text.size()))
      return s.size();
  }
  return 0;
}

} // namespace

struct MentionIndex::Compiled {
  std::vector<Term> terms;
  // Terms by their first code point, folded, longest first: a table for ASCII (most word starts), a map else.
  std::array<std::vector<std::size_t>, 128> byAscii;
  std::unordered_map<char32_t, std::vector<std::size_t>> byOther;
  const std::vector<std::size_t> *startingWith(char32_t foldedCp) const {
    if (foldedCp < 128)
      return byAscii[foldedCp].empty() ? nullptr : &byAscii[foldedCp];
    auto it = byOther.find(foldedCp);
    return it == byOther.end() ? nullptr : &it->second;
  }
  std::vector<KeyRegex> regexes;
};

MentionIndex::MentionIndex(const Bible &bible) : compiled_(std::make_unique<Compiled>()) {
  entryCount_ = bible.entries.size();
  auto add = [&](std::string text, std::size_t entry, Mention::Via via, BibleCase rule, bool exclusion) {
    auto trimmed = std::string(lines::trim(text));
    if (trimmed.empty())
      return;
    Term t{trimmed, entry, via, rule, exclusion};
    std::size_t i = 0;
    char32_t first = utf8::next(t.text, i), last = first;
    while (i < t.text.size())
      last = utf8::next(t.text, i);
    t.cjkStart = utf8::isCjk(first);
    t.cjkEnd = utf8::isCjk(last);
    t.letterEnd = isWordChar(last) && !t.cjkEnd;
    auto key = fold(first);
    (key < 128 ? compiled_->byAscii[key] : compiled_->byOther[key]).push_back(compiled_->terms.size());
    compiled_->terms.push_back(std::move(t));
  };
  for (std::size_t e = 0; e < bible.entries.size(); ++e) {
    const auto &entry = bible.entries[e];
    if (!entry.nameShadowed)
      add(entry.name, e, Mention::Via::Name, entry.caseRule, false);
    for (const auto &a : entry.aliases)
      add(a, e, Mention::Via::Alias, entry.caseRule, false);
    for (const auto &k : entry.keys) {
      auto close = k.rfind('/');
      if (k.size() >= 2 && k.front() == '/' && close > 0) {
        auto flags = std::regex::ECMAScript;
        if (k.find('i', close) != std::string::npos)
          flags |= std::regex::icase;
        try {
          compiled_->regexes.push_back({std::regex(k.substr(1, close - 1), flags), e});
        } catch (const std::regex_error &) {
          // Reported by the bible's diagnostics; the entry's other names still match.
        }
      } else {
        add(k, e, Mention::Via::Key, entry.caseRule, false);
      }
    }
    for (const auto &x : entry.exclude)
      add(x, e, Mention::Via::Name, BibleCase::Insensitive, true);
  }
  auto longestFirst = [&](std::vector<std::size_t> &list) {
    std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
      return compiled_->terms[a].text.size() > compiled_->terms[b].text.size();
    });
  };
  for (auto &list : compiled_->byAscii)
    longestFirst(list);
  for (auto &[cp, list] : compiled_->byOther)
    longestFirst(list);
}

MentionIndex::~MentionIndex() = default;
MentionIndex::MentionIndex(MentionIndex &&) noexcept = default;
MentionIndex &MentionIndex::operator=(MentionIndex &&) noexcept = default;

/// The names (and, when `exclusions` is given, the exclusion phrases) in [from, to) of `text`, which ends at
/// the paragraph's end: the longest term at each word start (or CJK character), left to right.
void MentionIndex::scanNames(std::string_view text, std::size_t from, std::size_t to, std::size_t chapter,
                             std::vector<Mention> &out, std::vector<ExclusionHit> *exclusions) const {
  const auto &c = *compiled_;
  const auto para = text.substr(0, to);
  char32_t prev = 0;
  std::size_t i = from;
  while (i < to) {
    std::size_t next = i;
    char32_t cp = nextCp(para, next);
    bool boundary = !isWordChar(prev);
    bool matched = false;
    if (boundary || utf8::isCjk(cp)) {
      if (const auto *candidates = c.startingWith(fold(cp))) {
        for (auto ti : *candidates) {
          const auto &term = c.terms[ti];
          if ((!boundary && !term.cjkStart) || (term.exclusion && !exclusions))
            continue;
          auto m = matchAt(para, i, term);
          if (!m)
            continue;
          std::size_t wordEnd = m->end;
          if (!term.cjkEnd && !boundaryAt(para, m->end, to)) {
            auto plural = (term.letterEnd && !term.exclusion) ? pluralAt(para, m->end, term) : 0;
            if (!plural)
              continue;
            wordEnd += plural;
          }
          if (term.exclusion) {
            // The names inside the phrase are found as in a paragraph of its own, then marked.
            exclusions->push_back({term.entry, i, m->end});
            scanNames(text, i, m->end, chapter, out, nullptr);
          } else {
            out.push_back({term.entry, chapter, i, m->end, term.via, m->folded, false});
          }
          i = wordEnd;
          prev = previousCp(para, wordEnd, from);
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      prev = cp;
      i = next;
    }
  }
}

/// Scans one paragraph [from, to) of `text` (no blank line inside).
void MentionIndex::scanRange(std::string_view text, std::size_t from, std::size_t to, std::size_t chapter,
                             std::vector<Mention> &out) const {
  const auto &c = *compiled_;
  const auto para = text.substr(0, to);
  auto firstNew = out.size();
  std::vector<ExclusionHit> exclusions;
  scanNames(text, from, to, chapter, out, &exclusions);
  for (const auto &x : exclusions)
    for (auto k = firstNew; k < out.size(); ++k)
      if (out[k].entry == x.entry && out[k].begin >= x.begin && out[k].end <= x.end)
        out[k].excluded = true;
  // Regex keys: added where no other mention already covers the text (mentions never overlap). libstdc++'s
  // std::regex recurses once per character matched, so `/Ana.*/` over a 50 KB line overflows the stack: keys
  // run over each line, and a long line in pieces of at most kMaxRegexSpan bytes cut after a space.
  for (std::size_t line = from; line < to;) {
    auto nl = para.find('\n', line);
    auto lineEnd = nl == std::string_view::npos ? to : nl;
    for (std::size_t piece = line; piece < lineEnd;) {
      auto pieceEnd = std::min(lineEnd, piece + kMaxRegexSpan);
      if (pieceEnd < lineEnd)
        if (auto space = para.rfind(' ', pieceEnd - 1); space != std::string_view::npos && space > piece)
          pieceEnd = space + 1;
      for (const auto &key : c.regexes) {
        const char *first = para.data() + piece, *last = para.data() + pieceEnd;
        for (std::cregex_iterator it(first, last, key.re), stop; it != stop; ++it) {
          auto b = piece + static_cast<std::size_t>(it->position(0));
          auto e = b + static_cast<std::size_t>(it->length(0));
          if (e == b)
            continue;
          bool covered = false;
          for (auto k = firstNew; k < out.size() && !covered; ++k)
            covered = out[k].begin < e && b < out[k].end;
          if (!covered)
            out.push_back({key.entry, chapter, b, e, Mention::Via::Key, false, false});
        }
      }
      piece = pieceEnd;
    }
    line = lineEnd + 1;
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(firstNew), out.end(),
            [](const Mention &a, const Mention &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.entry < b.entry;
            });
}

namespace {

/// Calls `f(begin, end)` for each paragraph (run of non-blank lines, without its last '\n') in [from, to).
template <typename F> void forEachParagraph(std::string_view text, std::size_t from, std::size_t to, F &&f) {
  std::size_t line = from;
  std::optional<std::size_t> start;
  std::size_t lastEnd = from;
  while (line < to) {
    auto nl = text.find('\n', line);
    auto end = (nl == std::string_view::npos || nl > to) ? to : nl;
    if (isBlankLine(text.substr(line, end - line))) {
      if (start)
        f(*start, lastEnd);
      start.reset();
    } else {
      if (!start)
        start = line;
      lastEnd = end;
    }
    line = end + 1;
  }
  if (start)
    f(*start, lastEnd);
}

} // namespace

std::vector<Mention> MentionIndex::scan(std::string_view text, std::size_t chapter) const {
  std::vector<Mention> out;
  forEachParagraph(text, 0, text.size(),
                   [&](std::size_t b, std::size_t e) { scanRange(text, b, e, chapter, out); });
  return out;
}

void MentionIndex::build(const BookSnapshot &book) {
  std::vector<std::string_view> texts;
  for (std::size_t i = 0; i < book.chapters().size(); ++i)
    texts.push_back(book.chapterText(i));
  build(texts);
}

void MentionIndex::build(const std::vector<std::string_view> &chapters) {
  chapters_.clear();
  for (std::size_t i = 0; i < chapters.size(); ++i)
    chapters_.push_back(scan(chapters[i], i));
}

void MentionIndex::updateChapter(std::size_t chapter, std::string_view text) {
  chapters_.at(chapter) = scan(text, chapter);
}

void MentionIndex::applyEdit(std::size_t chapter, std::string_view text, std::size_t begin,
                             std::size_t oldLength, std::size_t newLength) {
  auto &mentions = chapters_.at(chapter);
  begin = std::min(begin, text.size());
  auto editEnd = std::min(begin + newLength, text.size());
  // The region to re-scan starts after a blank line wholly before the edit and ends at a blank line wholly
  // after it: those lines are the same in the old and the new text, so paragraphs outside are unchanged.
  std::size_t from = 0;
  {
    auto nl = begin == 0 ? std::string_view::npos : text.rfind('\n', begin - 1);
    std::size_t lineStart = nl == std::string_view::npos ? 0 : nl + 1;
    while (lineStart > 0) {
      auto prevNl = lineStart >= 2 ? text.rfind('\n', lineStart - 2) : std::string_view::npos;
      std::size_t prevStart = prevNl == std::string_view::npos ? 0 : prevNl + 1;
      if (isBlankLine(text.substr(prevStart, lineStart - 1 - prevStart)))
        break;
      lineStart = prevStart;
    }
    from = lineStart;
  }
  std::size_t to = text.size();
  for (auto nl = text.find('\n', editEnd); nl != std::string_view::npos; nl = text.find('\n', nl + 1)) {
    auto next = text.find('\n', nl + 1);
    auto lineEnd = next == std::string_view::npos ? text.size() : next;
    if (isBlankLine(text.substr(nl + 1, lineEnd - nl - 1))) {
      to = nl + 1;
      break;
    }
  }
  auto delta = static_cast<std::ptrdiff_t>(newLength) - static_cast<std::ptrdiff_t>(oldLength);
  auto oldTo = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(to) - delta);
  std::vector<Mention> fresh;
  forEachParagraph(text, from, to,
                   [&](std::size_t b, std::size_t e) { scanRange(text, b, e, chapter, fresh); });
  auto lo = std::lower_bound(mentions.begin(), mentions.end(), from,
                             [](const Mention &m, std::size_t v) { return m.begin < v; });
  auto hi = std::lower_bound(lo, mentions.end(), oldTo,
                             [](const Mention &m, std::size_t v) { return m.begin < v; });
  for (auto it = hi; it != mentions.end(); ++it) {
    it->begin = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(it->begin) + delta);
    it->end = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(it->end) + delta);
  }
  auto at = mentions.erase(lo, hi);
  mentions.insert(at, fresh.begin(), fresh.end());
}

void MentionIndex::insertChapter(std::size_t chapter, std::string_view text) {
  chapter = std::min(chapter, chapters_.size());
  chapters_.insert(chapters_.begin() + static_cast<std::ptrdiff_t>(chapter), scan(text, chapter));
  renumberFrom(chapter + 1);
}

void MentionIndex::removeChapter(std::size_t chapter) {
  if (chapter >= chapters_.size())
    return;
  chapters_.erase(chapters_.begin() + static_cast<std::ptrdiff_t>(chapter));
  renumberFrom(chapter);
}

void MentionIndex::renumberFrom(std::size_t chapter) {
  for (auto c = chapter; c < chapters_.size(); ++c)
    for (auto &m : chapters_[c])
      m.chapter = c;
}

std::vector<Mention> MentionIndex::mentionsOf(std::size_t entry) const {
  std::vector<Mention> out;
  for (const auto &chapter : chapters_)
    for (const auto &m : chapter)
      if (m.entry == entry)
        out.push_back(m);
  return out;
}

std::size_t MentionIndex::mentionCount(std::size_t entry) const {
  std::size_t n = 0;
  for (const auto &chapter : chapters_)
    for (const auto &m : chapter)
      n += m.entry == entry && !m.excluded;
  return n;
}

std::optional<Mention> MentionIndex::firstAppearance(std::size_t entry) const {
  for (const auto &chapter : chapters_)
    for (const auto &m : chapter)
      if (m.entry == entry && !m.excluded)
        return m;
  return std::nullopt;
}

} // namespace recurrent::engine
