// recurrent search: not built yet.
#include "cli/Commands.h"

#include <cstdio>

namespace recurrent::cli {

int runSearch(int, char **) {
  std::fputs("recurrent search: not available in this build yet\n", stderr);
  return 1;
}

} // namespace recurrent::cli
