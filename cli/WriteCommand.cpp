// recurrent write: not built yet.
#include "cli/Commands.h"

#include <cstdio>

namespace recurrent::cli {

int runWrite(int, char **) {
  std::fputs("recurrent write: not available in this build yet\n", stderr);
  return 1;
}

} // namespace recurrent::cli
