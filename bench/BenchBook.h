// BenchBook: which book a benchmark reads.
//
// The first argument, else RECURRENT_CORPUS/NAME, else the shared corpus beside the checkout. The
// corpus is read-only: a bench that lets the server write state copies the book first.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace recurrent::bench {

inline std::filesystem::path benchBook(int argc, char **argv, const char *name = "war-and-peace.txt") {
  if (argc > 1)
    return argv[1];
  if (const char *env = std::getenv("RECURRENT_CORPUS"))
    return std::filesystem::path(env) / name;
  return std::filesystem::path(RECURRENT_SOURCE_DIR "/../shared/corpus") / name;
}

} // namespace recurrent::bench
