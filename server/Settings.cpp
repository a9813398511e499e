// Parsing the `recurrent` settings section (see Settings.h).
#include "server/Settings.h"

namespace recurrent::server {
namespace {

template <typename T>
void read(const nlohmann::json &section, const char *name, std::optional<T> &out, std::vector<std::string> &warnings,
          bool (nlohmann::json::*check)() const noexcept, const char *expected) {
  auto it = section.find(name);
  if (it == section.end() || it->is_null())
    return;
  if (!((*it).*check)()) {
    warnings.push_back(std::string("recurrent.") + name + ": expected " + expected + ", got " + it->dump());
    return;
  }
  out = it->get<T>();
}

} // namespace

Settings parseSettings(const nlohmann::json &section, std::vector<std::string> &warnings) {
  Settings s;
  if (section.is_null())
    return s;
  if (!section.is_object()) {
    warnings.push_back("recurrent: expected an object of settings, got " + section.dump());
    return s;
  }
  using J = nlohmann::json;
  read(section, "provider", s.provider, warnings, &J::is_string, "a string");
  read(section, "baseUrl", s.baseUrl, warnings, &J::is_string, "a string");
  read(section, "model", s.model, warnings, &J::is_string, "a string");
  read(section, "embedModel", s.embedModel, warnings, &J::is_string, "a string");
  read(section, "topK", s.topK, warnings, &J::is_number_integer, "an integer");
  read(section, "temperature", s.temperature, warnings, &J::is_number, "a number");
  read(section, "contextTokens", s.contextTokens, warnings, &J::is_number_integer, "an integer");
  read(section, "language", s.language, warnings, &J::is_string, "a string");
  read(section, "streaming", s.streaming, warnings, &J::is_boolean, "a boolean");
  read(section, "autoAdopt", s.autoAdopt, warnings, &J::is_boolean, "a boolean");
  read(section, "confirmLocal", s.confirmLocal, warnings, &J::is_boolean, "a boolean");
  read(section, "checkAfterStep", s.checkAfterStep, warnings, &J::is_boolean, "a boolean");
  read(section, "checkOnSave", s.checkOnSave, warnings, &J::is_boolean, "a boolean");
  read(section, "confirmSummariesAbove", s.confirmSummariesAbove, warnings, &J::is_number_integer, "an integer");
  read(section, "undoStepWithText", s.undoStepWithText, warnings, &J::is_string, "a string");
  read(section, "automaticGhostText", s.automaticGhostText, warnings, &J::is_boolean, "a boolean");
  read(section, "bibleShare", s.bibleShare, warnings, &J::is_number, "a number");
  if (s.bibleShare && !(*s.bibleShare >= 0 && *s.bibleShare <= 1)) {
    warnings.push_back("recurrent.bibleShare: expected a share from 0 to 1 (0.25 is a quarter of the prompt), got " +
                       std::to_string(*s.bibleShare));
    s.bibleShare.reset();
  }
  if (s.undoStepWithText && *s.undoStepWithText != "ask" && *s.undoStepWithText != "always" &&
      *s.undoStepWithText != "never") {
    warnings.push_back("recurrent.undoStepWithText: expected \"ask\", \"always\" or \"never\", got \"" +
                       *s.undoStepWithText + "\"");
    s.undoStepWithText.reset();
  }
  if (s.provider && *s.provider != "openai" && *s.provider != "anthropic" && *s.provider != "offline") {
    warnings.push_back("recurrent.provider: expected \"openai\", \"anthropic\" or \"offline\", got \"" + *s.provider + "\"");
    s.provider.reset();
  }
  if (section.contains("apiKey"))
    warnings.push_back("recurrent.apiKey is ignored: pass the key as RECURRENT_API_KEY in the server's environment");
  return s;
}

bool Settings::sameSession(const Settings &o) const {
  return provider == o.provider && baseUrl == o.baseUrl && model == o.model && embedModel == o.embedModel &&
         topK == o.topK && temperature == o.temperature && contextTokens == o.contextTokens &&
         bibleShare == o.bibleShare;
}

} // namespace recurrent::server
