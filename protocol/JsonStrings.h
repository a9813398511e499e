// Fast handling of long JSON string literals (a whole manuscript in didOpen), beside nlohmann.
//
// nlohmann's lexer reads a string one character at a time (~30 ns a byte): a 3 MB didOpen spent
// over 100 ms there. scanJson() walks a body once for the nesting depth and the spans of long
// string literals; decodeJsonString() decodes such a literal in bulk. It accepts exactly what
// nlohmann accepts or gives up (nullopt): any doubt (a control character, a lone surrogate,
// invalid UTF-8) sends the caller back to nlohmann, so results never differ, only speed.
// Thread-safe: pure functions over bytes (fuzzed through parseMessage).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::protocol {

/// A string literal in a body: [begin, end) covers its quotes.
struct StringSpan {
  std::size_t begin = 0, end = 0;
};

struct JsonScan {
  std::size_t depth = 0;               ///< deepest nesting of arrays and objects
  std::vector<StringSpan> longStrings; ///< literals of at least `minLength` bytes, in order
};

/// One pass over `text` (not validated: a malformed body still gets an answer, and nlohmann
/// reports the error). `minLength` 0 collects nothing.
JsonScan scanJson(std::string_view text, std::size_t minLength);

/// The value of the literal `quoted` (quotes included), or nullopt if it is malformed or holds
/// anything nlohmann would reject.
std::optional<std::string> decodeJsonString(std::string_view quoted);

/// `body` parsed by nlohmann with its long literals (`spans`, from scanJson) cut out and decoded
/// by decodeJsonString(), or nullopt when that cannot give nlohmann's exact result (the caller
/// then parses the whole body). Each literal is replaced by the placeholder string
/// "\0recurrent:N" and put back into the tree. No other string can equal a placeholder: the rest
/// of the body holds no \u0000 escape (else nullopt), and a placeholder found as a key, twice, or
/// not at all (a duplicate key overwrote it) gives nullopt too.
std::optional<nlohmann::json> parseJsonWithLongStrings(std::string_view body, const std::vector<StringSpan> &spans);

} // namespace recurrent::protocol
