// Extracts one string field's value from a JSON object while it is still streaming in.
//
// The step's answer is a JSON object whose first field is "paragraph"; an editor wants
// the paragraph's text as it arrives, not the JSON around it. feed() takes raw answer
// bytes and returns the newly decoded characters of the field (escapes resolved,
// \uXXXX and surrogate pairs included), holding back an escape split across pieces.
// Not a validating parser: the final answer is parsed properly afterwards.
//
// Thread-safety: a value; one per stream.
#pragma once

#include <string>
#include <string_view>

namespace recurrent::engine {

class JsonFieldStream {
public:
  explicit JsonFieldStream(std::string field) : key_("\"" + std::move(field) + "\"") {}
  /// Appends `bytes` of the raw answer; returns the field's newly available text.
  std::string feed(std::string_view bytes);
  /// Starts over (the model retried and streams a new answer).
  void reset();
  bool done() const { return state_ == State::Done; }

private:
  enum class State { Seeking, Colon, Quote, Value, Done };
  std::string key_;
  std::string buffer_;
  std::size_t pos_ = 0;
  State state_ = State::Seeking;
  unsigned pendingHigh_ = 0; ///< a UTF-16 high surrogate waiting for its pair
};

} // namespace recurrent::engine
