#include "engine/bible/BibleFile.h"

#include "engine/manuscript/LineRules.h"
#include "support/Files.h"

#include <yaml.h>

#include <algorithm>
#include <array>
#include <map>
#include <regex>
#include <system_error>

namespace recurrent::engine {
namespace {

using Severity = BibleDiagnostic::Severity;

struct Line {
  std::string_view text; // without '\n' and a trailing '\r'
  std::size_t begin = 0;
  std::uint32_t number = 0;
};

std::vector<Line> splitLines(std::string_view text) {
  std::vector<Line> out;
  std::size_t start = 0;
  std::uint32_t n = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    auto end = nl == std::string_view::npos ? text.size() : nl;
    auto line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    out.push_back({line, start, n++});
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  if (!out.empty() && out.back().text.empty() && out.back().begin == text.size() && !text.empty())
    out.pop_back(); // the text's final newline opens no line
  return out;
}

std::string asciiFold(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct Sink {
  const std::filesystem::path &file;
  std::vector<BibleDiagnostic> &out;
  void operator()(std::uint32_t line, Severity severity, std::string message) const {
    out.push_back({file, line, severity, std::move(message)});
  }
};

/// Sets `target` to the one of `all` that `nameOf` calls `value` (any case), else reports the field.
template <typename E, std::size_t N>
void setEnum(E &target, const std::string &field, const std::string &value, const std::array<E, N> &all,
             const char *(*nameOf)(E), std::uint32_t line, const Sink &sink) {
  std::string known;
  for (E e : all) {
    if (asciiFold(value) == nameOf(e)) {
      target = e;
      return;
    }
    known += (known.empty() ? "" : ", ") + std::string(nameOf(e));
  }
  sink(line, Severity::Error, field + " '" + value + "' is not one of " + known);
}

/// `/pattern/flags` keys must compile; plain keys are words like aliases.
void checkKey(const std::string &key, std::uint32_t line, const Sink &sink) {
  if (key.size() < 2 || key.front() != '/')
    return;
  auto close = key.rfind('/');
  if (close == 0) {
    sink(line, Severity::Error, "key '" + key + "' opens a /regex/ but does not close it");
    return;
  }
  for (char f : key.substr(close + 1))
    if (f != 'i') {
      sink(line, Severity::Error,
           "key '" + key + "': unknown regex flag '" + std::string(1, f) + "' (only i)");
      return;
    }
  try {
    std::regex re(key.substr(1, close - 1), std::regex::ECMAScript);
  } catch (const std::regex_error &e) {
    sink(line, Severity::Error, "key '" + key + "' is not a valid regex: " + e.what());
  }
}

/// Reads the YAML front matter (lines starting at `firstLine` of the file) into `entry`.
void applyFrontMatter(BibleEntry &entry, std::string_view yaml, std::uint32_t firstLine, const Sink &sink) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    sink(firstLine, Severity::Error, "could not start the YAML parser");
    return;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char *>(yaml.data()), yaml.size());
  yaml_document_t doc;
  if (!yaml_parser_load(&parser, &doc)) {
    // A problem found at the end of the block (an unclosed list) belongs to its last line, not the `---`.
    auto yamlLines = static_cast<std::size_t>(std::count(yaml.begin(), yaml.end(), '\n')) +
                     (!yaml.empty() && yaml.back() != '\n');
    auto mark = std::min<std::size_t>(parser.problem_mark.line, yamlLines ? yamlLines - 1 : 0);
    auto line = firstLine + static_cast<std::uint32_t>(mark);
    std::string context;
    if (parser.context)
      context = std::string(" ") + parser.context + " opened on line " +
                std::to_string(firstLine + parser.context_mark.line + 1);
    sink(line, Severity::Error,
         std::string("front matter is not valid YAML: ") + (parser.problem ? parser.problem : "parse error") +
             context);
    yaml_parser_delete(&parser);
    return;
  }
  auto lineOf = [&](const yaml_node_t *node) {
    return firstLine + static_cast<std::uint32_t>(node->start_mark.line);
  };
  auto scalar = [](const yaml_node_t *node) {
    return std::string(reinterpret_cast<const char *>(node->data.scalar.value), node->data.scalar.length);
  };
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root && root->type != YAML_MAPPING_NODE &&
      !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
    sink(lineOf(root), Severity::Error, "front matter must be `field: value` lines");
  } else if (root && root->type == YAML_MAPPING_NODE) {
    for (auto *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; ++pair) {
      yaml_node_t *keyNode = yaml_document_get_node(&doc, pair->key);
      yaml_node_t *value = yaml_document_get_node(&doc, pair->value);
      if (!keyNode || !value || keyNode->type != YAML_SCALAR_NODE) {
        sink(keyNode ? lineOf(keyNode) : firstLine, Severity::Error,
             "front matter field names must be plain words");
        continue;
      }
      auto key = scalar(keyNode);
      auto line = lineOf(value);
      auto one = [&]() -> std::optional<std::string> {
        if (value->type == YAML_SCALAR_NODE)
          return scalar(value);
        sink(line, Severity::Error, "'" + key + "' takes one value");
        return std::nullopt;
      };
      auto list = [&](std::vector<std::string> &into) {
        if (value->type == YAML_SCALAR_NODE) {
          if (value->data.scalar.length)
            into.push_back(scalar(value));
          return;
        }
        if (value->type != YAML_SEQUENCE_NODE) {
          sink(line, Severity::Error, "'" + key + "' takes a list ([a, b] or `- a` lines)");
          return;
        }
        for (auto *item = value->data.sequence.items.start; item < value->data.sequence.items.top; ++item) {
          yaml_node_t *n = yaml_document_get_node(&doc, *item);
          if (!n || n->type != YAML_SCALAR_NODE) {
            sink(n ? lineOf(n) : line, Severity::Error, "'" + key + "' items must be plain text");
            continue;
          }
          if (auto s = scalar(n); !s.empty())
            into.push_back(std::move(s));
        }
      };
      using T = BibleEntryType;
      if (key == "type") {
        if (auto v = one())
          setEnum(entry.type, key, *v, std::array{T::Character, T::Place, T::Object, T::Lore, T::Other},
                  bibleEntryTypeName, line, sink);
      } else if (key == "include") {
        if (auto v = one())
          setEnum(entry.include, key, *v,
                  std::array{BibleInclude::Always, BibleInclude::Mentioned, BibleInclude::Related,
                             BibleInclude::Never},
                  bibleIncludeName, line, sink);
      } else if (key == "case") {
        if (auto v = one())
          setEnum(entry.caseRule, key, *v,
                  std::array{BibleCase::Auto, BibleCase::Sensitive, BibleCase::Insensitive}, bibleCaseName,
                  line, sink);
      } else if (key == "aliases") {
        list(entry.aliases);
      } else if (key == "exclude") {
        list(entry.exclude);
      } else if (key == "related") {
        list(entry.related);
      } else if (key == "keys") {
        auto before = entry.keys.size();
        list(entry.keys);
        for (auto i = before; i < entry.keys.size(); ++i)
          checkKey(entry.keys[i], line, sink);
      } else {
        sink(lineOf(keyNode), Severity::Warning,
             "unknown field '" + key + "' (known: type, aliases, include, case, exclude, keys, related)");
      }
    }
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
}

/// Drops blank lines at both ends and trailing white space.
std::string trimBlock(std::string s) {
  auto t = lines::trim(s);
  std::string out;
  std::size_t start = 0;
  while (start <= t.size()) {
    auto nl = t.find('\n', start);
    auto line =
        lines::trimRight(t.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    out += line;
    if (nl == std::string_view::npos)
      break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

/// `- key: value` (or `* key: value`): a short key, then ": " and a value.
std::optional<BibleDetail> detailLine(const Line &line) {
  auto s = lines::trimLeft(line.text);
  if (s.size() < 3 || (s[0] != '-' && s[0] != '*') || s[1] != ' ')
    return std::nullopt;
  s = lines::trimLeft(s.substr(2));
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 40)
    return std::nullopt;
  auto key = lines::trim(s.substr(0, colon));
  auto value = lines::trim(s.substr(colon + 1));
  if (key.empty() || value.empty() || (colon + 1 < s.size() && s[colon + 1] != ' ' && s[colon + 1] != '\t'))
    return std::nullopt; // "- 10:30 train" or a link "- http://..."
  return BibleDetail{std::string(key), std::string(value), line.number};
}

bool isNotesHeading(std::string_view title) {
  return asciiFold(lines::trim(title)) == "notes";
}

/// The lines of one entry after its heading: description, details and notes.
void parseBody(BibleEntry &entry, const std::vector<Line> &lines, std::size_t from, std::size_t to,
               int entryLevel) {
  std::string description, notes;
  int notesLevel = 0; // the Notes heading's level while inside it, else 0
  for (auto i = from; i < to; ++i) {
    const auto &line = lines[i];
    if (auto h = lines::atxHeading(line.text); h && h->level > entryLevel) {
      if (isNotesHeading(h->title)) {
        notesLevel = h->level;
        continue;
      }
      if (notesLevel && h->level <= notesLevel)
        notesLevel = 0;
    }
    if (notesLevel) {
      notes += line.text;
      notes += '\n';
    } else if (auto d = detailLine(line)) {
      entry.details.push_back(std::move(*d));
    } else {
      description += line.text;
      description += '\n';
    }
  }
  entry.description = trimBlock(std::move(description));
  entry.notes = trimBlock(std::move(notes));
}

/// A `---` block starting at line `at`: the index of its closing line, if it closes before `limit`.
std::optional<std::size_t> frontMatterClose(const std::vector<Line> &lines, std::size_t at,
                                            std::size_t limit) {
  for (auto i = at + 1; i < limit; ++i)
    if (lines::closesFrontMatter(lines[i].text))
      return i;
  return std::nullopt;
}

std::optional<std::size_t> firstHeading(const std::vector<Line> &lines, std::size_t from, std::size_t to) {
  for (auto i = from; i < to; ++i)
    if (auto h = lines::atxHeading(lines[i].text); h && !lines::trim(h->title).empty())
      return i;
  return std::nullopt;
}

/// Reads a front matter block opening at `open` (a `---` line); returns the first line after it.
std::size_t readFrontMatter(BibleEntry &entry, const std::vector<Line> &lines, std::size_t open,
                            std::size_t limit, std::string_view text, const Sink &sink) {
  auto close = frontMatterClose(lines, open, limit);
  std::size_t yamlEnd = close ? *close : firstHeading(lines, open + 1, limit).value_or(limit);
  if (!close)
    sink(lines[open].number, Severity::Error,
         "front matter opened here is not closed with `---`; read up to the first heading");
  auto begin = open + 1 < lines.size() ? lines[open + 1].begin : text.size();
  auto end = yamlEnd < lines.size() ? lines[yamlEnd].begin : text.size();
  if (open + 1 < yamlEnd)
    applyFrontMatter(entry, text.substr(begin, end - begin), lines[open].number + 1, sink);
  return close ? *close + 1 : yamlEnd;
}

} // namespace

const char *bibleEntryTypeName(BibleEntryType type) {
  switch (type) {
  case BibleEntryType::Character:
    return "character";
  case BibleEntryType::Place:
    return "place";
  case BibleEntryType::Object:
    return "object";
  case BibleEntryType::Lore:
    return "lore";
  case BibleEntryType::Other:
    break;
  }
  return "other";
}

const char *bibleIncludeName(BibleInclude include) {
  switch (include) {
  case BibleInclude::Always:
    return "always";
  case BibleInclude::Mentioned:
    break;
  case BibleInclude::Related:
    return "related";
  case BibleInclude::Never:
    return "never";
  }
  return "mentioned";
}

const char *bibleCaseName(BibleCase rule) {
  switch (rule) {
  case BibleCase::Auto:
    break;
  case BibleCase::Sensitive:
    return "sensitive";
  case BibleCase::Insensitive:
    return "insensitive";
  }
  return "auto";
}

std::filesystem::path bibleFolder(const BookLayout &layout) {
  if (layout.isFolder())
    return layout.root() / "bible";
  return layout.root().parent_path() / (layout.root().stem().string() + ".bible");
}

std::optional<BookLayout> bookOfBibleFile(const std::filesystem::path &file) {
  auto path = std::filesystem::absolute(file).lexically_normal();
  if (auto found = BookLayout::find(path); found && found->isFolder()) {
    auto rel = path.lexically_relative(bibleFolder(*found));
    if (!rel.empty() && *rel.begin() != "..")
      return found;
  }
  for (auto dir = path.parent_path(); dir.has_relative_path(); dir = dir.parent_path())
    if (dir.extension() == ".bible") {
      auto story = dir.parent_path() / (dir.stem().string() + ".md");
      std::error_code ec;
      if (auto markdown = dir.parent_path() / (dir.stem().string() + ".markdown"); std::filesystem::exists(markdown, ec))
        story = markdown;
      return BookLayout::singleFile(story);
    }
  return std::nullopt;
}

std::vector<BibleEntry> parseBibleFile(const std::filesystem::path &file, std::string_view text,
                                       bool multiEntry, std::vector<BibleDiagnostic> &diagnostics) {
  Sink sink{file, diagnostics};
  auto lines = splitLines(text);
  std::vector<BibleEntry> out;
  if (!multiEntry) {
    BibleEntry entry;
    entry.file = file;
    std::size_t at = 0;
    if (!lines.empty() && lines::opensFrontMatter(lines[0].text))
      at = readFrontMatter(entry, lines, 0, lines.size(), text, sink);
    auto heading = firstHeading(lines, at, lines.size());
    int level = 0;
    if (heading) {
      auto h = lines::atxHeading(lines[*heading].text);
      entry.name = std::string(lines::trim(h->title));
      entry.line = lines[*heading].number;
      level = h->level;
      // Text above the heading is still the writer's: keep it in the description.
      parseBody(entry, lines, at, *heading, 6);
      auto above = std::move(entry.description);
      auto aboveDetails = std::move(entry.details);
      entry.details.clear();
      parseBody(entry, lines, *heading + 1, lines.size(), level);
      if (!above.empty())
        entry.description = above + (entry.description.empty() ? "" : "\n\n") + entry.description;
      entry.details.insert(entry.details.begin(), aboveDetails.begin(), aboveDetails.end());
    } else {
      entry.name = file.stem().string();
      entry.line = at < lines.size() ? lines[at].number : 0;
      sink(entry.line, Severity::Warning,
           "no `# Name` heading: the entry is named after its file, '" + entry.name + "'");
      parseBody(entry, lines, at, lines.size(), 0);
    }
    out.push_back(std::move(entry));
    return out;
  }

  // bible.md: one entry per `## Name` section; `#` titles and text before the first section are the file's.
  std::size_t start = 0;
  if (!lines.empty() && lines::opensFrontMatter(lines[0].text)) {
    BibleEntry ignored;
    start = readFrontMatter(ignored, lines, 0, lines.size(), text, sink);
    sink(0, Severity::Warning,
         "front matter at the top of bible.md applies to no entry: put it under each `## Name`");
  }
  std::vector<std::size_t> sections;
  for (auto i = start; i < lines.size(); ++i)
    if (auto h = lines::atxHeading(lines[i].text); h && h->level <= 2 && !lines::trim(h->title).empty())
      sections.push_back(i);
  for (std::size_t s = 0; s < sections.size(); ++s) {
    auto at = sections[s];
    auto h = lines::atxHeading(lines[at].text);
    if (h->level != 2)
      continue;
    auto end = s + 1 < sections.size() ? sections[s + 1] : lines.size();
    BibleEntry entry;
    entry.file = file;
    entry.name = std::string(lines::trim(h->title));
    entry.line = lines[at].number;
    auto body = at + 1;
    while (body < end && lines::isBlank(lines[body].text))
      ++body;
    if (body < end && lines::trim(lines[body].text) == "---")
      body = readFrontMatter(entry, lines, body, end, text, sink);
    parseBody(entry, lines, body, end, 2);
    out.push_back(std::move(entry));
  }
  if (out.empty())
    sink(0, Severity::Warning, "bible.md holds no `## Name` section, so no entry");
  return out;
}

Bible assembleBible(std::filesystem::path folder, std::vector<BibleEntry> entries,
                    std::vector<BibleDiagnostic> diagnostics) {
  Bible bible{std::move(folder), std::move(entries), std::move(diagnostics)};
  std::map<std::string, std::size_t> owner;
  auto where = [&](std::size_t i) {
    const auto &e = bible.entries[i];
    return "'" + e.name + "' (" + e.file.filename().string() + ":" + std::to_string(e.line + 1) + ")";
  };
  // Names first, so that a name beats another entry's alias whatever the file order.
  for (std::size_t i = 0; i < bible.entries.size(); ++i) {
    auto &e = bible.entries[i];
    auto [it, fresh] = owner.emplace(asciiFold(e.name), i);
    if (!fresh) {
      e.nameShadowed = true;
      bible.diagnostics.push_back({e.file, e.line, Severity::Error,
                                   "the name '" + e.name + "' is already the entry " + where(it->second) +
                                       "; its mentions go there"});
    }
  }
  for (std::size_t i = 0; i < bible.entries.size(); ++i) {
    auto &e = bible.entries[i];
    std::vector<std::string> kept;
    for (auto &alias : e.aliases) {
      auto [it, fresh] = owner.emplace(asciiFold(alias), i);
      if (fresh)
        kept.push_back(std::move(alias));
      else if (it->second != i)
        bible.diagnostics.push_back(
            {e.file, e.line, Severity::Error,
             "the alias '" + alias + "' already names the entry " + where(it->second) + "; ignored here"});
    }
    e.aliases = std::move(kept);
  }
  for (auto &e : bible.entries)
    for (auto &r : e.related)
      if (!bible.find(r))
        bible.diagnostics.push_back(
            {e.file, e.line, Severity::Warning, "related entry '" + r + "' is not in the bible"});
  return bible;
}

namespace {

bool isBibleText(const std::filesystem::path &file) {
  auto ext = asciiFold(file.extension().string());
  return ext == ".md" || ext == ".markdown";
}

bool isUnder(const std::filesystem::path &file, const std::filesystem::path &folder) {
  auto rel = file.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != "..";
}

} // namespace

Bible loadBible(const std::filesystem::path &folder, const BibleOverlays &overlays) {
  std::error_code ec;
  std::vector<BibleEntry> entries;
  std::vector<BibleDiagnostic> diagnostics;
  std::vector<std::filesystem::path> files;
  for (const auto &[path, text] : overlays)
    if (isUnder(path, folder) && isBibleText(path))
      files.push_back(path);
  if (!std::filesystem::is_directory(folder, ec) && files.empty())
    return assembleBible(folder, {}, {});
  std::filesystem::recursive_directory_iterator it(
      folder, std::filesystem::directory_options::skip_permission_denied, ec),
      end;
  for (; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec))
        it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && isBibleText(it->path()) && !overlays.count(it->path()))
      files.push_back(it->path());
  }
  if (ec && std::filesystem::exists(folder))
    diagnostics.push_back({folder, 0, Severity::Error, "could not list the bible folder: " + ec.message()});
  std::sort(files.begin(), files.end());
  for (const auto &f : files) {
    auto overlay = overlays.find(f);
    auto text = overlay != overlays.end() ? Result<std::string>(overlay->second) : readFile(f);
    if (!text) {
      diagnostics.push_back({f, 0, Severity::Error, text.error().message});
      continue;
    }
    auto parsed = parseBibleFile(f, *text, asciiFold(f.filename().string()) == "bible.md", diagnostics);
    for (auto &e : parsed)
      entries.push_back(std::move(e));
  }
  return assembleBible(folder, std::move(entries), std::move(diagnostics));
}

