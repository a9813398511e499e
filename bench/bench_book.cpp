// bench_book: a folder book against the same text as one file, offline index cold and warm.
//
// Splits the book (War and Peace by default) at its chapter headings into chapter files
// ch0.txt (the front matter), ch1.txt, ... in a temporary folder (natural order, so ch10
// follows ch9), copies the single file beside it, and opens both through engine::openBook
// as the CLI does: cold = open + read every chapter + summarise + embed; warm = a fresh
// open of the same state with nothing to do. Then the same two through the real server (in-memory
// transport, offline): didOpen of one chapter (the file) until the book's memory is ready,
// workspace/symbol p50/p99, and a one-character edit round trip p99 in the open chapter. Target:
// the book within 1.2x of the file, and an edit p99 under 1 ms. Also the book's snapshot after a
// one-character edit of one chapter (what a job started after an edit builds first).
#include "bench/BenchBook.h"
#include "bench/BenchLsp.h"
#include "engine/Backends.h"
#include "engine/book/Book.h"
#include "engine/memory/LongTermMemory.h"
#include "protocol/Uri.h"
#include "server/LspServer.h"
#include "support/Files.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

using namespace recurrent;
using namespace recurrent::engine;
namespace fs = std::filesystem;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Figures {
  double cold = 0, warm = 0;
  std::size_t paragraphs = 0, chapters = 0;
};

bool index(const BookLayout &layout, Figures &f, bool cold) {
  auto t = std::chrono::steady_clock::now();
  auto book = openBook(layout, BackendConfig{}, BookOptions{});
  if (!book) {
    std::printf("open failed: %s\n", book.error().message.c_str());
    return false;
  }
  auto snapshot = (*book)->snapshot();
  auto report = (*book)->refreshMemory(*snapshot, {});
  double seconds = since(t);
  if (!report) {
    std::printf("index failed: %s\n", report.error().message.c_str());
    return false;
  }
  if (!cold && (report->summarisedNow || report->embedded)) {
    std::printf("warm index did work it should not have\n");
    return false;
  }
  (cold ? f.cold : f.warm) = seconds;
  f.paragraphs = report->paragraphs;
  f.chapters = snapshot->chapters().size();
  return true;
}

struct EditFigures {
  double p50 = 0, p99 = 0;
};

/// A character put into `chapter` and taken out again, each time until the book's snapshot holds it.
EditFigures snapshotAfterEdits(const BookLayout &layout, const fs::path &chapter) {
  using namespace recurrent::bench;
  auto book = openBook(layout, BackendConfig{}, BookOptions{});
  if (!book)
    return {};
  const std::string text = readFile(chapter).value();
  const std::size_t at = text.find('\n', text.size() / 2) + 1;
  const std::string edited = text.substr(0, at) + "x" + text.substr(at);
  (*book)->snapshot();
  std::vector<double> times;
  for (int i = 0; i < 200; ++i) {
    std::string next = i % 2 == 0 ? edited : text;
    auto start = Clock::now();
    (*book)->setOverlay(chapter, std::move(next));
    (*book)->snapshot();
    times.push_back(ms(Clock::now() - start));
  }
  return {percentile(times, 0.5), percentile(times, 0.99)};
}

struct ServerFigures {
  double open = 0, symbolP50 = 0, symbolP99 = 0, editP50 = 0, editP99 = 0;
};

/// The real server on `file` (a chapter of the book, or the one file), offline, with the state the
/// engine part left: didOpen until the memory is ready, then searches and edits.
ServerFigures serve(const fs::path &file) {
  using namespace recurrent::bench;
  ServerFigures f;
  auto text = readFile(file).value();
  server::InMemoryTransport transport;
  server::LspServer::Options options;
  options.coWriter.environment = [](std::string_view) { return std::optional<std::string>(); }; // offline
  server::LspServer server(transport, options);
  std::thread thread([&] { server.run(); });
  Client client(transport);
  client.call("initialize", {{"capabilities", json::object()}});
  client.notify("initialized", json::object());
  const std::string uri = protocol::pathToUri(file);
  auto t0 = Clock::now();
  client.notify("textDocument/didOpen",
                {{"textDocument", {{"uri", uri}, {"languageId", "plaintext"}, {"version", 1}, {"text", text}}}});
  for (;;) {
    json s = client.call("recurrent/storyState", {{"uri", uri}})["result"];
    if (s.value("adopted", false) && !s["busy"].get<bool>() && s["counts"]["memoryEntries"] == s["counts"]["paragraphs"] &&
        s["counts"]["paragraphs"] > 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  f.open = ms(Clock::now() - t0);
  const char *queries[] = {"Pierre at the ball",      "the battle of Borodino", "Natasha sings",
                           "Prince Andrew wounded",   "Moscow burning",         "the old prince and Mary",
                           "hunting with the wolves", "Napoleon crosses the river"};
  std::vector<double> symbols;
  for (int i = 0; i < 40; ++i) {
    auto start = Clock::now();
    client.call("workspace/symbol", {{"query", queries[i % 8]}});
    symbols.push_back(ms(Clock::now() - start));
  }
  std::vector<double> edits;
  const std::uint32_t line = static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '\n') / 2);
  for (int i = 0; i < 1000; ++i) {
    bool insert = i % 2 == 0; // insert a character, then delete it again
    json range = {{"start", {{"line", line}, {"character", 0}}}, {"end", {{"line", line}, {"character", insert ? 0 : 1}}}};
    auto start = Clock::now();
    client.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", i + 2}}},
                                             {"contentChanges", {{{"range", range}, {"text", insert ? "x" : ""}}}}});
    client.call("$/bench/barrier", nullptr);
    edits.push_back(ms(Clock::now() - start));
  }
  client.call("shutdown", nullptr);
  client.notify("exit", nullptr);
  thread.join();
  f.symbolP50 = percentile(symbols, 0.5);
  f.symbolP99 = percentile(symbols, 0.99);
  f.editP50 = percentile(edits, 0.5);
  f.editP99 = percentile(edits, 0.99);
  return f;
}

} // namespace

