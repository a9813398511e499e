#include "engine/continuity/ContinuityChecker.h"

#include "engine/book/BookSnapshot.h"

#include <algorithm>

namespace recurrent::engine::continuity {
namespace {

std::shared_ptr<const NameDictionary> chooseDictionary(const ContinuityChecker::Options &options,
                                                       std::string &notice) {
  if (options.dictionary || !options.useSystemDictionary)
    return options.dictionary;
  const auto &system = systemDictionary();
  notice = system.notice;
  return system.dictionary;
}

} // namespace

ContinuityChecker::ContinuityChecker(const BookBible &bible, const BookSnapshot &snapshot, Options options)
    : dictionary_(chooseDictionary(options, dictionaryNotice_)),
      names_(bible.bible(), dictionary_.get(), options.names) {
  recount(snapshot);
}

void ContinuityChecker::recount(const BookSnapshot &snapshot) {
  files_.clear();
  texts_.clear();
  std::vector<std::string_view> views;
  for (const auto &c : snapshot.chapters()) {
    files_.push_back(c.file.path);
    texts_.push_back(c.text);
    views.push_back(*c.text);
  }
  census_.build(views);
}

void ContinuityChecker::update(const BookSnapshot &snapshot) {
  const auto &chapters = snapshot.chapters();
  bool sameFiles = chapters.size() == files_.size();
  for (std::size_t i = 0; sameFiles && i < chapters.size(); ++i)
    sameFiles = chapters[i].file.path == files_[i];
  if (!sameFiles) {
    recount(snapshot);
    return;
  }
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    const auto &now = chapters[i].text;
    if (now != texts_[i] && *now != *texts_[i])
      census_.updateChapter(i, *now);
    texts_[i] = now;
  }
}

std::vector<Finding> ContinuityChecker::check(const BookBible &bible, const ChapterView &view) const {
  CheckContext ctx{bible.bible(), bible.mentions(), bible.facts(), census_, dictionary_.get(), bible.chapterFiles()};
  auto out = names_.check(ctx, view);
  auto append = [&](std::vector<Finding> more) {
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  append(dead_.check(ctx, view));
  append(pov_.check(ctx, view));
  std::stable_sort(out.begin(), out.end(), [](const Finding &a, const Finding &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.code < b.code;
  });
  return out;
}

std::vector<Finding> ContinuityChecker::checkParagraphs(const BookBible &bible, const BookSnapshot &book,
                                                        std::size_t chapter, std::size_t firstLocal,
                                                        std::size_t count) const {
  if (chapter >= book.chapters().size() || chapter >= bible.mentions().chapterCount())
    return {};
  return check(bible, chapterView(book, chapter, firstLocal, count));
}

std::vector<Finding> ContinuityChecker::checkChapter(const BookBible &bible, const BookSnapshot &book,
                                                     std::size_t chapter) const {
  return checkParagraphs(bible, book, chapter, 0, static_cast<std::size_t>(-1));
}

std::vector<Finding> ContinuityChecker::checkBook(const BookBible &bible, const BookSnapshot &book) const {
  std::vector<Finding> out;
  for (std::size_t c = 0; c < book.chapters().size(); ++c) {
    auto found = checkChapter(bible, book, c);
    out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  return out;
}

} // namespace recurrent::engine::continuity
