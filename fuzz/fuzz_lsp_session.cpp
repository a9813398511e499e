// Fuzz target: a whole LSP session against the real server (its one handler table, documents,
// outline, hover), through the in-memory transport.
//
// Input: JSON-RPC bodies separated by 0xFF bytes (0xFF never occurs in UTF-8, so bodies stay
// intact), sent after a fixed `initialize`/`initialized` and followed by `shutdown`/`exit`. Raw
// bytes that are not JSON reach the decoder too. The server must answer every request exactly
// once, never crash, and end when the input ends (a hang is reported as a libFuzzer timeout).
#include "server/InMemoryTransport.h"
#include "server/LspServer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

using namespace recurrent::server;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  spdlog::set_level(spdlog::level::off); // the server logs every bad message; keep the run fast
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  InMemoryTransport transport;
  LspServer::Options options;
  // No API key or backend from the fuzzing machine's environment: the model is never called over a network.
  options.coWriter.environment = [](std::string_view) { return std::optional<std::string>(); };
  LspServer server(transport, std::move(options));
  std::thread serving([&] { server.run(); });
  transport.clientSend(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}})");
  transport.clientSend(R"({"jsonrpc":"2.0","method":"initialized","params":{}})");
  std::string_view input(reinterpret_cast<const char *>(data), size);
  while (!input.empty()) {
    std::size_t cut = input.find('\xFF');
    transport.clientSend(input.substr(0, cut));
    input = cut == std::string_view::npos ? std::string_view{} : input.substr(cut + 1);
  }
  transport.clientSend(R"({"jsonrpc":"2.0","id":"last","method":"shutdown"})");
  transport.clientSend(R"({"jsonrpc":"2.0","method":"exit"})");
  transport.clientCloseInput();
  serving.join();
  while (transport.clientReceive(std::chrono::milliseconds(0))) {
  }
  return 0;
}
