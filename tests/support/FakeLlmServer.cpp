#include "tests/support/FakeLlmServer.h"

#include <asio.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>

#include <cmath>
#include <random>

namespace recurrent::test {

using asio::ip::tcp;
using nlohmann::json;

// --- responses ---------------------------------------------------------------------------

FakeResponse FakeResponse::json(const nlohmann::json &body, int status) {
  FakeResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump();
  return r;
}

FakeResponse FakeResponse::error(int status, std::string message, std::optional<std::string> retryAfter) {
  auto r = json({{"error", {{"message", std::move(message)}, {"type", "fake_error"}}}}, status);
  if (retryAfter)
    r.headers.emplace_back("Retry-After", *retryAfter);
  return r;
}

FakeResponse FakeResponse::sse(std::string bytes) {
  FakeResponse r;
  r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  r.body = std::move(bytes);
  r.chunked = true;
  return r;
}

FakeResponse FakeResponse::hangUp() {
  FakeResponse r;
  r.closeBeforeHeaders = true;
  return r;
}

FakeResponse &FakeResponse::split(unsigned seed, size_t maxPieceBytes, std::chrono::milliseconds delay) {
  splitSeed = seed;
  maxPiece = std::max<size_t>(1, maxPieceBytes);
  pieceDelay = delay;
  return *this;
}

FakeResponse &FakeResponse::stall(size_t afterBytes, std::chrono::milliseconds duration) {
  stallAfter = afterBytes;
  stallFor = duration;
  return *this;
}

FakeResponse &FakeResponse::cutAfter(size_t bytes) {
  closeAfter = bytes;
  return *this;
}

std::string chatStreamBytes(std::string_view content, const ChatStreamOptions &o) {
  std::string out;
  auto event = [&](const json &chunk) { out += "data: " + chunk.dump() + o.lineEnd + o.lineEnd; };
  auto chunk = [&](json delta, json finish) {
    return json{{"id", "chatcmpl-fake"},
                {"object", "chat.completion.chunk"},
                {"created", 0},
                {"model", o.model},
                {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}})}};
  };
  event(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
  if (!o.refusal.empty())
    event(chunk({{"refusal", o.refusal}}, nullptr));
  auto pieces = [&](std::string_view text, const char *field) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = std::min(text.size(), pos + std::max<size_t>(1, o.deltaBytes));
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        ++end; // keep UTF-8 sequences whole
      event(chunk({{field, std::string(text.substr(pos, end - pos))}}, nullptr));
      pos = end;
    }
  };
  using Shape = ChatStreamOptions::ReasoningShape;
  std::string inContent(content);
  if (!o.reasoning.empty()) {
    if (o.reasoningShape == Shape::ReasoningContent)
      pieces(o.reasoning, "reasoning_content");
    else if (o.reasoningShape == Shape::Reasoning)
      pieces(o.reasoning, "reasoning");
    else if (o.reasoningShape == Shape::ThinkTags)
      inContent = "<think>\n" + o.reasoning + "\n</think>\n\n" + inContent;
    else
      inContent = o.reasoning + "\n</think>\n\n" + inContent;
  }
  pieces(inContent, "content");
  if (!o.finishReason.empty())
    event(chunk(json::object(), o.finishReason));
  if (o.usage) {
    long completion = o.completionTokens.value_or(static_cast<long>((inContent.size() + o.reasoning.size() + 3) / 4));
    event({{"id", "chatcmpl-fake"},
           {"object", "chat.completion.chunk"},
           {"model", o.model},
           {"choices", json::array()},
           {"usage", {{"prompt_tokens", o.promptTokens}, {"completion_tokens", completion},
                      {"total_tokens", o.promptTokens + completion}}}});
  }
  if (o.done)
    out += "data: [DONE]" + o.lineEnd + o.lineEnd;
  return out;
}

FakeResponse chatStream(std::string_view content, const ChatStreamOptions &options) {
  return FakeResponse::sse(chatStreamBytes(content, options));
}

