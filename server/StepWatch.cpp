#include "server/StepWatch.h"

#include <algorithm>

namespace recurrent::server {

namespace {

/// How much of each end of the paragraph must survive: long enough to be unique in a book, short
/// enough that a word edited in the middle of a paragraph keeps both ends intact.
constexpr std::size_t kEndBytes = 48;

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

/// Moves `at` forward to the start of a UTF-8 sequence.
std::size_t codepointStart(std::string_view s, std::size_t at) {
  while (at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80)
    ++at;
  return at;
}

} // namespace

void StepWatch::committed(const std::string &uri, long step, std::string paragraph) {
  watched_[uri] = Watched{step, std::move(paragraph), false};
}

void StepWatch::forget(const std::string &uri) { watched_.erase(uri); }

bool StepWatch::present(const std::string &paragraph, const std::string &text) {
  std::string_view p = trim(paragraph);
  if (p.empty())
    return true;
  if (p.size() <= 2 * kEndBytes)
    return text.find(p) != std::string::npos;
  std::string_view head = p.substr(0, codepointStart(p, kEndBytes));
  std::string_view tail = p.substr(codepointStart(p, p.size() - kEndBytes));
  return text.find(head) != std::string::npos || text.find(tail) != std::string::npos;
}

std::optional<long> StepWatch::vanished(const std::string &uri, const engine::Manuscript &manuscript) {
  auto it = watched_.find(uri);
  if (it == watched_.end())
    return std::nullopt;
  if (present(it->second.paragraph, manuscript.text())) {
    it->second.reported = false; // back (redone): a later removal is worth a new word
    return std::nullopt;
  }
  if (it->second.reported)
    return std::nullopt;
  it->second.reported = true;
  return it->second.step;
}

bool StepWatch::stillMissing(const std::string &uri, long step, const engine::Manuscript &manuscript) const {
  auto it = watched_.find(uri);
  return it != watched_.end() && it->second.step == step && !present(it->second.paragraph, manuscript.text());
}

} // namespace recurrent::server
