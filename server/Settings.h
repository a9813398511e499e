// Settings: the `recurrent.*` editor settings as a plain struct the engine can consume.
//
// Pulled with `workspace/configuration` (section `recurrent`, per document scopeUri) and refreshed on
// `workspace/didChangeConfiguration`. Absent fields stay unset so the engine's own defaults (flags,
// environment) apply. The API key is never a setting: a `recurrent.apiKey` field is ignored with a
// warning. Thread-safety: plain values.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace recurrent::server {

struct Settings {
  std::optional<std::string> provider; ///< "openai" | "anthropic" | "offline"
  std::optional<std::string> baseUrl;
  std::optional<std::string> model;
  std::optional<std::string> embedModel;
  std::optional<int> topK;
  std::optional<double> temperature;
  std::optional<int> contextTokens;
  std::optional<std::string> language; ///< empty: detect
  std::optional<bool> streaming;
  /// Opening a file with no story state adopts it (off: a file becomes a story only on the writer's word).
  std::optional<bool> autoAdopt;
  /// Indexing that would summarise more new paragraphs than this with a paid model asks first (0: never asks).
  std::optional<int> confirmSummariesAbove;
  /// The cost question is asked for a model on this machine too (it may take hours), as the CLI's --confirm-local.
  std::optional<bool> confirmLocal;
  /// When a committed step's text leaves the manuscript (the editor's undo): "ask" (default),
  /// "always" (undo the step in the memory too) or "never".
  std::optional<std::string> undoStepWithText;
  /// Ghost text the editor asks for on its own (inlineCompletion triggerKind 2) calls the model only
  /// when true; an explicit request always does.
  std::optional<bool> automaticGhostText;
  /// The model's continuity check of each paragraph recurrent writes, when a model is configured (default on).
  std::optional<bool> checkAfterStep;
  /// The model's continuity check of a story chapter's changed paragraphs when it is saved (default off).
  std::optional<bool> checkOnSave;
  /// The story bible's share of a prompt, 0 to 1 (engine default 0.25).
  std::optional<double> bibleShare;
  bool operator==(const Settings &) const = default;
  /// The fields a story session is opened with (a change reopens it; autoAdopt and the threshold do not).
  bool sameSession(const Settings &other) const;
};

/// Reads the `recurrent` section (an object, or null for "nothing set"). Fields of the wrong type
/// are skipped; each becomes one line in `warnings` naming the field.
Settings parseSettings(const nlohmann::json &section, std::vector<std::string> &warnings);

} // namespace recurrent::server
