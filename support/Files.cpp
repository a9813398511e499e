#include "support/Files.h"

#include <algorithm>
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
  // One read() per chunk into a buffer sized from fstat: a stream copy through a growing
  // stringbuf costs tens of milliseconds on the memory's multi-megabyte caches.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ioError("cannot open", path, errno);
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    out.reserve(static_cast<std::size_t>(st.st_size));
  char chunk[1 << 16];
  for (;;) {
    std::size_t room = out.capacity() - out.size();
    ssize_t n;
    if (room >= sizeof chunk) { // read straight into the string's spare capacity
      std::size_t at = out.size();
      out.resize(out.capacity());
      n = ::read(fd, out.data() + at, room);
      out.resize(at + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    } else {
      n = ::read(fd, chunk, sizeof chunk);
      if (n > 0)
        out.append(chunk, static_cast<std::size_t>(n));
    }
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      return ioError("cannot read", path, err);
    }
  }
  ::close(fd);
  return out;
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

namespace {
/// A name beside `path` for a file that is renamed onto it once complete.
fs::path temporaryBeside(const fs::path &path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000);
  return temp;
}
} // namespace

Status writeFileAtomically(const fs::path &path, std::string_view contents) {
  if (path.has_parent_path()) {
    auto dir = ensurePrivateDirectory(path.parent_path());
    if (!dir)
      return dir;
  }
  fs::path temp = temporaryBeside(path);
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

Status hardLinkAtomically(const fs::path &existing, const fs::path &link) {
  struct stat st {};
  if (::lstat(existing.c_str(), &st) != 0)
    return ioError("cannot link", existing, errno);
  if (!S_ISREG(st.st_mode)) // a symlink or a folder would make `link` follow whatever it points to later
    return ioError("cannot link", existing, EINVAL);
  if (link.has_parent_path()) {
    auto dir = ensurePrivateDirectory(link.parent_path());
    if (!dir)
      return dir;
  }
  fs::path temp = temporaryBeside(link);
  if (::link(existing.c_str(), temp.c_str()) != 0)
    return ioError("cannot link", existing, errno);
  int renameErr = ::rename(temp.c_str(), link.c_str()) != 0 ? errno : 0;
  // rename() does nothing when `link` already names the same file: the temporary name
  // is then still there. After a real rename it is gone, and this unlink is a no-op.
  ::unlink(temp.c_str());
  if (renameErr)
    return ioError("cannot replace", link, renameErr);
  return okStatus();
}

} // namespace recurrent
