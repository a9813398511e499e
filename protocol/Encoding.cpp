// UTF-8 / UTF-16 / UTF-32 column conversion (see Encoding.h).
#include "protocol/Encoding.h"

namespace recurrent::protocol {
namespace {

/// Length of the valid UTF-8 sequence at line[i], or 1 for a bad byte.
std::size_t charLength(std::string_view line, std::size_t i) {
  std::size_t n = utf8SequenceLength(static_cast<unsigned char>(line[i]));
  if (i + n > line.size())
    return 1;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(line[i + k]) & 0xC0) != 0x80)
      return 1;
  return n;
}

std::uint32_t unitsOf(std::size_t byteLength, PositionEncoding encoding) {
  switch (encoding) {
  case PositionEncoding::Utf8:
    return static_cast<std::uint32_t>(byteLength);
  case PositionEncoding::Utf16:
    return byteLength == 4 ? 2 : 1;
  case PositionEncoding::Utf32:
    return 1;
  }
  return 1;
}

} // namespace

std::size_t utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80)
    return 1;
  if ((lead & 0xE0) == 0xC0 && lead >= 0xC2)
    return 2;
  if ((lead & 0xF0) == 0xE0)
    return 3;
  if ((lead & 0xF8) == 0xF0 && lead <= 0xF4)
    return 4;
  return 1;
}

std::string_view encodingName(PositionEncoding encoding) {
  switch (encoding) {
  case PositionEncoding::Utf8:
    return "utf-8";
  case PositionEncoding::Utf16:
    return "utf-16";
  case PositionEncoding::Utf32:
    return "utf-32";
  }
  return "utf-16";
}

std::optional<PositionEncoding> parseEncoding(std::string_view name) {
  if (name == "utf-8")
    return PositionEncoding::Utf8;
  if (name == "utf-16")
    return PositionEncoding::Utf16;
  if (name == "utf-32")
    return PositionEncoding::Utf32;
  return std::nullopt;
}

std::size_t columnToByte(std::string_view line, std::uint32_t column, PositionEncoding encoding) {
  std::size_t i = 0;
  std::uint32_t units = 0;
  while (i < line.size()) {
    std::size_t n = charLength(line, i);
    std::uint32_t u = unitsOf(n, encoding);
    if (units + u > column)
      break; // the column is at or inside this character: round down to its start
    units += u;
    i += n;
  }
  return i;
}

std::uint32_t byteToColumn(std::string_view line, std::size_t byte, PositionEncoding encoding) {
  if (byte > line.size())
    byte = line.size();
  if (encoding == PositionEncoding::Utf8)
    return static_cast<std::uint32_t>(byte);
  std::size_t i = 0;
  std::uint32_t units = 0;
  while (i < byte) {
    std::size_t n = charLength(line, i);
    units += unitsOf(n, encoding);
    i += n;
  }
  return units;
}

} // namespace recurrent::protocol
