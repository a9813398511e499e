// How often each capitalised word occurs in the book: a word the book uses again and again is a name of
// its own ("Rostov" beside the bible's "Rostova"), not a slip of the keyboard.
//
// Counts words as written (the possessive 's stripped), per chapter, so a chapter's edit re-counts that
// chapter only. Building it for War and Peace takes a few tens of milliseconds.
//
// Thread-safety: not synchronised; one owner updates it, const methods may run concurrently otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace recurrent::engine::continuity {

class NameCensus {
public:
  void build(const std::vector<std::string_view> &chapters);
  void updateChapter(std::size_t chapter, std::string_view text);
  void insertChapter(std::size_t chapter, std::string_view text);
  void removeChapter(std::size_t chapter);

  /// Occurrences of the capitalised word `word` in the whole book.
  std::uint32_t count(std::string_view word) const;
  std::size_t chapterCount() const { return chapters_.size(); }

private:
  using Counts = std::unordered_map<std::string, std::uint32_t>;
  static Counts countWords(std::string_view text);
  void add(const Counts &counts);
  void subtract(const Counts &counts);
  std::vector<Counts> chapters_;
  Counts total_;
};

} // namespace recurrent::engine::continuity
