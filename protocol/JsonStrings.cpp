// Fast handling of long JSON string literals (see JsonStrings.h).
#include "protocol/JsonStrings.h"
#include "support/HexDigit.h"
#include "support/Utf8.h"

#include <cstdint>

namespace recurrent::protocol {
namespace {

/// The 4 hex digits at `p` (bounds checked by the caller), or -1.
long hex4(const char *p) {
  long v = 0;
  for (int i = 0; i < 4; ++i) {
    int h = hexDigitValue(p[i]);
    if (h < 0)
      return -1;
    v = v * 16 + h;
  }
  return v;
}

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629, as nlohmann checks it), or 0.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(k) >= lo && byte(k) <= hi; };
  unsigned c = byte(i);
  if (c >= 0xC2 && c <= 0xDF)
    return cont(i + 1) ? 2 : 0;
  if (c == 0xE0)
    return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED)
    return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0)
    return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3)
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4)
    return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

} // namespace

JsonScan scanJson(std::string_view text, std::size_t minLength) {
  JsonScan scan;
  std::size_t depth = 0;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[i];
    if (c == '"') {
      std::size_t begin = i++;
      // Skip to the closing quote; an escape skips the character after the backslash.
      while (i < n && text[i] != '"') {
        if (text[i] == '\\')
          ++i;
        ++i;
      }
      if (i >= n)
        break; // unterminated: nlohmann reports it
      if (minLength > 0 && i + 1 - begin >= minLength + 2)
        scan.longStrings.push_back({begin, i + 1});
    } else if (c == '{' || c == '[') {
      if (++depth > scan.depth)
        scan.depth = depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return scan;
}

std::optional<std::string> decodeJsonString(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"')
    return std::nullopt;
  std::string_view s = quoted.substr(1, quoted.size() - 2);
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0, run = 0; // bytes [run, i) are copied as they are
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '\\' && c != '"') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t len = utf8Length(s, i);
      if (len == 0)
        return std::nullopt;
      i += len;
      continue;
    }
    if (c != '\\')
      return std::nullopt; // a control character or a quote inside: not a valid literal
    out.append(s.data() + run, i - run);
    if (i + 1 >= s.size())
      return std::nullopt;
    char e = s[i + 1];
    i += 2;
    switch (e) {
    case '"': out += '"'; break;
    case '\\': out += '\\'; break;
    case '/': out += '/'; break;
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'u': {
      if (i + 4 > s.size())
        return std::nullopt;
      long cp = hex4(s.data() + i);
      i += 4;
      if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return std::nullopt; // a low surrogate first
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u')
          return std::nullopt;
        long low = hex4(s.data() + i + 2);
        if (low < 0xDC00 || low > 0xDFFF)
          return std::nullopt;
        i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      utf8::append(out, static_cast<char32_t>(cp));
      break;
    }
    default:
      return std::nullopt;
    }
    run = i;
  }
  out.append(s.data() + run, i - run);
  return out;
}

std::optional<nlohmann::json> parseJsonWithLongStrings(std::string_view body, const std::vector<StringSpan> &spans) {
  using nlohmann::json;
  static constexpr std::string_view kPrefix("\0recurrent:", 11); // NUL + "recurrent:"
  std::vector<std::string> values;
  values.reserve(spans.size());
  std::string reduced;
  std::size_t at = 0;
  auto copy = [&](std::size_t end) {
    std::string_view part = body.substr(at, end - at);
    if (part.find("\\u0000") != std::string_view::npos)
      return false;
    reduced.append(part);
    return true;
  };
  for (const auto &span : spans) {
    auto value = decodeJsonString(body.substr(span.begin, span.end - span.begin));
    if (!value || !copy(span.begin))
      return std::nullopt;
    reduced += "\"\\u0000recurrent:" + std::to_string(values.size()) + "\"";
    values.push_back(std::move(*value));
    at = span.end;
  }
  if (!copy(body.size()))
    return std::nullopt;
  json tree = json::parse(reduced, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded())
    return std::nullopt;
  std::vector<json *> slots(values.size(), nullptr);
  bool ok = true;
  auto placeholder = [&](const std::string &s) -> std::optional<std::size_t> {
    if (s.size() <= kPrefix.size() || s.compare(0, kPrefix.size(), kPrefix) != 0)
      return std::nullopt;
    std::size_t index = 0;
    for (char c : std::string_view(s).substr(kPrefix.size())) {
      if (c < '0' || c > '9' || index > values.size())
        return values.size(); // not one of ours: out of range
      index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    return index;
  };
  auto visit = [&](auto &self, json &node) -> void {
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end() && ok; ++it) {
        ok = !placeholder(it.key());
        self(self, it.value());
      }
    } else if (node.is_array()) {
      for (auto &item : node)
        self(self, item);
    } else if (node.is_string()) {
      if (auto index = placeholder(node.get_ref<const std::string &>())) {
        if (*index >= values.size() || slots[*index])
          ok = false;
        else
          slots[*index] = &node;
      }
    }
  };
  visit(visit, tree);
  if (!ok)
    return std::nullopt;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (!slots[i])
      return std::nullopt;
    *slots[i] = std::move(values[i]);
  }
  return tree;
}

} // namespace recurrent::protocol
