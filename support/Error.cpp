#include "support/Error.h"

#include <ostream>

namespace recurrent {

const char *errorKindName(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::Cancelled: return "cancelled";
  case ErrorKind::Timeout: return "timeout";
  case ErrorKind::Network: return "network";
  case ErrorKind::Http: return "http";
  case ErrorKind::BadAnswer: return "bad answer";
  case ErrorKind::Io: return "io";
  case ErrorKind::Corrupt: return "corrupt";
  case ErrorKind::InvalidArgument: return "invalid argument";
  case ErrorKind::Config: return "config";
  case ErrorKind::Internal: return "internal";
  }
  return "unknown";
}

std::ostream &operator<<(std::ostream &out, ErrorKind kind) { return out << errorKindName(kind); }

} // namespace recurrent
