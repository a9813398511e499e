#include "engine/continuity/CheckCache.h"

#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace recurrent::engine::continuity {
using nlohmann::json;

namespace {

constexpr int kFormat = 1;

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

const char *severityName(FindingSeverity s) {
  switch (s) {
  case FindingSeverity::Warning: return "warning";
  case FindingSeverity::Information: return "information";
  case FindingSeverity::Hint: return "hint";
  }
  return "warning";
}

FindingSeverity severityFrom(const std::string &s) {
  if (s == "information")
    return FindingSeverity::Information;
  if (s == "hint")
    return FindingSeverity::Hint;
  return FindingSeverity::Warning;
}

const char *kindName(FindingSource::Kind k) {
  switch (k) {
  case FindingSource::Kind::BibleEntry: return "bible";
  case FindingSource::Kind::Fact: return "fact";
  case FindingSource::Kind::Paragraph: return "paragraph";
  }
  return "bible";
}

FindingSource::Kind kindFrom(const std::string &s) {
  if (s == "fact")
    return FindingSource::Kind::Fact;
  if (s == "paragraph")
    return FindingSource::Kind::Paragraph;
  return FindingSource::Kind::BibleEntry;
}

json toJson(const CachedFinding &f) {
  json sources = json::array();
  for (const auto &s : f.sources)
    sources.push_back({{"kind", kindName(s.kind)}, {"file", s.file.generic_string()}, {"line", s.line},
                       {"quote", s.quote}});
  json j = {{"code", f.code},       {"severity", severityName(f.severity)}, {"begin", f.begin},
            {"end", f.end},         {"message", f.message},                 {"sources", sources},
            {"entry", f.entry},     {"fingerprint", f.fingerprint}};
  if (f.replacement)
    j["replacement"] = *f.replacement;
  return j;
}

CachedFinding fromJson(const json &j) {
  CachedFinding f;
  f.code = j.at("code").get<std::string>();
  f.severity = severityFrom(j.at("severity").get<std::string>());
  f.begin = j.at("begin").get<std::size_t>();
  f.end = j.at("end").get<std::size_t>();
  f.message = j.at("message").get<std::string>();
  for (const auto &s : j.at("sources"))
    f.sources.push_back({kindFrom(s.at("kind").get<std::string>()), s.at("file").get<std::string>(),
                         s.at("line").get<std::uint32_t>(), s.at("quote").get<std::string>()});
  f.entry = j.value("entry", "");
  f.fingerprint = j.value("fingerprint", "");
  if (j.contains("replacement") && j["replacement"].is_string())
    f.replacement = j["replacement"].get<std::string>();
  return f;
}

} // namespace

std::string CheckKey::text() const { return hex(paragraph) + "-" + hex(bible) + "-" + hex(evidence); }

std::shared_ptr<CheckCache> CheckCache::open(std::filesystem::path file) {
  std::shared_ptr<CheckCache> cache(new CheckCache(file));
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    return cache;
  auto text = readFile(file);
  if (!text) {
    cache->corrupted_ = true;
    return cache;
  }
  try {
    json j = json::parse(*text);
    if (j.at("format").get<int>() != kFormat)
      throw std::runtime_error("format");
    for (const auto &[key, list] : j.at("paragraphs").items()) {
      std::vector<CachedFinding> findings;
      for (const auto &f : list)
        findings.push_back(fromJson(f));
      cache->entries_[key] = std::move(findings);
    }
  } catch (const std::exception &) {
    // A torn or hand-broken file: start over; the next save replaces it.
    cache->entries_.clear();
    cache->corrupted_ = true;
    cache->dirty_ = true;
  }
  return cache;
}

std::shared_ptr<CheckCache> CheckCache::inMemory() { return std::shared_ptr<CheckCache>(new CheckCache({})); }

std::optional<std::vector<CachedFinding>> CheckCache::find(const CheckKey &key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key.text());
  if (it == entries_.end())
    return std::nullopt;
  return it->second;
}

void CheckCache::put(const CheckKey &key, std::vector<CachedFinding> findings) {
  std::lock_guard lock(mutex_);
  entries_[key.text()] = std::move(findings);
  dirty_ = true;
}

std::size_t CheckCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

bool CheckCache::corrupted() const {
  std::lock_guard lock(mutex_);
  return corrupted_;
}

Status CheckCache::save() {
  std::string text;
  std::filesystem::path file;
  {
    std::lock_guard lock(mutex_);
    if (!dirty_ || file_.empty())
      return okStatus();
    json paragraphs = json::object();
    for (const auto &[key, list] : entries_) {
      json items = json::array();
      for (const auto &f : list)
        items.push_back(toJson(f));
      paragraphs[key] = std::move(items);
    }
    // FIXME: keys of text that left the book stay until the file is deleted; prune them by a book-wide check.
    text = json{{"format", kFormat}, {"paragraphs", paragraphs}}.dump(1, ' ', false,
                                                                       json::error_handler_t::replace) + "\n";
    file = file_;
    dirty_ = false;
  }
  if (auto s = writeFileAtomically(file, text); !s) {
    std::lock_guard lock(mutex_);
    dirty_ = true;
    return s;
  }
  return okStatus();
}

} // namespace recurrent::engine::continuity
