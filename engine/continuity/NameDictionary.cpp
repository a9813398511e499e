#include "engine/continuity/NameDictionary.h"

#include "engine/continuity/TextScan.h"
#include "support/Files.h"

#include <algorithm>
#include <cstdlib>

namespace recurrent::engine::continuity {

Result<NameDictionary> NameDictionary::load(const std::filesystem::path &file) {
  auto text = readFile(file);
  if (!text)
    return text.error();
  std::vector<std::string> words;
  words.reserve(static_cast<std::size_t>(std::count(text->begin(), text->end(), '\n')) + 1);
  std::string_view all = *text;
  for (std::size_t at = 0; at < all.size();) {
    auto nl = all.find('\n', at);
    auto line = all.substr(at, (nl == std::string_view::npos ? all.size() : nl) - at);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!line.empty())
      words.emplace_back(line);
    if (nl == std::string_view::npos)
      break;
    at = nl + 1;
  }
  return fromWords(std::move(words));
}

NameDictionary NameDictionary::fromWords(std::vector<std::string> words) {
  NameDictionary d;
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  d.words_ = std::move(words);
  return d;
}

bool NameDictionary::has(std::string_view word) const {
  return std::binary_search(words_.begin(), words_.end(), word,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

bool NameDictionary::contains(std::string_view word) const {
  return has(word) || isCommonWord(word);
}

bool NameDictionary::isCommonWord(std::string_view word) const {
  return has(folded(word));
}

const SystemDictionary &systemDictionary() {
  static const SystemDictionary loaded = [] {
    std::string path = kSystemDictionaryPath;
    if (const char *env = std::getenv("RECURRENT_DICTIONARY"))
      path = env;
    SystemDictionary s;
    if (path.empty()) {
      s.notice = "no word list (RECURRENT_DICTIONARY is empty): name checks run without the dictionary filter";
      return s;
    }
    auto d = NameDictionary::load(path);
    if (!d) {
      s.notice = "no word list at " + path +
                 " (Debian: apt install wamerican): name checks run without the dictionary filter";
      return s;
    }
    s.dictionary = std::make_shared<const NameDictionary>(std::move(*d));
    return s;
  }();
  return loaded;
}

} // namespace recurrent::engine::continuity