// --- routing -------------------------------------------------------------------------------

std::vector<float> FakeLlmServer::embeddingFor(std::string_view text, int dimension) {
  std::vector<float> v(static_cast<size_t>(dimension));
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text)
    h = (h ^ c) * 1099511628211ull;
  for (int i = 0; i < dimension; ++i) {
    h = (h ^ static_cast<uint64_t>(i + 1)) * 1099511628211ull;
    v[static_cast<size_t>(i)] = static_cast<float>(static_cast<double>(h >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
  return v;
}

FakeResponse FakeLlmServer::respond(const FakeRequest &request) {
  Handler handler;
  std::vector<std::string> models;
  int dimension;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    auto q = queues_.find(request.path);
    if (q != queues_.end() && !q->second.empty()) {
      FakeResponse r = std::move(q->second.front());
      q->second.pop_front();
      return r;
    }
    handler = handler_;
    models = models_;
    dimension = embeddingDimension_;
  }
  if (handler)
    return handler(request);
  if (request.path == "/v1/models") {
    json data = json::array();
    for (const auto &id : models)
      data.push_back({{"id", id}, {"object", "model"}, {"owned_by", "fake"}});
    return FakeResponse::json({{"object", "list"}, {"data", data}});
  }
  if (request.path == "/v1/embeddings") {
    if (!request.json.is_object() || !request.json.contains("input"))
      return FakeResponse::error(400, "'input' is required");
    json inputs = request.json["input"];
    if (inputs.is_string())
      inputs = json::array({inputs});
    json data = json::array();
    int index = 0;
    long tokens = 0;
    for (const auto &text : inputs) {
      if (!text.is_string() || text.get<std::string>().empty())
        return FakeResponse::error(400, "'$.input' is invalid: every input must be a non-empty string");
      tokens += static_cast<long>(text.get<std::string>().size() / 4 + 1);
      data.push_back({{"object", "embedding"}, {"index", index++}, {"embedding", embeddingFor(text.get<std::string>(), dimension)}});
    }
    return FakeResponse::json({{"object", "list"},
                               {"data", data},
                               {"model", request.json.value("model", "")},
                               {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
  }
  if (request.path == "/v1/chat/completions")
    return FakeResponse::error(500, "fake server: no scripted answer for this request");
  return FakeResponse::error(404, "fake server: unknown path " + request.path);
}

// --- the server ----------------------------------------------------------------------------

namespace {

std::string statusText(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 529: return "Overloaded";
  case 503: return "Service Unavailable";
  default: return "Status";
  }
}

std::optional<FakeRequest> parseHead(std::string_view head, size_t &contentLength) {
  FakeRequest r;
  auto lineEnd = head.find("\r\n");
  auto requestLine = head.substr(0, lineEnd);
  auto sp1 = requestLine.find(' ');
  auto sp2 = requestLine.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos)
    return std::nullopt;
  r.method = std::string(requestLine.substr(0, sp1));
  r.path = std::string(requestLine.substr(sp1 + 1, sp2 - sp1 - 1));
  r.path = r.path.substr(0, r.path.find('?'));
  contentLength = 0;
  size_t pos = lineEnd + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos)
      end = head.size();
    auto line = head.substr(pos, end - pos);
    pos = end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string name(line.substr(0, colon));
    for (auto &c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    r.headers[name] = std::string(value);
    if (name == "content-length")
      contentLength = std::stoul(std::string(value));
  }
  return r;
}

} // namespace

struct FakeLlmServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  FakeLlmServer *owner = nullptr;

  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(d);
    co_await timer.async_wait(asio::use_awaitable);
  }

  asio::awaitable<void> session(tcp::socket socket) {
    socket.set_option(tcp::no_delay(true));
    std::string data;
    size_t headEnd = co_await asio::async_read_until(socket, asio::dynamic_buffer(data), "\r\n\r\n", asio::use_awaitable);
    size_t contentLength = 0;
    auto request = parseHead(std::string_view(data).substr(0, headEnd - 4), contentLength);
    if (!request)
      co_return;
    while (data.size() < headEnd + contentLength) {
      char buf[16384];
      size_t n = co_await socket.async_read_some(asio::buffer(buf), asio::use_awaitable);
      data.append(buf, n);
    }
    request->body = data.substr(headEnd, contentLength);
    request->json = json::parse(request->body, nullptr, false);
    if (request->json.is_discarded())
      request->json = nullptr;

    FakeResponse r = owner->respond(*request);
    if (r.closeBeforeHeaders) {
      socket.close();
      co_return;
    }
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + statusText(r.status) + "\r\n";
    for (const auto &[name, value] : r.headers)
      head += name + ": " + value + "\r\n";
    head += r.chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    head += "Connection: close\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(head), asio::use_awaitable);

    std::mt19937 rng(r.splitSeed);
    std::uniform_int_distribution<size_t> pieceSize(1, r.maxPiece);
    size_t sent = 0;
    size_t limit = r.closeAfter ? std::min(*r.closeAfter, r.body.size()) : r.body.size();
    bool stalled = false;
    while (sent < limit) {
      size_t n = r.splitSeed ? pieceSize(rng) : limit - sent;
      n = std::min(n, limit - sent);
      if (r.stallAfter && !stalled && sent < *r.stallAfter)
        n = std::min(n, *r.stallAfter - sent);
      if (r.stallAfter && !stalled && sent >= *r.stallAfter) {
        stalled = true;
        co_await sleep(r.stallFor);
        continue;
      }
      if (sent > 0 && r.pieceDelay.count() > 0)
        co_await sleep(r.pieceDelay);
      std::string piece = r.body.substr(sent, n);
      if (r.chunked) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        piece = size + piece + "\r\n";
      }
      co_await asio::async_write(socket, asio::buffer(piece), asio::use_awaitable);
      sent += n;
    }
    if (r.stallAfter && !stalled && sent >= *r.stallAfter)
      co_await sleep(r.stallFor);
    if (!r.closeAfter && r.chunked)
      co_await asio::async_write(socket, asio::buffer(std::string("0\r\n\r\n")), asio::use_awaitable);
    asio::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  asio::awaitable<void> accept() {
    while (true) {
      tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
      asio::co_spawn(io, session(std::move(socket)), [](std::exception_ptr) {});
    }
  }
};

