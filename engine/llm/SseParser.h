// A server-sent-events parser: bytes in (in chunks of any size), events out.
//
// Follows the WHATWG event-stream rules: lines end with "\n", "\r\n" or "\r" (a "\r" at
// the end of one chunk and a "\n" at the start of the next are one line end); "data:"
// lines of one event are joined with "\n"; ":" lines are comments; "event:", "id:" and
// "retry:" are kept; a blank line dispatches the event. A leading byte-order mark is
// skipped. Pure (no I/O), so it is unit-tested at every split offset and fuzzed.
//
// Thread-safety: one parser per stream; not shared between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine {

struct SseEvent {
  std::string event = "message"; ///< the "event:" field, "message" when absent
  std::string data;              ///< "data:" lines joined with "\n"
  std::string id;                ///< the last event id seen so far in the stream
  std::optional<long> retryMs;   ///< a "retry:" field in this event
};

class SseParser {
public:
  /// Feeds the next bytes of the stream; returns the events they complete, in order.
  std::vector<SseEvent> feed(std::string_view chunk);
  /// The stream ended. Returns the last event when the server closed without the blank line
  /// that should end it (lenient: the standard would drop it, but some servers do this).
  std::optional<SseEvent> finish();
  /// Bytes held for an unfinished line (lets callers bound memory on hostile streams).
  size_t bufferedBytes() const { return line_.size() + data_.size(); }

private:
  void processLine(std::string_view line, std::vector<SseEvent> &out);
  void dispatch(std::vector<SseEvent> &out);

  std::string line_;        ///< the unfinished current line
  std::string data_;        ///< data of the event being built
  std::string eventType_;
  std::string lastId_;
  std::optional<long> retry_;
  bool sawData_ = false;
  bool afterCr_ = false;    ///< the previous byte was "\r": a "\n" now is part of that line end
  bool started_ = false;    ///< past the optional byte-order mark
};

} // namespace recurrent::engine
