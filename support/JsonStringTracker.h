// JsonStringTracker: tells, character by character, whether JSON text is inside a string literal.
//
// The lenient scanners over a model's JSON-like answer (balanced braces, trailing commas) must
// ignore brackets and commas inside strings, escaped quotes included. Not thread-safe: one
// tracker per scan.
#pragma once

namespace recurrent {

class JsonStringTracker {
public:
  /// Feeds the next character; true when it belongs to a string literal (its quotes included).
  bool inString(char c) {
    if (inside_) {
      if (escaped_)
        escaped_ = false;
      else if (c == '\\')
        escaped_ = true;
      else if (c == '"')
        inside_ = false;
      return true;
    }
    inside_ = c == '"';
    return inside_;
  }

private:
  bool inside_ = false;
  bool escaped_ = false;
};

} // namespace recurrent
