// recurrent state FILE|DIR [--json]: the story state of a manuscript or a folder book, with counts.
//
// Reads the state files and the long-term memory file directly (no model, no
// embedder, nothing written), so it is safe to run while `recurrent write` works.
#include "cli/Args.h"
#include "cli/Commands.h"
#include "engine/StatePaths.h"
#include "engine/book/BookSnapshot.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/story/StoryState.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

namespace recurrent::cli {
using namespace recurrent::engine;
using nlohmann::json;

namespace {

const std::vector<OptionSpec> &stateSpecs() {
  static const std::vector<OptionSpec> specs = {{"json", false, "print machine-readable JSON"}};
  return specs;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "recurrent state: %s\n", message.c_str());
  return 1;
}

void printBlock(const std::string &text) {
  std::string line = "  ";
  for (char c : text) {
    line += c;
    if (c == '\n') {
      std::fputs(line.c_str(), stdout);
      line = "  ";
    }
  }
  std::printf("%s\n", line.c_str());
}

} // namespace

int runState(int argc, char **argv) {
  auto parsed = parseArgs(argc, argv, 2, stateSpecs());
  if (!parsed)
    return fail(parsed.error().message);
  if (parsed->has("help")) {
    std::printf("usage: recurrent state FILE|DIR [--json]\n\nPrints the story state kept beside FILE, or of the "
                "book DIR (or the book FILE belongs to): title, genre, language, step, short-term memory, plans and "
                "counts.\n\noptions:\n%s",
                describeOptions(stateSpecs()).c_str());
    return 0;
  }
  if (parsed->positionals.size() != 1)
    return fail("expected one manuscript FILE (see --help)");
  std::filesystem::path file = parsed->positionals[0];
  std::error_code dirEc;
  auto found = BookLayout::find(file);
  BookLayout layout = found                                   ? *found
                      : std::filesystem::is_directory(file, dirEc) ? BookLayout::folder(file)
                                                                  : BookLayout::singleFile(file);
  auto paths = layout.paths();
  StateStore store(paths);
  std::error_code ec;
  if (!std::filesystem::exists(paths.story(), ec) && !std::filesystem::exists(paths.shortTermMemory(), ec))
    return fail(file.string() + " has no story state yet (start one with `recurrent write --from " + file.string() +
                "`, or adopt it in the editor)");
  auto loaded = store.load();
  if (!loaded)
    return fail(loaded.error().message);
  const auto &s = loaded->state;

  std::vector<BookSnapshot::ChapterSource> sources;
  for (auto &c : layout.chapters()) {
    auto text = readFile(c.path);
    if (!text)
      loaded->notes.push_back(text.error().message);
    sources.push_back({c, std::make_shared<const std::string>(text ? std::move(*text) : std::string()), false});
  }
  auto book = BookSnapshot::build(layout, std::move(sources), 1);
  const auto &m = book->manuscript();
  std::size_t paragraphs = m.paragraphs().size(), chapters = m.chapters().size();
  std::uint64_t words = m.totalWords();
  json chapterFiles = json::array();
  for (const auto &c : book->chapters())
    chapterFiles.push_back(c.file.relative);
  std::size_t memoryEntries = 0;
  if (auto mem = readFile(paths.longTermMemory())) {
    std::vector<std::string> bad;
    memoryEntries = parseMemoryFile(*mem, bad).size();
  }

  if (parsed->has("json")) {
    json j = {{"title", s.title},
              {"genre", s.genre},
              {"language", s.language},
              {"mode", storyModeName(s.mode)},
              {"step", s.step},
              {"shortTermMemory", s.shortTermMemory},
              {"rationale", s.rationale},
              {"plans", s.plans},
              {"outline", s.outline},
              {"synopsis", s.synopsis},
              {"counts", {{"paragraphs", paragraphs}, {"memoryEntries", memoryEntries}, {"words", words}, {"chapters", chapters}}},
              {"model", s.model},
              {"offline", s.offline},
              {"stats",
               {{"llmCalls", s.stats.llmCalls},
                {"promptTokens", s.stats.promptTokens},
                {"completionTokens", s.stats.completionTokens},
                {"retries", s.stats.retries}}},
              {"statePath", paths.dir.string()},
              {"book", {{"root", layout.root().string()}, {"chapters", chapterFiles}}},
              {"notes", loaded->notes}};
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("%s  (%s, %s, %s)\n", s.title.empty() ? "(untitled)" : s.title.c_str(),
              s.genre.empty() ? "no genre" : s.genre.c_str(), s.language.empty() ? "language not set" : s.language.c_str(),
              s.mode == StoryMode::InteractiveFiction ? "interactive fiction" : "novel");
  std::printf("step %ld · %zu paragraphs · %zu memory entries · %llu words · %zu chapters\n", s.step, paragraphs,
              memoryEntries, static_cast<unsigned long long>(words), chapters);
  if (!s.model.empty())
    std::printf("last written by: %s%s\n", s.model.c_str(), s.offline ? " (offline stand-in)" : "");
  std::printf("LLM calls: %ld, tokens: %ld in / %ld out, retries: %ld\n", s.stats.llmCalls, s.stats.promptTokens,
              s.stats.completionTokens, s.stats.retries);
  std::printf("state: %s\n", paths.dir.string().c_str());
  if (layout.isFolder())
    std::printf("book: %s (%zu chapter files)\n", layout.root().string().c_str(), book->chapters().size());
  for (const auto &n : loaded->notes)
    std::printf("note: %s\n", n.c_str());
  std::printf("\nShort-term memory\n");
  printBlock(s.shortTermMemory.empty() ? "(empty)" : s.shortTermMemory);
  std::printf("\n%s\n", s.mode == StoryMode::InteractiveFiction ? "Choices" : "Plans");
  for (std::size_t i = 0; i < s.plans.size(); ++i)
    std::printf("  %zu. %s\n", i + 1, s.plans[i].c_str());
  if (s.plans.empty())
    std::printf("  (none)\n");
  return 0;
}

} // namespace recurrent::cli