std::optional<std::size_t> Bible::find(std::string_view name) const {
  auto folded = asciiFold(lines::trim(name));
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (!entries[i].nameShadowed && asciiFold(entries[i].name) == folded)
      return i;
  for (std::size_t i = 0; i < entries.size(); ++i)
    for (const auto &a : entries[i].aliases)
      if (asciiFold(a) == folded)
        return i;
  return std::nullopt;
}

std::optional<Bible::FactTarget> Bible::resolveFact(const FactComment &fact) const {
  if (auto e = find(fact.target))
    return FactTarget{*e, {}};
  auto dot = fact.target.rfind('.');
  if (dot == std::string::npos)
    return std::nullopt;
  auto detail = lines::trim(std::string_view(fact.target).substr(dot + 1));
  if (detail.empty())
    return std::nullopt;
  if (auto e = find(std::string_view(fact.target).substr(0, dot)))
    return FactTarget{*e, std::string(detail)};
  return std::nullopt;
}

std::vector<FactComment> parseFactComments(std::string_view text, std::vector<BibleDiagnostic> *problems) {
  std::vector<FactComment> out;
  std::size_t at = 0, counted = 0;
  std::uint32_t line = 0;
  while ((at = text.find("<!--", at)) != std::string_view::npos) {
    auto close = text.find("-->", at + 4);
    if (close == std::string_view::npos)
      break;
    auto body = lines::trim(text.substr(at + 4, close - at - 4));
    if (body.substr(0, 5) == "fact:") {
      line += static_cast<std::uint32_t>(std::count(text.begin() + counted, text.begin() + at, '\n'));
      counted = at;
      auto rest = lines::trim(body.substr(5));
      auto colon = rest.find(':');
      auto target = colon == std::string_view::npos ? std::string_view() : lines::trim(rest.substr(0, colon));
      auto what = colon == std::string_view::npos ? std::string_view() : lines::trim(rest.substr(colon + 1));
      if (target.empty() || what.empty()) {
        if (problems)
          problems->push_back(
              {{},
               line,
               Severity::Error,
               "a fact is written `<!-- fact: Name: what is true -->` (or `Name.detail: value`)"});
      } else {
        out.push_back({std::string(target), std::string(what), at, close + 3, line});
      }
    }
    at = close + 3;
  }
  return out;
}

std::string factComment(std::string_view target, std::string_view text) {
  return "<!-- fact: " + std::string(target) + ": " + std::string(text) + " -->";
}

} // namespace recurrent::engine
