#include "cli/Args.h"

#include <cstdlib>
#include <sstream>

namespace recurrent::cli {

std::optional<std::string> Args::get(const std::string &name) const {
  auto it = values.find(name);
  if (it == values.end())
    return std::nullopt;
  return it->second;
}

std::string Args::getOr(const std::string &name, const std::string &fallback) const {
  return get(name).value_or(fallback);
}

Result<long> Args::getInt(const std::string &name, long fallback) const {
  auto v = get(name);
  if (!v)
    return fallback;
  char *end = nullptr;
  long n = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0')
    return Error{ErrorKind::InvalidArgument, "--" + name + " expects a whole number, got '" + *v + "'"};
  return n;
}

Result<double> Args::getDouble(const std::string &name, double fallback) const {
  auto v = get(name);
  if (!v)
    return fallback;
  char *end = nullptr;
  double d = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0')
    return Error{ErrorKind::InvalidArgument, "--" + name + " expects a number, got '" + *v + "'"};
  return d;
}

Result<Args> parseArgs(int argc, char **argv, int first, const std::vector<OptionSpec> &specs) {
  Args args;
  auto find = [&](const std::string &name) -> const OptionSpec * {
    for (const auto &s : specs)
      if (s.name == name)
        return &s;
    return nullptr;
  };
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      args.flags.insert("help");
      continue;
    }
    if (a == "--") {
      for (++i; i < argc; ++i)
        args.positionals.push_back(argv[i]);
      break;
    }
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      std::optional<std::string> inlineValue;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inlineValue = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const OptionSpec *spec = find(name);
      if (!spec)
        return Error{ErrorKind::InvalidArgument, "unknown option --" + name + " (see --help)"};
      if (!spec->takesValue) {
        if (inlineValue)
          return Error{ErrorKind::InvalidArgument, "--" + name + " takes no value"};
        args.flags.insert(name);
        continue;
      }
      if (inlineValue) {
        args.values[name] = *inlineValue;
      } else {
        if (i + 1 >= argc)
          return Error{ErrorKind::InvalidArgument, "--" + name + " needs a value"};
        args.values[name] = argv[++i];
      }
      continue;
    }
    args.positionals.push_back(a);
  }
  return args;
}

std::string describeOptions(const std::vector<OptionSpec> &specs) {
  std::ostringstream out;
  for (const auto &s : specs) {
    std::string left = "  --" + s.name + (s.takesValue ? " " + s.valueName : "");
    out << left;
    out << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << s.help << "\n";
  }
  return out.str();
}

const std::vector<OptionSpec> &backendOptionSpecs() {
  static const std::vector<OptionSpec> specs = {
      {"provider", true, "openai, anthropic or offline (env RECURRENT_PROVIDER)", "NAME"},
      {"base-url", true, "OpenAI-compatible server (env RECURRENT_BASE_URL)", "URL"},
      {"model", true, "chat model name (env RECURRENT_MODEL)", "NAME"},
      {"embed-model", true, "embedding model; default: built-in hashed embedder", "NAME"},
  };
  return specs;
}

} // namespace recurrent::cli
