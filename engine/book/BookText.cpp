// BookText: chapter and bible texts, editor overlays over the disk (see BookText.h).
#include "engine/book/BookText.h"

#include "support/Files.h"

namespace recurrent::engine {
namespace fs = std::filesystem;

namespace {
fs::path normalised(const fs::path &p) { return fs::absolute(p).lexically_normal(); }
} // namespace

BookText::BookText(BookLayout layout) : layout_(std::move(layout)) {}

std::vector<BookSnapshot::ChapterSource> BookText::sourcesLocked() {
  if (!diskListed_) {
    files_ = layout_.chapters();
    diskListed_ = true;
  }
  std::vector<BookSnapshot::ChapterSource> out;
  out.reserve(files_.size());
  for (const auto &f : files_) {
    if (auto o = overlays_.find(f.path); o != overlays_.end()) {
      out.push_back({f, o->second, true});
      continue;
    }
    auto d = disk_.find(f.path);
    if (d == disk_.end()) {
      auto text = readFile(f.path); // a chapter that vanished meanwhile reads as empty
      d = disk_.emplace(f.path, std::make_shared<const std::string>(text ? std::move(*text) : std::string())).first;
    }
    out.push_back({f, d->second, false});
  }
  return out;
}

std::shared_ptr<const BookSnapshot> BookText::snapshot() {
  std::lock_guard lock(mutex_);
  if (!current_ || dirty_) {
    current_ = BookSnapshot::build(layout_, sourcesLocked(), ++version_, current_);
    dirty_ = false;
  }
  return current_;
}

void BookText::setOverlay(const fs::path &chapter, std::string text) {
  auto p = normalised(chapter);
  std::lock_guard lock(mutex_);
  auto &slot = overlays_[p];
  if (slot && *slot == text)
    return;
  slot = std::make_shared<const std::string>(std::move(text));
  bool known = false;
  for (const auto &f : files_)
    known = known || f.path == p;
  if (!known)
    diskListed_ = false; // a chapter created since the last listing
  dirty_ = true;
}

void BookText::clearOverlay(const fs::path &chapter) {
  auto p = normalised(chapter);
  std::lock_guard lock(mutex_);
  if (overlays_.erase(p) > 0) {
    disk_.erase(p); // the editor may have saved it: read it again
    dirty_ = true;
  }
}

void BookText::reloadFromDisk() {
  std::lock_guard lock(mutex_);
  diskListed_ = false;
  disk_.clear();
  dirty_ = true;
}

std::shared_ptr<const Bible> BookText::bible() {
  std::lock_guard lock(mutex_);
  if (!bible_)
    bible_ = std::make_shared<const Bible>(loadBible(bibleFolder(layout_), bibleOverlays_));
  return bible_;
}

void BookText::reloadBible() {
  std::lock_guard lock(mutex_);
  bible_.reset();
}

void BookText::setBibleOverlay(const fs::path &file, std::string text) {
  auto p = normalised(file);
  std::lock_guard lock(mutex_);
  auto [slot, added] = bibleOverlays_.try_emplace(p);
  if (!added && slot->second == text)
    return;
  slot->second = std::move(text);
  bible_.reset();
}

void BookText::clearBibleOverlay(const fs::path &file) {
  std::lock_guard lock(mutex_);
  if (bibleOverlays_.erase(normalised(file)) > 0)
    bible_.reset();
}

} // namespace recurrent::engine
