#include "protocol/Uri.h"
#include "support/HexDigit.h"

namespace recurrent::protocol {

std::optional<std::filesystem::path> uriToPath(std::string_view uri) {
  constexpr std::string_view kScheme = "file://";
  if (uri.size() < kScheme.size() || uri.substr(0, kScheme.size()) != kScheme)
    return std::nullopt;
  std::string_view rest = uri.substr(kScheme.size());
  // Skip an authority ("localhost" or empty); the path starts at the next '/'.
  auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  rest = rest.substr(slash);
  std::string decoded;
  decoded.reserve(rest.size());
  for (std::size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '?' || c == '#')
      break;
    if (c == '%') {
      if (i + 2 >= rest.size())
        return std::nullopt;
      int hi = hexDigitValue(rest[i + 1]), lo = hexDigitValue(rest[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      decoded.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      continue;
    }
    decoded.push_back(c);
  }
  if (decoded.find('\0') != std::string::npos)
    return std::nullopt;
  return std::filesystem::path(decoded);
}

std::string pathToUri(const std::filesystem::path &path) {
  static const char *kHex = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : path.string()) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

} // namespace recurrent::protocol
