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

std::vector<std::string_view> textsOf(const BookSnapshot &book) {
  std::vector<std::string_view> texts;
  for (std::size_t i = 0; i < book.chapters().size(); ++i)
    texts.push_back(book.chapterText(i));
  return texts;
}

} // namespace

ContinuityChecker::ContinuityChecker(std::shared_ptr<const Bible> bible, Options options)
    : bible_(bible ? std::move(bible) : std::make_shared<const Bible>()),
      dictionary_(chooseDictionary(options, dictionaryNotice_)), mentions_(*bible_),
      names_(*bible_, dictionary_.get(), options.names) {}

void ContinuityChecker::build(const BookSnapshot &book) {
  auto texts = textsOf(book);
  mentions_.build(texts);
  facts_ = BookFacts::collect(*bible_, texts);
  census_.build(texts);
  chapterFiles_.clear();
  for (const auto &c : book.chapters())
    chapterFiles_.push_back(c.file.path);
}

void ContinuityChecker::updateChapter(const BookSnapshot &book, std::size_t chapter) {
  if (book.chapters().size() != mentions_.chapterCount() || chapter >= book.chapters().size()) {
    build(book);
    return;
  }
  auto text = book.chapterText(chapter);
  mentions_.updateChapter(chapter, text);
  facts_.updateChapter(*bible_, chapter, text);
  census_.updateChapter(chapter, text);
  chapterFiles_[chapter] = book.chapters()[chapter].file.path;
}

void ContinuityChecker::applyEdit(const BookSnapshot &book, std::size_t chapter, std::size_t begin,
                                  std::size_t oldLength, std::size_t newLength) {
  if (book.chapters().size() != mentions_.chapterCount() || chapter >= book.chapters().size()) {
    build(book);
    return;
  }
  auto text = book.chapterText(chapter);
  mentions_.applyEdit(chapter, text, begin, oldLength, newLength);
  facts_.updateChapter(*bible_, chapter, text);
  census_.updateChapter(chapter, text);
}

CheckContext ContinuityChecker::context() const {
  return CheckContext{*bible_, mentions_, facts_, census_, dictionary_.get(), chapterFiles_};
}

std::vector<Finding> ContinuityChecker::check(const ChapterView &view) const {
  auto ctx = context();
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

std::vector<Finding> ContinuityChecker::checkParagraphs(const BookSnapshot &book, std::size_t chapter,
                                                        std::size_t firstLocal, std::size_t count) const {
  if (chapter >= book.chapters().size() || chapter >= mentions_.chapterCount())
    return {};
  return check(chapterView(book, chapter, firstLocal, count));
}

std::vector<Finding> ContinuityChecker::checkChapter(const BookSnapshot &book, std::size_t chapter) const {
  return checkParagraphs(book, chapter, 0, static_cast<std::size_t>(-1));
}

std::vector<Finding> ContinuityChecker::checkBook(const BookSnapshot &book) const {
  std::vector<Finding> out;
  for (std::size_t c = 0; c < book.chapters().size(); ++c) {
    auto found = checkChapter(book, c);
    out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  return out;
}

} // namespace recurrent::engine::continuity
