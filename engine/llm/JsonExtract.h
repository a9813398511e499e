// Tolerant extraction of the JSON object in a model's answer, and a small JSON-Schema check.
//
// Models asked for JSON often wrap it: code fences (with or without "json"), a sentence
// before or after, trailing commas. extractJsonObject() finds the object anyway;
// checkJsonSchema() then checks it against the subset of JSON Schema our prompts use
// (type, properties, required, items, minItems/maxItems, minLength, minimum/maximum,
// enum), so an answer that breaks the schema is retried instead of half-used. Both are
// pure functions over bytes (fuzzed); neither throws.
//
// Thread-safety: pure functions.
#pragma once

#include "support/Error.h"

#include <optional>
#include <string>
#include <string_view>

namespace recurrent::engine {

/// The first usable JSON object in `answer`, re-serialised compactly (UTF-8 kept as is).
/// A leading <think> block (or text before a lone </think>) is reasoning and never searched.
/// Fails with ErrorKind::BadAnswer and a short reason when there is none.
Result<std::string> extractJsonObject(std::string_view answer);

/// Checks the JSON document `json` against `schema` (both JSON text). Returns nullopt when
/// it conforms, else one message naming the first offending place ("$.plans: expected at
/// least 3 items, got 2"). An unreadable schema is reported as a message too.
std::optional<std::string> checkJsonSchema(std::string_view json, std::string_view schema);

} // namespace recurrent::engine
