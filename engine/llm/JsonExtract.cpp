#include "engine/llm/JsonExtract.h"
#include "engine/llm/Reasoning.h"
#include "support/JsonStringTracker.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <vector>

namespace recurrent::engine {

namespace {

using json = nlohmann::ordered_json; // keeps the model's key order in what we pass on

/// Parses an object, or nullopt (never throws; invalid UTF-8 is rejected by the parser too).
std::optional<json> parseObject(std::string_view text) {
  auto v = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object())
    return std::nullopt;
  return v;
}

/// The text with commas that directly precede "}" or "]" (outside strings) removed.
std::string withoutTrailingCommas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  JsonStringTracker strings;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!strings.inString(c) && c == ',') {
      size_t j = i + 1;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\n' || text[j] == '\r' || text[j] == '\t'))
        ++j;
      if (j < text.size() && (text[j] == '}' || text[j] == ']'))
        continue;
    }
    out.push_back(c);
  }
  return out;
}

std::optional<json> parseLenient(std::string_view text) {
  if (auto v = parseObject(text))
    return v;
  if (text.find(',') != std::string_view::npos)
    return parseObject(withoutTrailingCommas(text));
  return std::nullopt;
}

/// End (one past the closing brace) of the balanced object starting at `open`, skipping
/// braces inside strings; npos when the text ends first.
size_t matchingBrace(std::string_view text, size_t open) {
  int depth = 0;
  JsonStringTracker strings;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (strings.inString(c))
      continue;
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0)
        return i + 1;
    }
  }
  return std::string_view::npos;
}

/// The bodies of ``` fenced blocks, in order (the info string such as "json" is skipped).
std::vector<std::string_view> fencedBlocks(std::string_view text) {
  std::vector<std::string_view> blocks;
  size_t pos = 0;
  while (true) {
    auto open = text.find("```", pos);
    if (open == std::string_view::npos)
      break;
    auto bodyStart = text.find('\n', open + 3);
    if (bodyStart == std::string_view::npos)
      break;
    auto close = text.find("```", bodyStart + 1);
    if (close == std::string_view::npos) {
      blocks.push_back(text.substr(bodyStart + 1)); // an unclosed fence: the rest
      break;
    }
    blocks.push_back(text.substr(bodyStart + 1, close - bodyStart - 1));
    pos = close + 3;
  }
  return blocks;
}

