// Column conversion between UTF-8 bytes and LSP position units (UTF-8, UTF-16 or UTF-32).
//
// LSP positions count columns in the encoding negotiated at `initialize` (UTF-16 unless the client
// offers another); the manuscript model counts bytes. These pure functions convert within one line.
// Invalid UTF-8 counts one unit per bad byte, so conversion never fails. A UTF-16 column that falls
// inside a surrogate pair rounds down to the character's first byte. Thread-safe (pure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace recurrent::protocol {

enum class PositionEncoding { Utf8, Utf16, Utf32 };

/// "utf-8", "utf-16" or "utf-32", as LSP spells them.
std::string_view encodingName(PositionEncoding encoding);
std::optional<PositionEncoding> parseEncoding(std::string_view name);

/// The byte offset within `line` of `column` units; past-the-end columns clamp to the line's length.
std::size_t columnToByte(std::string_view line, std::uint32_t column, PositionEncoding encoding);

/// The column (in `encoding` units) of byte offset `byte` within `line` (clamped to the line).
std::uint32_t byteToColumn(std::string_view line, std::size_t byte, PositionEncoding encoding);

/// Length of a UTF-8 sequence from its lead byte (1 for an invalid lead byte).
std::size_t utf8SequenceLength(unsigned char lead);

} // namespace recurrent::protocol
