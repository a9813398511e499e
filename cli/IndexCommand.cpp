// recurrent index: not built yet.
#include "cli/Commands.h"

#include <cstdio>

namespace recurrent::cli {

int runIndex(int, char **) {
  std::fputs("recurrent index: not available in this build yet\n", stderr);
  return 1;
}

} // namespace recurrent::cli
