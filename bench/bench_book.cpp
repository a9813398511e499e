// bench_book: a folder book against the same text as one file, offline index cold and warm.
//
// Splits the book (War and Peace by default) at its chapter headings into chapter files
// ch0.txt (the front matter), ch1.txt, ... in a temporary folder (natural order, so ch10
// follows ch9), copies the single file beside it, and opens both through engine::openBook
// as the CLI does: cold = open + read every chapter + summarise + embed; warm = a fresh
// open of the same state with nothing to do. Target: the book within 1.2x of the file.
#include "bench/BenchBook.h"
#include "engine/Backends.h"
#include "engine/book/Book.h"
#include "engine/memory/LongTermMemory.h"
#include "support/Files.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

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
  if (book.paragraphs != file.paragraphs)
    std::printf("note: the folder book has %zu paragraphs, the file %zu\n", book.paragraphs, file.paragraphs);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
