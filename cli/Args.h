// A small command-line parser for the subcommands: `--name value`, `--name=value`,
// boolean `--flag`, and positionals. Unknown options are an error naming the option.
#pragma once

#include "support/Error.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace recurrent::cli {

struct OptionSpec {
  std::string name;        ///< without the leading "--"
  bool takesValue = true;
  std::string help;        ///< one line for --help
  std::string valueName = "VALUE";
};

struct Args {
  std::vector<std::string> positionals;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool has(const std::string &name) const { return values.count(name) || flags.count(name); }
  std::optional<std::string> get(const std::string &name) const;
  std::string getOr(const std::string &name, const std::string &fallback) const;
  /// Integer option; an unparsable value is an error naming the option.
  Result<long> getInt(const std::string &name, long fallback) const;
  Result<double> getDouble(const std::string &name, double fallback) const;
};

/// Parses argv[first..argc). `-h` is accepted as `--help`.
Result<Args> parseArgs(int argc, char **argv, int first, const std::vector<OptionSpec> &specs);

/// "  --name VALUE   help" lines for a usage message.
std::string describeOptions(const std::vector<OptionSpec> &specs);

/// The backend options shared by every subcommand that talks to a model.
const std::vector<OptionSpec> &backendOptionSpecs();

} // namespace recurrent::cli
