#include "engine/llm/Reasoning.h"

namespace recurrent::engine {

namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

size_t firstNonSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
    ++i;
  return i;
}

std::string_view trimmed(std::string_view s) {
  s.remove_prefix(firstNonSpace(s));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

SplitText splitReasoning(std::string_view content) {
  size_t start = firstNonSpace(content);
  if (content.substr(start, kOpen.size()) == kOpen) {
    auto body = content.substr(start + kOpen.size());
    auto close = body.find(kClose);
    if (close == std::string_view::npos)
      return {std::string(trimmed(body)), {}}; // cut off while thinking
    return {std::string(trimmed(body.substr(0, close))), std::string(body.substr(close + kClose.size()))};
  }
  if (auto close = content.find(kClose); close != std::string_view::npos)
    return {std::string(trimmed(content.substr(0, close))), std::string(content.substr(close + kClose.size()))};
  return {{}, std::string(content)};
}

std::string ReasoningSplitter::feed(std::string_view piece) {
  content_.append(piece);
  std::string_view all(content_);
  if (state_ == State::Undecided) {
    size_t start = firstNonSpace(all);
    auto head = all.substr(start, kOpen.size());
    if (head.size() < kOpen.size() && kOpen.substr(0, head.size()) == head)
      return {}; // could still become <think>
    const bool looksLikeJson = head[0] == '{' || head[0] == '[' || head[0] == '`';
    state_ = head == kOpen || (answerIsJson_ && !looksLikeJson) ? State::Thinking : State::Answer;
  }
  if (state_ == State::Thinking) {
    auto close = all.find(kClose);
    if (close == std::string_view::npos)
      return {};
    state_ = State::Answer;
    emitted_ = close + kClose.size();
  }
  // A lone </think> later in the answer turns what was previewed into reasoning; finish()
  // has the exact split, the preview cannot take back what it showed.
  std::string out(all.substr(emitted_));
  emitted_ = all.size();
  return out;
}

} // namespace recurrent::engine
