// recurrent lsp: not built yet.
#include "cli/Commands.h"

#include <cstdio>

namespace recurrent::cli {

int runLsp(int, char **) {
  std::fputs("recurrent lsp: not available in this build yet\n", stderr);
  return 1;
}

} // namespace recurrent::cli
