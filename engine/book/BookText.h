// BookText: a book's texts as they stand now: its chapter files (the editor's open ones over the disk) and
// its bible's files, without its state, memory or model.
//
// Book builds on it for co-writing; the editor's bible navigation uses one alone, so hovering a name in a
// book that is not a story opens no memory and builds no model.
//   text.snapshot()                  the current BookSnapshot (cheap when nothing changed)
//   text.setOverlay(path, text)      an open chapter's editor text replaces the file's;
//   text.clearOverlay(path)          clear: back to the file on disk
//   text.reloadFromDisk()            re-lists the chapters and re-reads the files not open
//   text.bible()                     the bible (BibleFile.h), read on first use and cached;
//   text.reloadBible()               the next call reads it again (a bible file changed);
//   text.setBibleOverlay(path, text) an open entry file's editor text
//
// Thread-safety: every method may be called from any thread (an internal mutex); a snapshot or a bible,
// once handed out, is immutable.
#pragma once

#include "engine/bible/BibleFile.h"
#include "engine/book/BookLayout.h"
#include "engine/book/BookSnapshot.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace recurrent::engine {

class BookText {
public:
  explicit BookText(BookLayout layout);

  const BookLayout &layout() const { return layout_; }
  std::shared_ptr<const BookSnapshot> snapshot();
  void setOverlay(const std::filesystem::path &chapter, std::string text);
  void clearOverlay(const std::filesystem::path &chapter);
  void reloadFromDisk();

  std::shared_ptr<const Bible> bible();
  void reloadBible();
  void setBibleOverlay(const std::filesystem::path &file, std::string text);
  void clearBibleOverlay(const std::filesystem::path &file);

private:
  std::vector<BookSnapshot::ChapterSource> sourcesLocked();

  BookLayout layout_;
  std::mutex mutex_; ///< guards everything below
  std::map<std::filesystem::path, std::shared_ptr<const std::string>> overlays_;
  std::map<std::filesystem::path, std::shared_ptr<const std::string>> disk_; ///< files read, by path
  bool diskListed_ = false;
  std::vector<ChapterFile> files_;
  std::shared_ptr<const BookSnapshot> current_;
  bool dirty_ = true;
  std::uint64_t version_ = 0;
  std::shared_ptr<const Bible> bible_; ///< null until read, or after reloadBible()
  BibleOverlays bibleOverlays_;
};

} // namespace recurrent::engine
