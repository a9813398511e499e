// A fake OpenAI-compatible HTTP server on 127.0.0.1 for tests: scripted answers and faults.
//
// It serves /v1/chat/completions, /v1/embeddings and /v1/models over HTTP/1.1 (one
// request per connection) on a random port, on its own thread. Tests script answers per
// path (a queue, then an optional handler, then built-in defaults), and every request is
// recorded (method, path, headers, body, parsed JSON) for assertions. Answers can be
// streamed in random pieces (seeded) with per-piece delays, stall mid-body, be cut off
// (connection dropped), or never be sent (connection closed before headers).
//
// Thread-safety: every public method may be called from any thread. Handlers run on the
// server's thread. The destructor stops at once, even in the middle of a stall.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace recurrent::test {

struct FakeRequest {
  std::string method;
  std::string path;                            ///< e.g. "/v1/chat/completions"
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  nlohmann::json json;                         ///< the parsed body; null when it is not JSON
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;                        ///< chunked transfer encoding (as OpenAI streams)
  unsigned splitSeed = 0;                      ///< 0: one write; else random pieces of 1..maxPiece bytes
  size_t maxPiece = 7;
  std::chrono::milliseconds pieceDelay{0};     ///< pause before each piece after the first
  std::optional<size_t> stallAfter;            ///< body bytes sent before pausing for stallFor
  std::chrono::milliseconds stallFor{0};
  std::optional<size_t> closeAfter;            ///< body bytes sent before dropping the connection
  bool closeBeforeHeaders = false;             ///< read the request, then close without a byte

  /// A JSON body with Content-Length.
  static FakeResponse json(const nlohmann::json &body, int status = 200);
  /// An OpenAI-style error: {"error":{"message":...}}; retryAfter sets the Retry-After header.
  static FakeResponse error(int status, std::string message, std::optional<std::string> retryAfter = {});
  /// A 200 text/event-stream with these raw bytes, chunked.
  static FakeResponse sse(std::string bytes);
  /// Reads the request, then closes the connection without answering.
  static FakeResponse hangUp();

  FakeResponse &split(unsigned seed, size_t maxPieceBytes = 7, std::chrono::milliseconds delay = {});
  FakeResponse &stall(size_t afterBytes, std::chrono::milliseconds duration);
  FakeResponse &cutAfter(size_t bytes);
};

/// How chatStreamBytes() builds a streamed chat answer.
struct ChatStreamOptions {
  std::string finishReason = "stop";  ///< empty: no finish chunk
  bool done = true;                   ///< end with "data: [DONE]"
  bool usage = true;                  ///< a final usage chunk
  long promptTokens = 11;
  std::string refusal;                ///< sent as delta.refusal instead of content
  size_t deltaBytes = 5;              ///< content per chunk (never splitting a UTF-8 sequence)
  std::string lineEnd = "\n";         ///< "\r\n" or "\r" to exercise the SSE parser
  std::string model = "fake-model";
  /// A reasoning model's thinking, sent before the content in the shape below.
  std::string reasoning;
  enum class ReasoningShape {
    ReasoningContent, ///< delta.reasoning_content (llama.cpp, DeepSeek, vLLM up to 0.10)
    Reasoning,        ///< delta.reasoning (Ollama, vLLM 0.11+, OpenRouter)
    ThinkTags,        ///< "<think>...</think>" at the start of content (llama.cpp --reasoning-format none)
    LoneClose,        ///< "...</think>" in content: DeepSeek-R1's template opened the tag in the prompt
  } reasoningShape = ReasoningShape::ReasoningContent;
  std::optional<long> completionTokens; ///< the usage figure; default: content and reasoning / 4
};

/// The SSE bytes of a streamed /chat/completions answer carrying `content`.
std::string chatStreamBytes(std::string_view content, const ChatStreamOptions &options = {});
/// A chunked 200 stream of chatStreamBytes().
FakeResponse chatStream(std::string_view content, const ChatStreamOptions &options = {});

class FakeLlmServer {
public:
  using Handler = std::function<FakeResponse(const FakeRequest &)>;

  FakeLlmServer();
  ~FakeLlmServer();
  FakeLlmServer(const FakeLlmServer &) = delete;
  FakeLlmServer &operator=(const FakeLlmServer &) = delete;

  /// "http://127.0.0.1:PORT/v1"
  std::string baseUrl() const;
  uint16_t port() const { return port_; }

  /// Queues the next answer for /v1/chat/completions.
  void enqueue(FakeResponse response);
  /// Queues the next answer for `path` (e.g. "/v1/embeddings").
  void enqueue(std::string path, FakeResponse response);
  /// Answers requests whose path has an empty queue (before the built-in defaults).
  void setHandler(Handler handler);
  /// The ids /v1/models lists (default: {"fake-model"}).
  void setModels(std::vector<std::string> ids);
  /// The length of /v1/embeddings vectors (default 8).
  void setEmbeddingDimension(int dimension);

  std::vector<FakeRequest> requests() const;
  std::vector<FakeRequest> requests(std::string_view path) const;
  size_t requestCount(std::string_view path = "/v1/chat/completions") const;

  /// The (unnormalised) vector the default /v1/embeddings answers for `text`.
  static std::vector<float> embeddingFor(std::string_view text, int dimension);

private:
  struct Impl;
  /// Records the request and picks its answer (on the server's thread).
  FakeResponse respond(const FakeRequest &request);

  mutable std::mutex mutex_;
  std::map<std::string, std::deque<FakeResponse>, std::less<>> queues_;
  Handler handler_;
  std::vector<std::string> models_{"fake-model"};
  int embeddingDimension_ = 8;
  std::vector<FakeRequest> requests_;
  uint16_t port_ = 0;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

} // namespace recurrent::test
