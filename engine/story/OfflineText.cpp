#include "engine/story/OfflineText.h"

#include "engine/story/Utf8.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace recurrent::engine::offline {

namespace {

bool isWordChar(char32_t cp) { return utf8::isLetter(cp) && !utf8::isCjk(cp); }
bool isDigit(char32_t cp) { return cp >= '0' && cp <= '9'; }

bool isOpeningQuote(std::string_view t) { return t == "“" || t == "‘" || t == "«" || t == "「" || t == "『" || t == "(" || t == "["; }
bool isClosingQuote(std::string_view t) { return t == "”" || t == "’" || t == "»" || t == "」" || t == "』" || t == ")" || t == "]"; }
bool noSpaceBefore(std::string_view t) {
  return t == "," || t == "." || t == "!" || t == "?" || t == ";" || t == ":" || t == "…" || t == "'s" ||
         t == "n't" || isClosingQuote(t);
}

} // namespace

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    char32_t cp = utf8::next(text, i);
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 || cp == 0xA0)
      continue;
    if (utf8::isCjk(cp)) {
      out.push_back({std::string(text.substr(start, i - start)), TokenKind::Cjk});
      continue;
    }
    if (isWordChar(cp) || isDigit(cp)) {
      // A word: letters and digits, with inner apostrophes and hyphens ("don't", "well-kept").
      std::size_t end = i;
      while (end < text.size()) {
        std::size_t j = end;
        char32_t c = utf8::next(text, j);
        if (isWordChar(c) || isDigit(c)) {
          end = j;
          continue;
        }
        if ((c == '\'' || c == 0x2019 || c == '-') && j < text.size()) {
          std::size_t k = j;
          char32_t after = utf8::next(text, k);
          if (isWordChar(after)) {
            end = k;
            continue;
          }
        }
        break;
      }
      out.push_back({std::string(text.substr(start, end - start)), TokenKind::Word});
      i = end;
      continue;
    }
    // Punctuation: runs of the same dot character form one token ("...").
    std::string tok(text.substr(start, i - start));
    if (cp == '.' || cp == '-') {
      while (i < text.size() && static_cast<char32_t>(text[i]) == cp)
        tok += text[i++];
      if (tok == "...")
        tok = "…";
      if (tok == "--")
        tok = "—";
    }
    out.push_back({std::move(tok), TokenKind::Punct});
  }
  return out;
}

std::string detokenize(const std::vector<std::string> &tokens) {
  std::string out;
  bool straightQuoteOpen = false, singleOpen = false;
  bool suppressNext = true; // no space at the very start
  std::string prev;
  for (const auto &t : tokens) {
    std::size_t k = 0;
    char32_t first = t.empty() ? 0 : utf8::next(t, k);
    bool cjk = utf8::isCjk(first) || utf8::isCjkPunctuation(first);
    std::size_t pk = 0;
    char32_t pfirst = prev.empty() ? 0 : utf8::next(prev, pk);
    bool prevCjk = utf8::isCjk(pfirst) || utf8::isCjkPunctuation(pfirst);
    bool space = !suppressNext;
    if (noSpaceBefore(t) || cjk || prevCjk || t == "—" || prev == "—")
      space = false;
    suppressNext = false;
    if (t == "\"") {
      if (straightQuoteOpen)
        space = false; // closing
      else
        suppressNext = true;
      straightQuoteOpen = !straightQuoteOpen;
    } else if (t == "'") {
      if (singleOpen)
        space = false;
      else
        suppressNext = true;
      singleOpen = !singleOpen;
    } else if (isOpeningQuote(t)) {
      suppressNext = true;
    }
    if (space)
      out += ' ';
    out += t;
    prev = t;
  }
  return out;
}

bool endsSentence(std::string_view t) { return t == "." || t == "!" || t == "?" || t == "…" || t == "。" || t == "！" || t == "？"; }

std::vector<std::string> splitSentences(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0, i = 0;
  auto push = [&](std::size_t end) {
    std::string_view s = text.substr(start, end - start);
    auto b = s.find_first_not_of(" \t\r\n");
    if (b != std::string_view::npos) {
      auto e = s.find_last_not_of(" \t\r\n");
      out.emplace_back(s.substr(b, e - b + 1));
    }
    start = end;
  };
  while (i < text.size()) {
    char32_t cp = utf8::next(text, i);
    bool latinEnd = cp == '.' || cp == '!' || cp == '?' || cp == 0x2026;
    bool cjkEnd = cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F;
    if (!latinEnd && !cjkEnd)
      continue;
    // Take following terminators and closing quotes with the sentence.
    std::size_t j = i;
    while (j < text.size()) {
      std::size_t k = j;
      char32_t c = utf8::next(text, k);
      if (c == '.' || c == '!' || c == '?' || c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == 0x300D ||
          c == 0x300F || c == ')' || c == 0x2026 || c == 0xBB) {
        j = k;
        continue;
      }
      break;
    }
    if (latinEnd) {
      // A Latin sentence ends before whitespace; "Mr." before a capital is rare in fiction: accept.
      if (j < text.size() && !(text[j] == ' ' || text[j] == '\n' || text[j] == '\t'))
        continue;
    }
    i = j;
    push(j);
  }
  push(text.size());
  return out;
}

