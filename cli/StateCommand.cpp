// recurrent state: not built yet.
#include "cli/Commands.h"

#include <cstdio>

namespace recurrent::cli {

int runState(int, char **) {
  std::fputs("recurrent state: not available in this build yet\n", stderr);
  return 1;
}

} // namespace recurrent::cli