FakeLlmServer::FakeLlmServer() : impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept(), [](std::exception_ptr) {});
  thread_ = std::thread([this] { impl_->io.run(); });
}

FakeLlmServer::~FakeLlmServer() {
  impl_->io.stop();
  thread_.join();
}

std::string FakeLlmServer::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

void FakeLlmServer::enqueue(FakeResponse response) { enqueue("/v1/chat/completions", std::move(response)); }

void FakeLlmServer::enqueue(std::string path, FakeResponse response) {
  std::lock_guard lock(mutex_);
  queues_[std::move(path)].push_back(std::move(response));
}

void FakeLlmServer::setHandler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

void FakeLlmServer::setModels(std::vector<std::string> ids) {
  std::lock_guard lock(mutex_);
  models_ = std::move(ids);
}

void FakeLlmServer::setEmbeddingDimension(int dimension) {
  std::lock_guard lock(mutex_);
  embeddingDimension_ = dimension;
}

std::vector<FakeRequest> FakeLlmServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<FakeRequest> FakeLlmServer::requests(std::string_view path) const {
  std::lock_guard lock(mutex_);
  std::vector<FakeRequest> out;
  for (const auto &r : requests_)
    if (r.path == path)
      out.push_back(r);
  return out;
}

size_t FakeLlmServer::requestCount(std::string_view path) const { return requests(path).size(); }

} // namespace recurrent::test
