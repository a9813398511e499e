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
