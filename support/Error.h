// Error and Result: the one error vocabulary shared by every layer.
//
// No exception crosses a layer boundary: functions that can fail return
// Result<T>, which holds either a value or an Error with a kind the caller can
// act on (retry a Timeout, report an Http status, stop on Cancelled).
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <variant>

namespace recurrent {

enum class ErrorKind {
  Cancelled,   ///< the caller asked to stop
  Timeout,     ///< the peer stalled past the configured limit
  Network,     ///< could not connect, connection dropped, DNS, TLS
  Http,        ///< the server answered with a non-2xx status (see Error::httpStatus)
  BadAnswer,   ///< the model answered, but not in a usable shape
  Io,          ///< a file could not be read or written
  Corrupt,     ///< a file was read but its contents are not valid
  InvalidArgument,
  Config,      ///< missing or contradictory configuration
  Internal,
};

const char *errorKindName(ErrorKind kind);
/// Lets test frameworks print the kind (doctest 2.4.9 cannot stringify an enum class otherwise).
std::ostream &operator<<(std::ostream &out, ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  ///< one sentence a user can act on
  int httpStatus = 0;   ///< for ErrorKind::Http
  double retryAfterSeconds = -1; ///< from a Retry-After header, when present

  static Error cancelled() { return {ErrorKind::Cancelled, "cancelled"}; }
};

/// Either a T or an Error. Deliberately tiny: C++20 has no std::expected.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  T &operator*() { return value(); }
  const T &operator*() const { return value(); }
  const Error &error() const { return std::get<1>(v_); }

private:
  std::variant<T, Error> v_;
};

/// Result for operations that return nothing on success.
struct Ok {};
using Status = Result<Ok>;
inline Status okStatus() { return Ok{}; }

} // namespace recurrent
