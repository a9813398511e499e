#include "engine/story/JsonFieldStream.h"

#include "engine/story/Utf8.h"

#include <cstdlib>

namespace recurrent::engine {

void JsonFieldStream::reset() {
  buffer_.clear();
  pos_ = 0;
  state_ = State::Seeking;
  pendingHigh_ = 0;
}

std::string JsonFieldStream::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::string out;
  while (pos_ < buffer_.size() && state_ != State::Done) {
    switch (state_) {
    case State::Seeking: {
      auto at = buffer_.find(key_, pos_);
      while (at != std::string::npos && at > 0 && buffer_[at - 1] == '\\')
        at = buffer_.find(key_, at + 1);
      if (at == std::string::npos) {
        // Keep enough of the tail to match a key split across pieces.
        if (buffer_.size() > key_.size())
          pos_ = buffer_.size() - key_.size();
        return out;
      }
      pos_ = at + key_.size();
      state_ = State::Colon;
      break;
    }
    case State::Colon:
    case State::Quote: {
      char c = buffer_[pos_];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        ++pos_;
      } else if (state_ == State::Colon && c == ':') {
        ++pos_;
        state_ = State::Quote;
      } else if (state_ == State::Quote && c == '"') {
        ++pos_;
        state_ = State::Value;
      } else {
        state_ = State::Seeking; // the key was a value, not a key: look further
      }
      break;
    }
    case State::Value: {
      char c = buffer_[pos_];
      if (c == '"') {
        state_ = State::Done;
        ++pos_;
        break;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        break;
      }
      if (pos_ + 1 >= buffer_.size())
        return out; // the escape continues in the next piece
      char e = buffer_[pos_ + 1];
      if (e == 'u') {
        if (pos_ + 6 > buffer_.size())
          return out;
        unsigned cp = static_cast<unsigned>(std::strtoul(buffer_.substr(pos_ + 2, 4).c_str(), nullptr, 16));
        pos_ += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          pendingHigh_ = cp;
          break;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF && pendingHigh_) {
          cp = 0x10000 + ((pendingHigh_ - 0xD800) << 10) + (cp - 0xDC00);
          pendingHigh_ = 0;
        }
        utf8::append(out, cp);
        break;
      }
      pos_ += 2;
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      default: out += e; break; // \" \\ \/
      }
      break;
    }
    case State::Done:
      break;
    }
  }
  return out;
}

} // namespace recurrent::engine
