// The word index on disk: a cache of LexicalIndex beside the long-term memory.
//
// Placing every paragraph of a novel with its neighbours takes a few hundred milliseconds;
// reading the postings back takes a few. The file (StatePaths::wordIndex()) holds a magic
// line, the digest of the memory entries the index was built from (memoryEntriesDigest),
// an XXH3 checksum of the rest, and LexicalIndex::serialise()'s bytes. It is only a cache:
// a missing, unreadable, corrupt or stale file (another digest) is not loaded, and the
// caller rebuilds the index from the manuscript, so the file can change speed, never results.
// Written atomically (writeFileAtomically), so a kill leaves the old file or the new one.
//
// Thread-safety: free functions; the index is internally synchronised.
#pragma once

#include "engine/memory/LexicalIndex.h"
#include "support/Error.h"

#include <cstdint>
#include <filesystem>

namespace recurrent::engine {

/// Writes `index` to `path` (atomically), recorded as built from `builtFrom`.
Status saveLexicalIndex(const std::filesystem::path &path, const LexicalIndex &index, std::uint64_t builtFrom);

/// Reads `path` into `index` when it is intact and was built from `builtFrom`. False when it is
/// missing, unreadable, corrupt or stale: `index` is then untouched, or empty if the bytes passed
/// the checksum but not the parser.
bool loadLexicalIndex(const std::filesystem::path &path, std::uint64_t builtFrom, LexicalIndex &index);

} // namespace recurrent::engine
