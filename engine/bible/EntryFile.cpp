#include "engine/bible/EntryFile.h"

#include "engine/manuscript/LineRules.h"
#include "support/Utf8.h"

namespace recurrent::engine {

std::string entrySlug(std::string_view name) {
  std::string slug;
  bool dash = false;
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = utf8::next(name, i);
    if (utf8::isLetter(cp) || (cp >= '0' && cp <= '9')) {
      if (dash && !slug.empty())
        slug += '-';
      dash = false;
      utf8::append(slug, utf8::foldCase(cp));
    } else {
      dash = true;
    }
  }
  return slug.empty() ? "entry" : slug;
}

std::string entryFileText(std::string_view name, std::string_view type) {
  return "---\ntype: " + std::string(type) + "\n---\n\n# " + std::string(lines::trim(name)) + "\n\n";
}

namespace {

/// A YAML flow-sequence item: plain when nothing in it means something to YAML, else double-quoted.
std::string yamlItem(std::string_view text) {
  bool plain = !text.empty() && text.find_first_of(",:[]{}#&*!|>'\"%@`\\") == std::string_view::npos &&
               text.front() != '-' && text.front() != '?' && text.front() != ' ' && text.back() != ' ';
  if (plain)
    return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

std::string entryFileText(std::string_view name, std::string_view type, const std::vector<std::string> &aliases,
                          std::string_view description) {
  std::string text = "---\ntype: " + std::string(type) + "\n";
  if (!aliases.empty()) {
    text += "aliases: [";
    for (std::size_t i = 0; i < aliases.size(); ++i)
      text += (i ? ", " : "") + yamlItem(lines::trim(aliases[i]));
    text += "]\n";
  }
  text += "---\n\n# " + std::string(lines::trim(name)) + "\n\n";
  if (auto body = lines::trim(description); !body.empty())
    text += std::string(body) + "\n";
  return text;
}

std::filesystem::path freeEntryFile(const std::filesystem::path &folder, std::string_view name,
                                    const std::set<std::filesystem::path> &taken) {
  const std::string slug = entrySlug(name);
  std::error_code ec;
  for (int n = 1;; ++n) {
    auto file = folder / (n == 1 ? slug + ".md" : slug + "-" + std::to_string(n) + ".md");
    if (!taken.count(file) && !std::filesystem::exists(file, ec))
      return file;
  }
}

} // namespace recurrent::engine