/// The first object found by scanning for balanced braces; outermost first.
std::optional<json> scanForObject(std::string_view text) {
  constexpr int kMaxCandidates = 64; // bounds the work on hostile input
  int tried = 0;
  size_t pos = 0;
  while (tried < kMaxCandidates) {
    auto open = text.find('{', pos);
    if (open == std::string_view::npos)
      break;
    ++tried;
    auto end = matchingBrace(text, open);
    if (end != std::string_view::npos) {
      if (auto v = parseLenient(text.substr(open, end - open)))
        return v;
    }
    pos = open + 1;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// --- schema check -----------------------------------------------------------------------

std::string typeName(const json &v) {
  switch (v.type()) {
  case json::value_t::object: return "object";
  case json::value_t::array: return "array";
  case json::value_t::string: return "string";
  case json::value_t::boolean: return "boolean";
  case json::value_t::null: return "null";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned: return "integer";
  case json::value_t::number_float: return "number";
  default: return "unknown";
  }
}

bool hasType(const json &v, const std::string &type) {
  if (type == "number")
    return v.is_number();
  if (type == "integer")
    return v.is_number_integer() ||
           (v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>());
  return typeName(v) == type;
}

std::optional<std::string> check(const json &v, const json &schema, const std::string &path, int depth) {
  if (depth > 64)
    return path + ": nested too deeply";
  if (!schema.is_object())
    return std::nullopt; // `true` or an unsupported form: accept
  if (auto t = schema.find("type"); t != schema.end()) {
    bool ok = false;
    std::string wanted;
    if (t->is_string()) {
      ok = hasType(v, t->get<std::string>());
      wanted = t->get<std::string>();
    } else if (t->is_array()) {
      for (const auto &one : *t)
        if (one.is_string()) {
          ok = ok || hasType(v, one.get<std::string>());
          wanted += (wanted.empty() ? "" : " or ") + one.get<std::string>();
        }
    } else {
      ok = true;
    }
    if (!ok)
      return path + ": expected " + wanted + ", got " + typeName(v);
  }
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    bool found = false;
    for (const auto &one : *e)
      found = found || one == v;
    if (!found)
      return path + ": " + v.dump(-1, ' ', false, json::error_handler_t::replace) + " is not one of " +
             e->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (v.is_string()) {
    if (auto m = schema.find("minLength"); m != schema.end() && m->is_number_unsigned()) {
      // Counts code points, as JSON Schema does.
      size_t points = 0;
      for (unsigned char c : v.get_ref<const std::string &>())
        points += (c & 0xC0) != 0x80;
      if (points < m->get<size_t>())
        return path + ": expected at least " + std::to_string(m->get<size_t>()) + " characters";
    }
  }
  if (v.is_number()) {
    double x = v.get<double>();
    if (auto m = schema.find("minimum"); m != schema.end() && m->is_number() && x < m->get<double>())
      return path + ": " + v.dump() + " is below the minimum " + m->dump();
    if (auto m = schema.find("maximum"); m != schema.end() && m->is_number() && x > m->get<double>())
      return path + ": " + v.dump() + " is above the maximum " + m->dump();
  }
  if (v.is_array()) {
    if (auto m = schema.find("minItems"); m != schema.end() && m->is_number_unsigned() && v.size() < m->get<size_t>())
      return path + ": expected at least " + std::to_string(m->get<size_t>()) + " items, got " +
             std::to_string(v.size());
    if (auto m = schema.find("maxItems"); m != schema.end() && m->is_number_unsigned() && v.size() > m->get<size_t>())
      return path + ": expected at most " + std::to_string(m->get<size_t>()) + " items, got " +
             std::to_string(v.size());
    if (auto items = schema.find("items"); items != schema.end())
      for (size_t i = 0; i < v.size(); ++i)
        if (auto err = check(v[i], *items, path + "[" + std::to_string(i) + "]", depth + 1))
          return err;
  }
  if (v.is_object()) {
    if (auto req = schema.find("required"); req != schema.end() && req->is_array())
      for (const auto &name : *req)
        if (name.is_string() && !v.contains(name.get<std::string>()))
          return path + ": missing the required property \"" + name.get<std::string>() + "\"";
    if (auto props = schema.find("properties"); props != schema.end() && props->is_object())
      for (const auto &[name, sub] : props->items())
        if (auto it = v.find(name); it != v.end())
          if (auto err = check(*it, sub, path + "." + name, depth + 1))
            return err;
    // additionalProperties is deliberately not enforced: an extra field harms nothing,
    // and retrying for it would waste a call.
  }
  return std::nullopt;
}

} // namespace

Result<std::string> extractJsonObject(std::string_view answer) {
  // An answer that is one JSON object is the object, even with "</think>" inside one of its strings.
  if (auto whole = trim(answer); !whole.empty() && whole.front() == '{')
    if (auto found = parseLenient(whole))
      return found->dump(-1, ' ', false, json::error_handler_t::replace);
  // A draft object inside the reasoning is not the answer: only what follows it is searched.
  auto split = splitReasoning(answer);
  auto text = trim(split.answer);
  if (text.empty())
    return Error{ErrorKind::BadAnswer, "the answer is empty"};
  std::optional<json> found;
  if (text.front() == '{')
    found = parseLenient(text);
  if (!found)
    for (auto block : fencedBlocks(text))
      if ((found = parseLenient(trim(block))) || (found = scanForObject(block)))
        break;
  if (!found)
    found = scanForObject(text);
  if (!found)
    return Error{ErrorKind::BadAnswer, text.find('{') == std::string_view::npos
                                           ? "the answer holds no JSON object"
                                           : "the answer's JSON object is incomplete or malformed"};
  return found->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::string> checkJsonSchema(std::string_view jsonText, std::string_view schemaText) {
  auto schema = json::parse(schemaText.begin(), schemaText.end(), nullptr, false);
  if (schema.is_discarded())
    return std::string("the schema is not valid JSON");
  auto value = json::parse(jsonText.begin(), jsonText.end(), nullptr, false);
  if (value.is_discarded())
    return std::string("the answer is not valid JSON");
  return check(value, schema, "$", 0);
}

} // namespace recurrent::engine
