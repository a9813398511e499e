// recurrent bible FILE|DIR [--json]: the story bible's entries, with aliases, mention counts and first
// appearances.
//
// Reads the bible folder and the chapter files directly (no model, no state written), so it is
// safe to run while `recurrent write` or the editor works. Malformed entries and facts that name
// no entry are reported, not fatal: the exit code is non-zero only for a usage error.
#include "cli/Args.h"
#include "cli/BookOfPath.h"
#include "cli/Commands.h"
#include "engine/bible/BibleFile.h"
#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/book/BookSnapshot.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace recurrent::cli {
using namespace recurrent::engine;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<OptionSpec> &bibleSpecs() {
  static const std::vector<OptionSpec> specs = {{"json", false, "print machine-readable JSON"}};
  return specs;
}

int usageError(const std::string &message) {
  std::fprintf(stderr, "recurrent bible: %s\n", message.c_str());
  return 2;
}

std::uint32_t lineOf(std::string_view text, std::size_t offset) {
  return static_cast<std::uint32_t>(std::count(
      text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size())), '\n'));
}

const char *severityName(BibleDiagnostic::Severity s) {
  return s == BibleDiagnostic::Severity::Error ? "error" : "warning";
}

std::string joined(const std::vector<std::string> &items) {
  std::string out;
  for (const auto &s : items)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

} // namespace

int runBible(int argc, char **argv) {
  auto parsed = parseArgs(argc, argv, 2, bibleSpecs());
  if (!parsed)
    return usageError(parsed.error().message);
  if (parsed->has("help")) {
    std::printf(
        "usage: recurrent bible FILE|DIR [--json]\n\nLists the story bible of the book DIR (or the book FILE "
        "belongs to, or the one-file story FILE): each entry's name, type, aliases, how often the chapters "
        "mention it and where first, and its facts; then the problems found in the bible's files (bad front "
        "matter, a name or alias two entries share, a fact naming no entry). The bible is BOOK/bible/ for a "
        "folder book and DIR/NAME.bible/ for DIR/NAME.md. Nothing is written; no model is called.\n\n"
        "options:\n%s",
        describeOptions(bibleSpecs()).c_str());
    return 0;
  }
  if (parsed->positionals.size() != 1)
    return usageError("expected one book folder or manuscript FILE (see --help)");
  fs::path given = parsed->positionals[0];
  std::error_code ec;
  if (!fs::exists(given, ec))
    return usageError(given.string() + " does not exist");

  auto layout = bookOfPath(given);
  auto folder = bibleFolder(layout);
  auto bible = loadBible(folder);
  auto base = layout.baseDir();
  auto shown = [&](const fs::path &p) {
    auto rel = p.lexically_relative(base);
    return (rel.empty() || rel.native().starts_with("..") ? p : rel).generic_string();
  };

  std::vector<BookSnapshot::ChapterSource> sources;
  for (auto &c : layout.chapters()) {
    auto text = readFile(c.path);
    if (!text && fs::exists(c.path, ec))
      bible.diagnostics.push_back({c.path, 0, BibleDiagnostic::Severity::Error, text.error().message});
    sources.push_back(
        {c, std::make_shared<const std::string>(text ? std::move(*text) : std::string()), false});
  }
  auto book = BookSnapshot::build(layout, std::move(sources), 1);
  MentionIndex index(bible);
  index.build(*book);

  // Facts: counted per entry; a malformed one or one naming no entry is a problem where it is written.
  auto facts = BookFacts::collect(bible, *book);
  for (std::size_t c = 0; c < book->chapters().size(); ++c)
    for (auto p : facts.problems()[c]) {
      p.file = book->chapters()[c].file.path;
      bible.diagnostics.push_back(std::move(p));
    }

  struct Row {
    json first; // null, or {file, line}
    std::string firstText;
  };
  std::vector<Row> rows;
  for (std::size_t e = 0; e < bible.entries.size(); ++e) {
    Row row{nullptr, {}};
    if (auto m = index.firstAppearance(e)) {
      const auto &chapter = book->chapters()[m->chapter];
      auto line = lineOf(book->chapterText(m->chapter), m->begin) + 1;
      row.first = {{"file", chapter.file.relative}, {"line", line}};
      row.firstText = chapter.file.relative + ":" + std::to_string(line);
    }
    rows.push_back(std::move(row));
  }

  if (parsed->has("json")) {
    json entries = json::array(), diagnostics = json::array();
    for (std::size_t e = 0; e < bible.entries.size(); ++e) {
      const auto &x = bible.entries[e];
      json details = json::array();
      for (const auto &d : x.details)
        details.push_back({{"key", d.key}, {"value", d.value}});
      entries.push_back({{"name", x.name},
                         {"type", bibleEntryTypeName(x.type)},
                         {"include", bibleIncludeName(x.include)},
                         {"case", bibleCaseName(x.caseRule)},
                         {"aliases", x.aliases},
                         {"keys", x.keys},
                         {"related", x.related},
                         {"details", details},
                         {"file", shown(x.file)},
                         {"line", x.line + 1},
                         {"mentions", index.mentionCount(e)},
                         {"firstAppearance", rows[e].first},
                         {"facts", facts.countFor(e)},
                         {"shadowed", x.nameShadowed}});
    }
    for (const auto &d : bible.diagnostics)
      diagnostics.push_back({{"file", shown(d.file)},
                             {"line", d.line + 1},
                             {"severity", severityName(d.severity)},
                             {"message", d.message}});
    json j = {{"bible", shown(folder)},
              {"exists", fs::is_directory(folder, ec)},
              {"chapters", book->chapters().size()},
              {"entries", entries},
              {"diagnostics", diagnostics}};
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }

  if (!fs::is_directory(folder, ec)) {
    std::printf(
        "no bible yet: create %s/ with one Markdown file per character, place or thing (see README, Story "
        "bible)\n",
        shown(folder).c_str());
    return 0;
  }
  std::printf("bible: %s · %zu entries · %zu chapter files · %zu problems\n", shown(folder).c_str(),
              bible.entries.size(), book->chapters().size(), bible.diagnostics.size());
  for (std::size_t e = 0; e < bible.entries.size(); ++e) {
    const auto &x = bible.entries[e];
    auto count = index.mentionCount(e);
    std::printf("\n%s  (%s%s%s)\n", x.name.c_str(), bibleEntryTypeName(x.type),
                x.include == BibleInclude::Mentioned ? "" : ", include ",
                x.include == BibleInclude::Mentioned ? "" : bibleIncludeName(x.include));
    if (!x.aliases.empty())
      std::printf("  aliases: %s\n", joined(x.aliases).c_str());
    std::printf("  %zu mention%s%s%s", count, count == 1 ? "" : "s",
                rows[e].firstText.empty() ? "" : " · first in ", rows[e].firstText.c_str());
    if (facts.countFor(e))
      std::printf(" · %zu fact%s", facts.countFor(e), facts.countFor(e) == 1 ? "" : "s");
    std::printf("\n  %s:%u\n", shown(x.file).c_str(), x.line + 1);
  }
  if (!bible.diagnostics.empty()) {
    std::printf("\nproblems\n");
    for (const auto &d : bible.diagnostics)
      std::printf("  %s:%u: %s: %s\n", shown(d.file).c_str(), d.line + 1, severityName(d.severity),
                  d.message.c_str());
  }
  return 0;
}

} // namespace recurrent::cli
