// Tests' helpers: run the built binary with a chosen environment and limits; snapshot a folder.
//
// Header-only, so every test binary can use it.
// runBinary() forks and execs RECURRENT_BINARY with only the environment it is given (plus
// PATH and HOME), so a developer's RECURRENT_* or OPENAI_* variables never leak into a test.
// The child may get a file-size limit (a full disk, with SIGXFSZ ignored so writes fail with
// EFBIG instead of killing it) or drop to another user (root ignores folder permissions).
// Output goes to files in a folder of its own, outside the folder under test.
#pragma once

#include "support/Files.h"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace recurrent::test {

struct ProcessOptions {
  std::filesystem::path cwd;
  std::map<std::string, std::string> env;
  std::optional<long> fileSizeLimit;   ///< RLIMIT_FSIZE in bytes
  std::optional<uid_t> user;           ///< setuid (and setgid to the same id) before exec
};

struct ProcessResult {
  int exitCode = -1;   ///< -1 when killed by a signal
  int signal = 0;      ///< the signal that ended it, if any
  std::string out, err;
};

namespace detail {
namespace fs = std::filesystem;

/// Everything the child needs, built before fork (only async-signal-safe calls after it).
struct ChildPlan {
  std::vector<std::string> argStore, envStore;
  std::vector<char *> argv, envp;
  std::string cwd, outFile, errFile;
  const ProcessOptions *options = nullptr;
};

/// The binary another user can run: the build folder may sit in a private (0700) folder, such as a
/// clone in `mktemp -d`, so a copy goes to a world-readable folder (made once per test process).
inline std::string binaryForOtherUsers() {
  static const std::string copy = [] {
    std::string tmpl = (fs::temp_directory_path() / "recurrent-bin-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed");
    fs::path dir = tmpl, bin = dir / "recurrent";
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    fs::copy_file(RECURRENT_BINARY, bin);
    fs::permissions(bin, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    return bin.string();
  }();
  return copy;
}

inline ChildPlan plan(const std::vector<std::string> &args, const ProcessOptions &options, const fs::path &outFile,
               const fs::path &errFile) {
  ChildPlan p;
  p.argStore.push_back(options.user ? binaryForOtherUsers() : std::string(RECURRENT_BINARY));
  p.argStore.insert(p.argStore.end(), args.begin(), args.end());
  std::map<std::string, std::string> env = options.env;
  for (const char *keep : {"PATH", "HOME", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"})
    if (const char *v = std::getenv(keep); v && !env.count(keep))
      env[keep] = v;
  for (const auto &[k, v] : env)
    p.envStore.push_back(k + "=" + v);
  for (auto &s : p.argStore)
    p.argv.push_back(s.data());
  p.argv.push_back(nullptr);
  for (auto &s : p.envStore)
    p.envp.push_back(s.data());
  p.envp.push_back(nullptr);
  p.cwd = options.cwd.string();
  p.outFile = outFile.string();
  p.errFile = errFile.string();
  p.options = &options;
  return p;
}

[[noreturn]] inline void becomeChild(const ChildPlan &p) {
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(p.outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = ::open(p.errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0)
    ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) != 0)
    ::_exit(126);
  if (p.options->fileSizeLimit) {
    ::signal(SIGXFSZ, SIG_IGN); // an ignored disposition survives exec: writes fail with EFBIG
    rlimit limit{static_cast<rlim_t>(*p.options->fileSizeLimit), static_cast<rlim_t>(*p.options->fileSizeLimit)};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
      ::_exit(126);
  }
  if (p.options->user) {
    if (::setgid(*p.options->user) != 0 || ::setuid(*p.options->user) != 0)
      ::_exit(126);
  }
  ::execve(p.argv[0], p.argv.data(), p.envp.data());
  ::_exit(127);
}

inline std::string readOr(const fs::path &path, const std::string &fallback) {
  auto bytes = readFile(path);
  return bytes ? std::move(bytes.value()) : fallback;
}

} // namespace detail

inline pid_t startBinary(const std::vector<std::string> &args, const ProcessOptions &options,
                         const std::filesystem::path &outFile, const std::filesystem::path &errFile) {
  detail::ChildPlan p = detail::plan(args, options, outFile, errFile);
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0)
    detail::becomeChild(p);
  return pid;
}

inline int waitChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

inline ProcessResult runBinary(const std::vector<std::string> &args, const ProcessOptions &options) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "recurrent-out-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  std::filesystem::path outDir = tmpl;
  std::filesystem::permissions(outDir, std::filesystem::perms::all); // a dropped user must be able to write its output
  int code = waitChild(startBinary(args, options, outDir / "out", outDir / "err"));
  ProcessResult r;
  if (code < 0)
    r.signal = -code;
  else
    r.exitCode = code;
  r.out = detail::readOr(outDir / "out", "");
  r.err = detail::readOr(outDir / "err", "");
  std::error_code ec;
  std::filesystem::remove_all(outDir, ec);
  return r;
}

inline std::map<std::string, std::string> snapshot(const std::filesystem::path &root, const std::string &skip = {}) {
  std::map<std::string, std::string> files;
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::recursive_directory_iterator(); ++it) {
    std::string rel = std::filesystem::relative(it->path(), root).string();
    if (!skip.empty() && rel == skip) {
      it.disable_recursion_pending();
      continue;
    }
    // The writer lock names its holder's pid: who held it last is not part of the story.
    if (it->path().filename() == "lock" && rel.find(".recurrent") != std::string::npos)
      continue;
    if (it->is_regular_file())
      files[rel] = detail::readOr(it->path(), "<unreadable>");
    else
      files[rel] = "<" + std::string(it->is_directory() ? "dir" : "other") + ">";
  }
  return files;
}

} // namespace recurrent::test
