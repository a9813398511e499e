// Message framing: Content-Length headers (LSP's base protocol) and the delimited transcript style.
//
// Both decoders are pure, incremental parsers over bytes: feed() whatever a read returned (a partial
// header, several messages at once), then drain next() until it returns nothing. Bad input never
// throws or stalls: a missing, negative or malformed Content-Length yields an Error event and the
// decoder resynchronises on the next `Content-Length` header; a body above the size cap yields an
// Error event and its bytes are skipped as they arrive, never buffered.
//
// Thread-safety: none; one reader thread owns a decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::protocol {

struct FrameEvent {
  enum class Kind { Message, Error };
  Kind kind = Kind::Message;
  std::string text; ///< the message body, or a one-line description of the framing error
};

class FrameDecoder {
public:
  struct Options {
    std::size_t maxMessageBytes = 32u << 20; ///< larger bodies are skipped with an Error event
    std::size_t maxSkipBytes = 1u << 30;     ///< larger declared lengths are treated as corrupt headers
    std::size_t maxHeaderBytes = 8192;       ///< a header block longer than this is garbage
  };
  FrameDecoder() : FrameDecoder(Options{}) {}
  explicit FrameDecoder(Options options) : options_(options) {}

  void feed(std::string_view bytes);
  /// The next complete message or error, if the bytes fed so far hold one.
  std::optional<FrameEvent> next();
  /// Bytes held that do not yet form a message (for an "input ended mid-message" log line).
  std::size_t pendingBytes() const { return buffer_.size() - pos_; }

private:
  std::optional<FrameEvent> parseHeader();
  /// Drops bytes up to the next "Content-Length" after `from` (or all but a short tail).
  void resync(std::size_t from);
  void compact();

  Options options_;
  std::string buffer_;
  std::size_t pos_ = 0;          ///< start of unconsumed bytes
  std::size_t scanFrom_ = 0;     ///< where the search for the header's end resumes
  std::optional<std::size_t> bodyLength_; ///< set once a header was read
  std::uint64_t skipRemaining_ = 0;       ///< bytes of an oversized body still to drop
};

/// Frames a body for writing: "Content-Length: N\r\n\r\n" + body.
std::string encodeFrame(std::string_view body);

/// The delimited style for readable transcripts (clangd's lit tests): messages separated by lines
/// holding only `---`; lines starting with `#` are comments. The last message needs no separator
/// once finish() is called.
class DelimitedDecoder {
public:
  void feed(std::string_view bytes);
  /// Call at end of input: the text after the last separator becomes a message if non-blank.
  void finish();
  std::optional<FrameEvent> next();

private:
  void takeLine(std::string_view line);
  void endMessage();

  std::string partialLine_;
  std::string current_;
  std::deque<std::string> ready_;
};

/// Splits a whole transcript into its messages (comments dropped, blank messages skipped).
std::vector<std::string> splitDelimited(std::string_view text);

} // namespace recurrent::protocol
