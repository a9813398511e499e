// Transport: moves whole JSON-RPC message bodies in and out, and nothing else (framing lives here).
//
// The server never writes a header: it hands bodies to write() and takes bodies from read(). Two
// implementations: StdioTransport (file descriptors, Content-Length or delimited framing) and
// InMemoryTransport (tests and benchmarks, same framing code on the inbound side).
//
// Thread-safety: read() is called by the one reader thread, write() by the one writer thread;
// close() may be called from any thread and makes a blocked read() return End.
#pragma once

#include "protocol/Framing.h"

#include <string>
#include <string_view>

namespace recurrent::server {

struct Inbound {
  enum class Kind {
    Message,      ///< `text` is a message body
    FramingError, ///< `text` describes bad framing; the transport has resynchronised
    End,          ///< input ended or the transport was closed
  };
  Kind kind = Kind::End;
  std::string text;
};

class Transport {
public:
  virtual ~Transport() = default;
  /// Blocks until a message, a framing error, or the end of input.
  virtual Inbound read() = 0;
  /// Writes one body; returns false when the peer is gone.
  virtual bool write(std::string_view body) = 0;
  /// Unblocks read() for good. Idempotent.
  virtual void close() = 0;
};

/// The framing a byte stream uses.
enum class InputStyle { ContentLength, Delimited };

/// LSP over two file descriptors (stdin/stdout for `recurrent lsp`).
class StdioTransport final : public Transport {
public:
  struct Options {
    InputStyle style = InputStyle::ContentLength;
    protocol::FrameDecoder::Options framing;
  };
  StdioTransport(int inFd, int outFd, Options options);
  ~StdioTransport() override;

  Inbound read() override;
  bool write(std::string_view body) override;
  void close() override;

private:
  std::optional<Inbound> takeDecoded();

  int inFd_, outFd_;
  int wakePipe_[2] = {-1, -1};
  Options options_;
  protocol::FrameDecoder frames_;
  protocol::DelimitedDecoder delimited_;
  bool ended_ = false;
};

} // namespace recurrent::server
