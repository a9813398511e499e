#include "support/Files.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace recurrent {
namespace fs = std::filesystem;

namespace {
Error ioError(const std::string &what, const fs::path &path, int err) {
  return {ErrorKind::Io, what + " " + path.string() + ": " + std::strerror(err)};
}
} // namespace

Result<std::string> readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return ioError("cannot open", path, errno);
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad())
    return ioError("cannot read", path, errno);
  return out.str();
}

Status ensurePrivateDirectory(const fs::path &dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    return okStatus();
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    auto parent = ensurePrivateDirectory(dir.parent_path());
    if (!parent)
      return parent;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return ioError("cannot create folder", dir, errno);
  return okStatus();
}

Status writeFileAtomically(const fs::path &path, std::string_view contents) {
  if (path.has_parent_path()) {
    auto dir = ensurePrivateDirectory(path.parent_path());
    if (!dir)
      return dir;
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return ioError("cannot create", temp, errno);
  const char *p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return ioError("cannot write", path, err);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  int syncErr = ::fsync(fd) != 0 ? errno : 0;
  int closeErr = ::close(fd) != 0 ? errno : 0;
  if (syncErr || closeErr) {
    ::unlink(temp.c_str());
    return ioError("cannot flush", path, syncErr ? syncErr : closeErr);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return ioError("cannot replace", path, err);
  }
  return okStatus();
}

} // namespace recurrent
