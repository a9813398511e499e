// bench_bible_lsp: the story bible through the real server: references and a rename of the most mentioned
// name of War and Peace as a folder book (its chapters as files, a 40-entry bible of its main characters).
//
// The server runs in-process on the in-memory transport, offline (the book is not a story: navigation needs
// none). One chapter is open; the others are read from disk. Figures: the first references request (it
// builds the book's mention index), then references p50 and a rename WorkspaceEdit p50 over every chapter
// file, with their sizes. Targets (issue 13): references under 20 ms, rename under 200 ms.
#include "bench/BenchBook.h"
#include "bench/BenchCast.h"
#include "bench/BenchLsp.h"
#include "protocol/Uri.h"
#include "server/LspServer.h"
#include "support/Files.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace recurrent;
namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

} // namespace

int main(int argc, char **argv) {
  using namespace recurrent::bench;
  auto source = benchBook(argc, argv);
  auto text = readFile(source);
  if (!text) {
    std::printf("bench_bible_lsp skipped: %s\n", text.error().message.c_str());
    return 0;
  }
  std::string tmpl = (fs::temp_directory_path() / "bench-bible-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return 1;
  const fs::path root = fs::path(tmpl) / "book";
  fs::create_directories(root / ".recurrent/book"); // a folder book, not a story
  auto chapters = chaptersOf(*text);
  char name[32];
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    std::snprintf(name, sizeof name, "%03zu.txt", i);
    if (!writeFileAtomically(root / name, chapters[i]).ok())
      return 1;
  }
  for (std::size_t i = 0; i < kCast.size(); ++i) {
    std::string aliases;
    for (std::size_t a = 1; a < kCast[i].size(); ++a)
      aliases += (a > 1 ? ", " : "") + quoted(kCast[i][a]);
    std::snprintf(name, sizeof name, "%02zu.md", i);
    if (!writeFileAtomically(root / "bible" / name,
                             "---\ntype: character\naliases: [" + aliases + "]\n---\n# " + kCast[i][0] + "\n")
             .ok())
      return 1;
  }

  spdlog::set_level(spdlog::level::warn);
  server::InMemoryTransport transport;
  server::LspServer::Options options;
  options.coWriter.environment = [](std::string_view) { return std::optional<std::string>(); }; // offline
  server::LspServer server(transport, options);
  std::thread thread([&] { server.run(); });
  Client client(transport);
  // UTF-8 positions: a byte column is a character here, whatever the accents.
  json caps = {{"general", {{"positionEncodings", {"utf-8"}}}},
               {"workspace", {{"workspaceEdit", {{"documentChanges", true}, {"changeAnnotationSupport", json::object()}}}}}};
  client.call("initialize", {{"capabilities", caps}});
  client.notify("initialized", json::object());
  // Pierre is the most mentioned: open a chapter that names him, at his first mention there.
  std::size_t open = chapters.size() / 2;
  while (open + 1 < chapters.size() && chapters[open].find("Pierre") == std::string::npos)
    ++open;
  std::snprintf(name, sizeof name, "%03zu.txt", open);
  const std::string uri = protocol::pathToUri(root / name);
  client.notify("textDocument/didOpen",
                {{"textDocument", {{"uri", uri}, {"languageId", "plaintext"}, {"version", 1}, {"text", chapters[open]}}}});
  const auto &chapter = chapters[open];
  std::size_t at = chapter.find("Pierre");
  std::size_t lineStart = chapter.rfind('\n', at);
  lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
  json position = {{"line", std::count(chapter.begin(), chapter.begin() + static_cast<std::ptrdiff_t>(at), '\n')},
                   {"character", at - lineStart}};
  json params = {{"textDocument", {{"uri", uri}}}, {"position", position}, {"context", {{"includeDeclaration", false}}}};

  auto t0 = Clock::now();
  json first = client.call("textDocument/references", params)["result"];
  double firstMs = ms(Clock::now() - t0);
  std::vector<double> refs;
  std::size_t count = first.size();
  for (int i = 0; i < 10; ++i) {
    auto start = Clock::now();
    count = client.call("textDocument/references", params)["result"].size();
    refs.push_back(ms(Clock::now() - start));
  }
  std::vector<double> renames;
  std::size_t edits = 0, files = 0;
  json rename = params;
  rename.erase("context");
  rename["newName"] = "Peter";
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    json edit = client.call("textDocument/rename", rename)["result"];
    renames.push_back(ms(Clock::now() - start));
    edits = 0;
    files = edit["documentChanges"].size();
    for (const auto &change : edit["documentChanges"])
      edits += change["edits"].size();
  }
  client.call("shutdown", nullptr);
  client.notify("exit", nullptr);
  thread.join();
  fs::remove_all(tmpl);

  std::printf("| chapters | entries | 'Pierre' references | first (builds the index) ms | references ms p50 | "
              "rename edits | files | rename ms p50 |\n|---|---|---|---|---|---|---|---|\n");
  std::printf("| %zu | %zu | %zu | %.1f | %.1f | %zu | %zu | %.1f |\n", chapters.size(), kCast.size(), count, firstMs,
              percentile(refs, 0.5), edits, files, percentile(renames, 0.5));
  std::printf("ROW\tbible references through the server (%zu mentions; the first builds the index: %.0f ms)\t%.1f ms\t< 20 ms\n",
              count, firstMs, percentile(refs, 0.5));
  std::printf("ROW\tbible rename WorkspaceEdit through the server (%zu edits in %zu files)\t%.1f ms\t< 200 ms\n", edits,
              files, percentile(renames, 0.5));
  return count > 0 && edits > 0 ? 0 : 1;
}
