// Which book a path given on the command line names, for the commands that read a book's bible.
#pragma once

#include "engine/book/BookLayout.h"

#include <filesystem>

namespace recurrent::cli {

/// The book of `path`: the book it belongs to, a folder given as a book, a bible folder itself
/// (`BOOK/bible`, `DIR/NAME.bible`), or a one-file story. A chapter of a folder that is not a story yet
/// but keeps a bible/ beside it belongs to that folder's book.
engine::BookLayout bookOfPath(const std::filesystem::path &path);

} // namespace recurrent::cli
