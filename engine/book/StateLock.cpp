#include "engine/book/StateLock.h"

#include "support/Files.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace recurrent::engine {
namespace {

Error lockError(const std::string &what, const std::filesystem::path &path, int err) {
  return {ErrorKind::Io, what + " " + path.string() + ": " + std::strerror(err)};
}

/// The holder's self-description, read from the file it wrote (best effort).
std::string describeHolder(int fd) {
  char buf[256];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text.empty() ? "another recurrent process" : text;
}

} // namespace

Result<StateLock::Attempt> StateLock::tryAcquire(const std::filesystem::path &stateDir, std::string_view role) {
  if (auto made = ensurePrivateDirectory(stateDir); !made)
    return made.error();
  auto path = stateDir / kFileName;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return lockError("cannot open the lock", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return lockError("cannot lock", path, err);
    }
    Attempt held;
    held.holder = describeHolder(fd);
    ::close(fd);
    return held;
  }
  std::string me = "process " + std::to_string(::getpid()) + " (" + std::string(role) + ")\n";
  // Informative only: a failure to write the name does not lose the lock.
  if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, me.data(), me.size(), 0) < 0)
    me.clear();
  Attempt won;
  won.lock.reset(new StateLock(stateDir, fd));
  return won;
}

Result<std::unique_ptr<StateLock>> StateLock::acquire(const std::filesystem::path &stateDir, std::string_view role,
                                                      const CancelToken &cancel,
                                                      const std::function<void(const std::string &)> &onWait,
                                                      std::chrono::milliseconds poll) {
  bool told = false;
  while (true) {
    auto attempt = tryAcquire(stateDir, role);
    if (!attempt)
      return attempt.error();
    if (attempt->lock)
      return std::move(attempt->lock);
    if (!told && onWait) {
      onWait(attempt->holder);
      told = true;
    }
    if (cancel.cancelled())
      return Error::cancelled();
    std::this_thread::sleep_for(poll);
  }
}

StateLock::~StateLock() {
  if (fd_ >= 0)
    ::close(fd_); // releases the flock
}

} // namespace recurrent::engine
