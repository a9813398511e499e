// The subcommands of the `recurrent` executable. Each lives in its own file and
// returns the process exit code (0 on success; non-zero after printing one line on stderr).
#pragma once

namespace recurrent::cli {

int runLsp(int argc, char **argv);    ///< recurrent lsp [--stdio] [--log-file F]
int runWrite(int argc, char **argv);  ///< recurrent write ...
int runIndex(int argc, char **argv);  ///< recurrent index FILE
int runSearch(int argc, char **argv); ///< recurrent search FILE QUERY [-k N]
int runState(int argc, char **argv);  ///< recurrent state FILE
int runBible(int argc, char **argv);  ///< recurrent bible FILE|DIR [--json]
int runCheck(int argc, char **argv);  ///< recurrent check DIR|FILE [--json]

/// argv[0..first) are the program and subcommand names.
} // namespace recurrent::cli
