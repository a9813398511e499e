// The story state of one manuscript, and how it is kept on disk.
//
// story.json holds what a program needs (title, genre, language, outline, synopsis,
// step, seed, mode, counters, the manuscript mark and the step journal used to
// reconcile after a crash). short-term-memory.md and plans.md are Markdown a writer
// may edit: they are the source of truth for the memory and the plans, and are read
// again before every step, so the next step uses the writer's edit. Loading is
// lenient: a hand-mangled file is read where it can be; a story.json that is not
// JSON at all is set aside (renamed) with a note saying so. Every write is atomic.
// Undo keeps one snapshot per step under history/, mostly as hard links to the files
// the step is about to replace.
//
// The parse/render functions are pure (the fuzz target drives them). StateStore does
// file I/O only; thread-safety: callers serialise use per manuscript (StorySession does).
#pragma once

#include "engine/StatePaths.h"
#include "support/Error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

enum class StoryMode { Novel, InteractiveFiction };
const char *storyModeName(StoryMode mode); ///< "novel" or "interactive"
std::optional<StoryMode> parseStoryMode(std::string_view text); ///< also accepts "if", "interactive-fiction"

/// Which manuscript text the state corresponds to: compared on load to notice edits or a crash.
struct ManuscriptMark {
  std::size_t bytes = 0;
  std::uint64_t hash = 0;       ///< hashManuscriptText()
  std::size_t paragraphs = 0;
  bool operator==(const ManuscriptMark &) const = default;
};
std::uint64_t hashManuscriptText(std::string_view text);

/// A step recorded before the manuscript is written, so that a crash between the
/// manuscript write and the state write is completed (or dropped) on resume.
struct StepJournal {
  long step = 0;                ///< the step this completes
  std::string plan;             ///< the plan it followed
  std::string paragraph;        ///< the text appended to the manuscript
  std::string summary;
  std::string shortTermMemory;
  std::string rationale;
  std::vector<std::string> plans;
  ManuscriptMark before, after;
};

/// Totals over the story's life (they survive --resume).
struct StoryStats {
  long llmCalls = 0;
  long promptTokens = 0;
  long completionTokens = 0;
  long retries = 0;
  double llmSeconds = 0;
};

struct StoryState {
  std::string title, genre, topic, premise, language;
  std::string outline;           ///< the book's plan (chapter 1 at least)
  std::string synopsis;          ///< for adopted manuscripts: the story so far in brief
  StoryMode mode = StoryMode::Novel;
  std::string shortTermMemory;   ///< h(t): the rolling summary of the recent story
  std::string rationale;         ///< why the last rewrite kept, dropped and added what it did
  std::vector<std::string> plans;///< candidates for the next paragraph (usually three)
  std::string lastPlan;          ///< the plan the last step followed
  long step = 0;                 ///< steps committed so far
  std::uint64_t seed = 0;        ///< for the plan selector and the new-character draw
  std::string model;             ///< who wrote the last step ("offline stand-in", "openai gpt-4o-mini ...")
  bool offline = false;          ///< the last step was written by the offline stand-in
  ManuscriptMark manuscript;
  std::optional<StepJournal> journal;
  StoryStats stats;

  /// True once init or adopt has produced a memory or plans.
  bool initialised() const { return !shortTermMemory.empty() || !plans.empty() || step > 0; }
};

// --- Pure parsers and renderers (fuzzable) -------------------------------------------

struct ParsedStoryJson {
  StoryState state;
  std::vector<std::string> notes; ///< fields that were unreadable and took their default
  bool readable = false;          ///< false: not a JSON object at all
};
ParsedStoryJson parseStoryJson(std::string_view bytes);
std::string renderStoryJson(const StoryState &state);

struct ShortTermMemoryDoc {
  std::string memory;
  std::string rationale;
};
ShortTermMemoryDoc parseShortTermMemoryMarkdown(std::string_view bytes);
/// `note` (may be empty) is shown as a quoted line, e.g. that the offline stand-in wrote it.
std::string renderShortTermMemoryMarkdown(const std::string &memory, const std::string &rationale,
                                          const std::string &note);

/// Numbered or bulleted items (continuation lines join their item); without markers, paragraphs.
std::vector<std::string> parsePlansMarkdown(std::string_view bytes);
std::string renderPlansMarkdown(const std::vector<std::string> &plans, StoryMode mode, const std::string &note);

// --- Files ---------------------------------------------------------------------------------

struct LoadedState {
  StoryState state;
  bool existed = false;           ///< a story.json (or memory/plans file) was found
  std::vector<std::string> notes; ///< what lenient loading had to repair, for the user
};

class StateStore {
public:
  explicit StateStore(StatePaths paths) : paths_(std::move(paths)) {}
  const StatePaths &paths() const { return paths_; }

  /// Reads story.json, then the Markdown files (which win for memory and plans).
  /// Fails only on I/O errors other than "missing"; a mangled story.json is set aside.
  Result<LoadedState> load() const;
  /// Writes the Markdown files, then story.json (the commit point), each atomically.
  Status save(const StoryState &state) const;

  /// Writes story.json only (the step journal: the Markdown files keep the state before the step).
  Status saveStoryJson(const StoryState &state) const;

  /// Keeps `state` (the state before the next step) as history/step-NNNNNN, for undo.
  /// A live file that holds exactly what would be written is hard-linked instead of
  /// written and flushed again; the next save() replaces the live names by rename.
  Status snapshot(const StoryState &state) const;
  /// Makes the newest snapshot the current state (saved, without a step journal), then
  /// removes it from history. A snapshot without a readable story.json is skipped.
  /// Returns the restored state, or nullopt when there is no snapshot.
  Result<std::optional<StoryState>> restoreSnapshot() const;
  /// How many snapshots are kept; older ones are pruned.
  static constexpr int kMaxSnapshots = 50;

private:
  StatePaths paths_;
};

} // namespace recurrent::engine
