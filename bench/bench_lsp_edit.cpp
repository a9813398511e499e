// bench_lsp_edit: a whole novel through the LSP path (the real server over the in-memory transport).
//
// Measures the time from didOpen to the server being ready (JSON parse + segmentation), then p50/p99
// of a one-character incremental edit in the middle of the book (didChange + a barrier request
// round trip), and of documentSymbol afterwards. Targets: open < 100 ms, edit p99 < 1 ms.
// Usage: bench_lsp_edit [BOOK] (default: RECURRENT_CORPUS or the corpus beside the checkout).
#include "bench/BenchBook.h"
#include "engine/manuscript/Manuscript.h"
#include "bench/BenchLsp.h"
#include "protocol/JsonRpc.h"
#include "server/LspServer.h"
#include "support/Files.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

using namespace recurrent;
using namespace recurrent::bench;

int main(int argc, char **argv) {
  spdlog::set_level(spdlog::level::warn);
  const std::filesystem::path book = bench::benchBook(argc, argv);
  auto text = readFile(book);
  if (!text.ok()) {
    std::printf("bench_lsp_edit: skipped: %s (pass a book or set RECURRENT_CORPUS)\n",
                text.error().message.c_str());
    return 0;
  }

  server::InMemoryTransport transport;
  server::LspServer server(transport, {});
  std::thread thread([&] { server.run(); });
  Client client(transport);
  client.call("initialize", {{"capabilities", json::object()}});
  client.notify("initialized", json::object());
  const std::string uri = "file:///bench/war-and-peace.txt";
  json item = {{"uri", uri}, {"languageId", "plaintext"}, {"version", 1}, {"text", *text}};

  // Open: didOpen until a barrier request behind it is answered.
  auto t0 = Clock::now();
  client.notify("textDocument/didOpen", {{"textDocument", item}});
  client.call("$/bench/barrier", nullptr);
  double openMs = ms(Clock::now() - t0);

  // Where the open time goes: the same steps outside the server.
  auto p0 = Clock::now();
  std::string body = protocol::serializeNotification("textDocument/didOpen", {{"textDocument", item}});
  double serializeMs = ms(Clock::now() - p0);
  p0 = Clock::now();
  auto parsed = protocol::parseMessage(body);
  double parseMs = ms(Clock::now() - p0);
  p0 = Clock::now();
  engine::Manuscript direct(*text);
  double segmentMs = ms(Clock::now() - p0);
  (void)parsed;

  // Find the middle line (in UTF-16 terms the book is ASCII-heavy; the server converts anyway).
  std::size_t lines = static_cast<std::size_t>(std::count(text->begin(), text->end(), '\n'));
  std::uint32_t line = static_cast<std::uint32_t>(lines / 2);
  const int kEdits = 2000;
  std::vector<double> edits;
  edits.reserve(kEdits);
  for (int i = 0; i < kEdits; ++i) {
    bool insert = i % 2 == 0; // insert a character, then delete it again
    json range = {{"start", {{"line", line}, {"character", 0}}},
                  {"end", {{"line", line}, {"character", insert ? 0 : 1}}}};
    auto start = Clock::now();
    client.notify("textDocument/didChange",
                  {{"textDocument", {{"uri", uri}, {"version", i + 2}}},
                   {"contentChanges", {{{"range", range}, {"text", insert ? "x" : ""}}}}});
    client.call("$/bench/barrier", nullptr);
    edits.push_back(ms(Clock::now() - start));
  }
  std::vector<double> barrier;
  for (int i = 0; i < 500; ++i) {
    auto start = Clock::now();
    client.call("$/bench/barrier", nullptr);
    barrier.push_back(ms(Clock::now() - start));
  }
  std::vector<double> symbols;
  std::size_t chapters = 0;
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    json r = client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}});
    symbols.push_back(ms(Clock::now() - start));
    chapters = r["result"].size();
  }
  client.call("shutdown", nullptr);
  client.notify("exit", nullptr);
  thread.join();

  std::printf("bench_lsp_edit: %s (%.1f MB, %zu lines, %zu top-level symbols)\n", book.filename().c_str(),
              static_cast<double>(text->size()) / 1e6, lines, chapters);
  std::printf("| measure                                    |      p50 |      p99 | target   |\n");
  std::printf("|--------------------------------------------|---------:|---------:|----------|\n");
  std::printf("| didOpen → ready (parse + segment), ms      | %8.2f |        - | < 100 ms |\n", openMs);
  std::printf("|   of which: client JSON serialise, ms      | %8.2f |        - |          |\n", serializeMs);
  std::printf("|   of which: server JSON-RPC parse, ms      | %8.2f |        - |          |\n", parseMs);
  std::printf("|   of which: Manuscript segmentation, ms    | %8.2f |        - |          |\n", segmentMs);
  std::printf("| 1-char didChange in the middle + RTT, ms   | %8.3f | %8.3f | p99 < 1  |\n",
              percentile(edits, 0.5), percentile(edits, 0.99));
  std::printf("| barrier request alone (RTT baseline), ms   | %8.3f | %8.3f |          |\n",
              percentile(barrier, 0.5), percentile(barrier, 0.99));
  std::printf("| documentSymbol (whole book), ms            | %8.2f | %8.2f |          |\n",
              percentile(symbols, 0.5), percentile(symbols, 0.99));
  return 0;
}
