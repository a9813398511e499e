#include "cli/BookOfPath.h"

#include "engine/bible/BibleFile.h"

#include <system_error>

namespace recurrent::cli {
using namespace recurrent::engine;
namespace fs = std::filesystem;

BookLayout bookOfPath(const fs::path &path) {
  std::error_code ec;
  auto absolute = fs::absolute(path, ec).lexically_normal();
  if (!absolute.has_filename())
    absolute = absolute.parent_path();
  if (fs::is_directory(absolute, ec)) {
    auto name = absolute.filename().string();
    if (name == "bible")
      return BookLayout::find(absolute.parent_path()).value_or(BookLayout::folder(absolute.parent_path()));
    if (name.size() > 6 && name.ends_with(".bible"))
      return BookLayout::singleFile(absolute.parent_path() / (name.substr(0, name.size() - 6) + ".md"));
  }
  if (auto found = BookLayout::find(absolute))
    return *found;
  if (fs::is_directory(absolute, ec))
    return BookLayout::folder(absolute);
  // A chapter of a folder that is not a story yet but keeps a bible/ beside it: that folder's bible, not an
  // empty NAME.bible/ of its own.
  auto single = BookLayout::singleFile(absolute);
  if (!fs::exists(bibleFolder(single), ec) && fs::is_directory(absolute.parent_path() / "bible", ec))
    return BookLayout::folder(absolute.parent_path());
  return single;
}


} // namespace recurrent::cli