int main(int argc, char **argv) {
  auto source = bench::benchBook(argc, argv);
  auto text = readFile(source);
  if (!text) {
    std::printf("skipped %s: %s\n", source.c_str(), text.error().message.c_str());
    return 0;
  }
  std::string tmpl = (fs::temp_directory_path() / "bench-book-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return 1;
  const fs::path dir = tmpl;
  const fs::path single = dir / "single" / source.filename();
  const fs::path folder = dir / "book";
  if (!writeFileAtomically(single, *text))
    return 1;
  Manuscript whole(*text);
  std::vector<std::size_t> cuts{0};
  for (const auto &c : whole.chapters())
    if (c.begin > 0)
      cuts.push_back(c.begin);
  cuts.push_back(text->size());
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
    if (!writeFileAtomically(folder / ("ch" + std::to_string(i) + ".txt"), text->substr(cuts[i], cuts[i + 1] - cuts[i])))
      return 1;

  Figures file, book;
  const auto fileLayout = BookLayout::singleFile(single), bookLayout = BookLayout::folder(folder);
  // Interleaved, so both see the same machine load.
  if (!index(fileLayout, file, true) || !index(bookLayout, book, true))
    return 1;
  for (int round = 0; round < 3; ++round) {
    Figures f, b;
    if (!index(fileLayout, f, false) || !index(bookLayout, b, false))
      return 1;
    file.warm = round == 0 ? f.warm : std::min(file.warm, f.warm);
    book.warm = round == 0 ? b.warm : std::min(book.warm, b.warm);
  }
  std::printf("| layout | chapter files | paragraphs | cold s | warm s (best of 3) |\n|---|---|---|---|---|\n");
  std::printf("| one file | 1 | %zu | %.3f | %.3f |\n", file.paragraphs, file.cold, file.warm);
  std::printf("| folder book | %zu | %zu | %.3f | %.3f |\n", book.chapters, book.paragraphs, book.cold, book.warm);
  std::printf("ROW\tbook index cold: folder / one file (%zu chapter files)\t%.2f / %.2f s = %.2fx\t<= 1.2x\n",
              book.chapters, book.cold, file.cold, book.cold / file.cold);
  std::printf("ROW\tbook index warm: folder / one file\t%.3f / %.3f s = %.2fx\t<= 1.2x\n", book.warm, file.warm,
              book.warm / file.warm);
  const fs::path chapter = folder / ("ch" + std::to_string((cuts.size() - 1) / 2) + ".txt");
  EditFigures fileEdit = snapshotAfterEdits(fileLayout, single), bookEdit = snapshotAfterEdits(bookLayout, chapter);
  std::printf("\n| snapshot after a 1-char edit | p50 ms | p99 ms |\n|---|---|---|\n");
  std::printf("| one file | %.3f | %.3f |\n| folder book (%s) | %.3f | %.3f |\n", fileEdit.p50, fileEdit.p99,
              chapter.filename().c_str(), bookEdit.p50, bookEdit.p99);
  std::printf("ROW\tbook snapshot after a 1-char edit p50: folder / one file\t%.3f / %.3f ms\t-\n", bookEdit.p50,
              fileEdit.p50);
  // The server, warm (the state above), alternating layouts so both see the same load; best of 2.
  spdlog::set_level(spdlog::level::warn);
  ServerFigures one = serve(single), many = serve(chapter);
  ServerFigures again = serve(single), againMany = serve(chapter);
  one.open = std::min(one.open, again.open);
  many.open = std::min(many.open, againMany.open);
  std::printf("\n| server, offline, warm | didOpen -> memory ready ms | workspace/symbol p50 / p99 ms | edit p50 / p99 ms |\n"
              "|---|---|---|---|\n");
  std::printf("| one file | %.0f | %.2f / %.2f | %.3f / %.3f |\n", one.open, one.symbolP50, one.symbolP99, one.editP50,
              one.editP99);
  std::printf("| folder book (chapter %s open) | %.0f | %.2f / %.2f | %.3f / %.3f |\n", chapter.filename().c_str(),
              many.open, many.symbolP50, many.symbolP99, many.editP50, many.editP99);
  std::printf("ROW\tbook didOpen -> memory ready: folder / one file\t%.0f / %.0f ms = %.2fx\t<= 1.2x\n", many.open, one.open,
              many.open / one.open);
  std::printf("ROW\tbook workspace/symbol p99: folder / one file\t%.2f / %.2f ms = %.2fx\t<= 1.2x\n", many.symbolP99,
              one.symbolP99, many.symbolP99 / one.symbolP99);
  std::printf("ROW\tbook edit round trip p99: folder / one file\t%.3f / %.3f ms\t< 1 ms\n", many.editP99, one.editP99);
  if (book.paragraphs != file.paragraphs)
    std::printf("note: the folder book has %zu paragraphs, the file %zu\n", book.paragraphs, file.paragraphs);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