std::vector<std::string> proseParagraphs(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool inFence = false, inComment = false, frontMatter = false;
  std::size_t lineNo = 0, i = 0;
  auto flush = [&] {
    if (!current.empty())
      out.push_back(std::move(current));
    current.clear();
  };
  while (i <= text.size()) {
    auto nl = text.find('\n', i);
    std::string_view line = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    i = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    std::string t(line);
    while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t'))
      t.pop_back();
    auto b = t.find_first_not_of(" \t");
    std::string s = b == std::string::npos ? std::string() : t.substr(b);
    if (lineNo++ == 0 && s == "---") {
      frontMatter = true;
      continue;
    }
    if (frontMatter) {
      if (s == "---" || s == "...")
        frontMatter = false;
      continue;
    }
    if (s.rfind("```", 0) == 0 || s.rfind("~~~", 0) == 0) {
      inFence = !inFence;
      flush();
      continue;
    }
    if (inFence)
      continue;
    if (inComment) {
      if (s.find("-->") != std::string::npos)
        inComment = false;
      continue;
    }
    if (s.rfind("<!--", 0) == 0) {
      if (s.find("-->") == std::string::npos)
        inComment = true;
      flush();
      continue;
    }
    std::string noSpaces;
    for (char c : s)
      if (c != ' ')
        noSpaces += c;
    bool sceneBreak = noSpaces == "***" || noSpaces == "---" || noSpaces == "___";
    if (s.empty() || s == "\u3000" || sceneBreak || s[0] == '#') {
      flush();
      continue;
    }
    if (!current.empty())
      current += ' ';
    current += s;
  }
  flush();
  return out;
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isStopword(std::string_view w) {
  static const std::unordered_set<std::string_view> words = {
      "a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at", "by", "for", "with",
      "from", "into", "onto", "over", "under", "up", "down", "out", "off", "about", "as", "is", "was", "were", "are",
      "be", "been", "being", "am", "has", "had", "have", "do", "did", "does", "not", "no", "nor", "it", "its", "he",
      "she", "him", "her", "his", "hers", "they", "them", "their", "we", "us", "our", "you", "your", "i", "me", "my",
      "this", "that", "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where",
      "why", "how", "all", "any", "each", "some", "such", "than", "too", "very", "can", "could", "would", "should",
      "will", "shall", "may", "might", "must", "just", "only", "own", "same", "other", "again", "once", "more",
      "most", "now", "one", "said", "like", "after", "before", "while", "through", "back", "still", "yet", "even",
      "because", "until", "against", "between", "without", "within", "upon", "along", "across", "toward", "towards",
      "around", "never", "ever", "also", "every", "himself", "herself", "itself", "themselves", "myself", "yourself",
      "something", "nothing", "anything", "thing", "things", "way", "too", "much", "many", "well", "don't", "didn't",
      "it's", "i'm", "you're", "he'd", "she'd", "that's", "let", "made", "make", "went", "came", "come", "go", "got",
      "get", "see", "saw", "seen", "know", "knew", "looked", "look", "took", "take", "put", "told", "tell", "asked",
      "away", "last", "first", "long", "little", "enough", "own", "whether", "though", "although", "almost", "yes",
      "oh", "mr", "mrs", "miss", "sir"};
  return words.count(w) > 0;
}

std::vector<std::string> contentWords(std::string_view text) {
  std::vector<std::string> out;
  for (const auto &t : tokenize(text)) {
    if (t.kind == TokenKind::Cjk) {
      out.push_back(t.text);
      continue;
    }
    if (t.kind != TokenKind::Word || t.text.size() < 3)
      continue;
    auto w = lowerAscii(t.text);
    if (!isStopword(w) && !std::isdigit(static_cast<unsigned char>(w[0])))
      out.push_back(w);
  }
  return out;
}

namespace {

bool startsUpper(std::string_view w) { return !w.empty() && std::isupper(static_cast<unsigned char>(w[0])); }

struct NameStats {
  std::map<std::string, int> capitalisedMid, lowerSeen, total, placeLike;
};

NameStats nameStats(std::string_view text) {
  NameStats st;
  auto tokens = tokenize(text);
  bool sentenceStart = true;
  std::string prev;
  for (const auto &t : tokens) {
    if (t.kind == TokenKind::Punct) {
      if (endsSentence(t.text) || t.text == "\"" || t.text == "“" || t.text == "‘" || t.text == ":")
        sentenceStart = true;
      prev = t.text;
      continue;
    }
    if (t.kind == TokenKind::Word) {
      if (startsUpper(t.text)) {
        ++st.total[t.text];
        // A person's name rarely follows "the" or another capitalised word ("Hollin's Reach",
        // "Water Street", "the Archive"): such words are places and things.
        auto lp = lowerAscii(prev);
        bool placeLike = lp == "the" || startsUpper(prev) || lp == "of" || lp == "at" || lp == "in";
        if (!sentenceStart && !placeLike)
          ++st.capitalisedMid[t.text];
        if (placeLike && !sentenceStart)
          ++st.placeLike[t.text];
      } else {
        ++st.lowerSeen[lowerAscii(t.text)];
      }
    }
    sentenceStart = false;
    prev = t.text;
  }
  return st;
}

} // namespace

std::vector<std::string> names(std::string_view text, std::size_t max) {
  auto st = nameStats(text);
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto &[w, n] : st.capitalisedMid) {
    auto lw = lowerAscii(w);
    if (w.size() < 2 || isStopword(lw) || w == "I" || w.find('\'') != std::string::npos ||
        w.find("â") != std::string::npos)
      continue;
    if (st.lowerSeen.count(lw) && st.lowerSeen[lw] >= n)
      continue; // an ordinary word that happened to be capitalised
    if (st.placeLike.count(w) && st.placeLike[w] > n)
      continue;
    ranked.emplace_back(st.total[w], w);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (auto &[n, w] : ranked) {
    if (out.size() >= max)
      break;
    out.push_back(w);
  }
  return out;
}

std::vector<std::string> keywords(std::string_view text, std::size_t max) {
  auto nameList = names(text, 50);
  std::set<std::string> nameSet;
  for (const auto &n : nameList)
    nameSet.insert(lowerAscii(n));
  // Things: content words after a determiner ("the lamp", "a ledger"); a word that is
  // nearly always followed by the same word forms a phrase with it ("customs house").
  static const std::set<std::string> determiners = {"the", "a", "an", "his", "her", "their", "my", "your", "our", "its", "this", "that"};
  auto tokens = tokenize(text);
  std::map<std::string, int> freq;
  std::map<std::string, std::map<std::string, int>> following;
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    if (tokens[i].kind != TokenKind::Word || !determiners.count(lowerAscii(tokens[i - 1].text)))
      continue;
    auto w = lowerAscii(tokens[i].text);
    if (w.size() < 4 || isStopword(w) || nameSet.count(w) || std::isupper(static_cast<unsigned char>(tokens[i].text[0])) ||
        w.find('\'') != std::string::npos || w.find("\xe2\x80\x99") != std::string::npos)
      continue;
    ++freq[w];
    if (i + 1 < tokens.size() && tokens[i + 1].kind == TokenKind::Word)
      ++following[w][lowerAscii(tokens[i + 1].text)];
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto &[w, n] : freq) {
    std::string phrase = w;
    for (const auto &[next, m] : following[w])
      if (m * 10 >= n * 6 && m >= 3 && !isStopword(next) && next.size() >= 3 &&
          next.compare(next.size() - 2, 2, "ed") != 0)
        phrase = w + " " + next;
    ranked.emplace_back(n, phrase);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (auto &[n, w] : ranked) {
    if (out.size() >= max)
      break;
    out.push_back(w);
  }
  return out;
}

std::size_t countWords(std::string_view text) {
  std::size_t n = 0;
  for (const auto &t : tokenize(text))
    if (t.kind != TokenKind::Punct)
      ++n;
  return n;
}

std::string extractiveSummary(std::string_view paragraph, std::size_t maxWords) {
  auto sentences = splitSentences(paragraph);
  if (sentences.empty())
    return {};
  auto nameList = names(paragraph, 8);
  std::set<std::string> nameSet(nameList.begin(), nameList.end());
  std::map<std::string, int> freq;
  for (const auto &w : contentWords(paragraph))
    ++freq[w];
  double best = -1e9;
  std::size_t bestIndex = 0;
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    const auto &s = sentences[i];
    std::size_t words = countWords(s);
    double score = 0;
    for (const auto &w : contentWords(s))
      score += freq[w] > 1 ? 1.5 : 1.0;
    for (const auto &t : tokenize(s))
      if (t.kind == TokenKind::Word && nameSet.count(t.text))
        score += 2;
    score /= std::max<std::size_t>(6, words) / 6.0; // density, not length
    score -= 0.15 * static_cast<double>(i);         // early sentences set the scene
    if (words < 5)
      score -= 3;
    if (s.find('"') != std::string::npos || s.find("“") != std::string::npos)
      score -= 1; // dialogue summarises poorly
    if (score > best) {
      best = score;
      bestIndex = i;
    }
  }
  std::string s = sentences[bestIndex];
  if (countWords(s) <= maxWords)
    return s;
  std::vector<std::string> toks;
  std::size_t words = 0;
  for (const auto &t : tokenize(s)) {
    if (t.kind != TokenKind::Punct && ++words > maxWords)
      break;
    toks.push_back(t.text);
  }
  while (!toks.empty() && (toks.back() == "," || toks.back() == ";" || toks.back() == "—"))
    toks.pop_back();
  return detokenize(toks) + "…";
}

} // namespace recurrent::engine::offline
