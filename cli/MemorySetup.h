// What `recurrent index` and `recurrent search` share: choosing the summarizer and
// embedder from the options, opening a manuscript's memory, and refreshing it with
// a progress line on a terminal and Ctrl-C turned into a clean cancellation.
#pragma once

#include "cli/Args.h"
#include "engine/StatePaths.h"
#include "engine/manuscript/Manuscript.h"
#include "engine/memory/Embedder.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/memory/MemoryIndexer.h"
#include "engine/memory/Summarizer.h"

#include <memory>
#include <string>
#include <vector>

namespace recurrent::cli {

/// The options both commands take (besides --json and --help).
std::vector<OptionSpec> memoryOptionSpecs();

struct MemorySession {
  std::string file;
  engine::Manuscript manuscript;
  std::shared_ptr<engine::Embedder> embedder;
  std::unique_ptr<engine::Summarizer> summarizer;
  std::unique_ptr<engine::LongTermMemory> memory;
};

/// Reads the manuscript and opens its memory with the backends the options ask for.
Result<MemorySession> openMemorySession(const std::string &file, const Args &args);

/// Brings the memory up to date. On a terminal (stderr), shows a progress line when the
/// work takes a while. Ctrl-C cancels; the work done so far stays saved.
Result<engine::IndexReport> refreshMemory(MemorySession &session);

/// "recurrent <command>: <message>" on stderr.
void printError(const char *command, const std::string &message);

} // namespace recurrent::cli
