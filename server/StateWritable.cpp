#include "server/StateWritable.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace recurrent::server {

Status checkStateWritable(const std::filesystem::path &stateDir) {
  std::filesystem::path probe = stateDir;
  std::error_code ec;
  while (!probe.empty() && !std::filesystem::exists(probe, ec) && probe != probe.parent_path())
    probe = probe.parent_path();
  if (probe.empty())
    return okStatus();
  if (::access(probe.c_str(), W_OK | X_OK) == 0)
    return okStatus();
  int err = errno;
  std::string where = probe == stateDir ? "the story's state folder " + stateDir.string()
                                        : stateDir.string() + " (its folder " + probe.string() + ")";
  return Error{ErrorKind::Io, "cannot write " + where + ": " + std::strerror(err) +
                                  "; nothing was sent to the model. Make the folder writable, or copy the "
                                  "manuscript to a folder you can write"};
}

} // namespace recurrent::server
