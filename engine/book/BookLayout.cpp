#include "engine/book/BookLayout.h"

#include "support/Files.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace recurrent::engine {
namespace fs = std::filesystem;

namespace {

fs::path normalised(const fs::path &p) {
  std::error_code ec;
  auto abs = fs::absolute(p, ec);
  if (ec)
    abs = p;
  abs = abs.lexically_normal();
  if (!abs.has_filename() && abs.has_parent_path() && abs != abs.root_path())
    abs = abs.parent_path();
  return abs;
}

bool isDirectory(const fs::path &p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool isRegularFile(const fs::path &p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isChapterExtension(const fs::path &p) {
  auto ext = lower(p.extension().string());
  return ext == ".md" || ext == ".markdown" || ext == ".txt";
}

/// Names never walked into or listed: hidden, `_`-prefixed, the state, the bible and notes.
bool skippedFolder(const std::string &name) {
  return name.empty() || name[0] == '.' || name[0] == '_' || name == "bible" || name == "notes";
}

bool skippedFile(const std::string &name) {
  if (name.empty() || name[0] == '.' || name[0] == '_')
    return true;
  auto l = lower(name);
  return l.rfind("readme", 0) == 0 || l == "summary.md";
}

int compareNatural(std::string_view a, std::string_view b, bool foldCase) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    unsigned char ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[j]);
    if (std::isdigit(ca) && std::isdigit(cb)) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      // Compare the numbers without leading zeros: by length, then digit by digit.
      std::size_t is = i, js = j;
      while (is + 1 < ie && a[is] == '0')
        ++is;
      while (js + 1 < je && b[js] == '0')
        ++js;
      if (ie - is != je - js)
        return ie - is < je - js ? -1 : 1;
      if (int c = a.substr(is, ie - is).compare(b.substr(js, je - js)); c != 0)
        return c < 0 ? -1 : 1;
      i = ie;
      j = je;
      continue;
    }
    if (foldCase) {
      ca = static_cast<unsigned char>(std::tolower(ca));
      cb = static_cast<unsigned char>(std::tolower(cb));
    }
    if (ca != cb)
      return ca < cb ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size())
    return 1;
  if (j < b.size())
    return -1;
  return 0;
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos)
      slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

std::string percentDecoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = hexValue(s[i + 1]), l = hexValue(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string slugOf(std::string_view title) {
  std::string out;
  for (unsigned char c : title) {
    if (std::isalnum(c) || c >= 0x80) {
      out += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  if (out.size() > 60)
    out.resize(60);
  return out;
}

} // namespace

bool naturalLess(std::string_view a, std::string_view b) {
  auto ca = components(a), cb = components(b);
  for (std::size_t i = 0; i < ca.size() && i < cb.size(); ++i) {
    if (int c = compareNatural(ca[i], cb[i], true); c != 0)
      return c < 0;
  }
  if (ca.size() != cb.size())
    return ca.size() < cb.size();
  return compareNatural(a, b, false) < 0 || (compareNatural(a, b, false) == 0 && a < b);
}

std::vector<std::string> summaryLinks(std::string_view summary) {
  std::vector<std::string> out;
  bool inFence = false;
  std::size_t lineStart = 0;
  while (lineStart < summary.size()) {
    auto lineEnd = summary.find('\n', lineStart);
    if (lineEnd == std::string_view::npos)
      lineEnd = summary.size();
    std::string_view line = summary.substr(lineStart, lineEnd - lineStart);
    lineStart = lineEnd + 1;
    auto first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && (line.substr(first, 3) == "```" || line.substr(first, 3) == "~~~")) {
      inFence = !inFence;
      continue;
    }
    if (inFence)
      continue;
    // Every [text](target) on the line (a list item holds one; prefix chapters are bare links).
    std::size_t pos = 0;
    while ((pos = line.find("](", pos)) != std::string_view::npos) {
      auto close = line.find(')', pos + 2);
      if (close == std::string_view::npos)
        break;
      std::string_view target = line.substr(pos + 2, close - pos - 2);
      pos = close + 1;
      while (!target.empty() && (target.front() == ' ' || target.front() == '<'))
        target.remove_prefix(1);
      while (!target.empty() && (target.back() == ' ' || target.back() == '>'))
        target.remove_suffix(1);
      if (auto hash = target.find('#'); hash != std::string_view::npos)
        target = target.substr(0, hash);
      if (auto space = target.find(" \""); space != std::string_view::npos) // [t](file.md "title")
        target = target.substr(0, space);
      if (target.empty() || target.find("://") != std::string_view::npos || target.rfind("mailto:", 0) == 0)
        continue; // a draft chapter, an anchor or an external link
      out.push_back(percentDecoded(target));
    }
  }
  return out;
}

// --- Finding a book ---------------------------------------------------------------------------

bool BookLayout::isStateFile(const fs::path &path) {
  for (const auto &part : normalised(path))
    if (part == ".recurrent")
      return true;
  return false;
}

BookLayout BookLayout::folder(const fs::path &root) {
  auto r = normalised(root);
  return BookLayout(Kind::Folder, r, StatePaths::forBook(r));
}

BookLayout BookLayout::singleFile(const fs::path &file) {
  auto f = normalised(file);
  return BookLayout(Kind::SingleFile, f, StatePaths::forManuscript(f));
}

std::optional<BookLayout> BookLayout::find(const fs::path &path) {
  if (isStateFile(path))
    return std::nullopt;
  auto p = normalised(path);
  fs::path dir = isDirectory(p) ? p : p.parent_path();
  for (fs::path d = dir;; d = d.parent_path()) {
    if (isDirectory(StatePaths::forBook(d).dir))
      return folder(d);
    if (d == d.root_path() || d.parent_path() == d)
      break;
  }
  if (!isDirectory(p) && isDirectory(StatePaths::forManuscript(p).dir))
    return singleFile(p);
  return std::nullopt;
}

fs::path BookLayout::baseDir() const { return isFolder() ? root_ : root_.parent_path(); }

bool BookLayout::hasState() const { return isDirectory(paths_.dir); }

std::string BookLayout::relativePath(const fs::path &path) const {
  return normalised(path).lexically_relative(baseDir()).generic_string();
}

std::optional<fs::path> BookLayout::summaryFile() const {
  if (!isFolder())
    return std::nullopt;
  for (auto candidate : {root_ / "SUMMARY.md", root_ / "src" / "SUMMARY.md"})
    if (isRegularFile(candidate))
      return candidate;
  return std::nullopt;
}

std::vector<ChapterFile> BookLayout::chapters() const {
  std::vector<ChapterFile> out;
  if (!isFolder()) {
    out.push_back({root_, root_.filename().generic_string()});
    return out;
  }
  if (auto summary = summaryFile()) {
    auto text = readFile(*summary);
    std::set<fs::path> seen;
    if (text) {
      for (const auto &link : summaryLinks(*text)) {
        fs::path p = normalised(summary->parent_path() / fs::path(link));
        if (isStateFile(p) || !isRegularFile(p) || !seen.insert(p).second)
          continue;
        if (p.lexically_relative(root_).empty() || *p.lexically_relative(root_).begin() == "..")
          continue; // outside the book
        out.push_back({p, relativePath(p)});
      }
      return out;
    }
  }
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    std::error_code tec;
    if (it->is_directory(tec)) {
      if (skippedFolder(name))
        it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(tec) || skippedFile(name) || !isChapterExtension(it->path()))
      continue;
    auto p = normalised(it->path());
    out.push_back({p, relativePath(p)});
  }
  std::sort(out.begin(), out.end(),
            [](const ChapterFile &a, const ChapterFile &b) { return naturalLess(a.relative, b.relative); });
  return out;
}

bool BookLayout::isChapter(const fs::path &path) const {
  auto p = normalised(path);
  if (!isFolder())
    return p == root_;
  for (const auto &c : chapters())
    if (c.path == p)
      return true;
  return false;
}

// --- New chapters -----------------------------------------------------------------------------

Result<fs::path> BookLayout::nextChapterPath(std::string_view title) const {
  if (!isFolder())
    return Error{ErrorKind::InvalidArgument, "a one-file story has no chapter files: make its folder a book first"};
  auto list = chapters();
  const std::string slug = slugOf(title);
  fs::path dir = root_;
  std::string prefix = "chapter-", separator = "-", extension = ".md";
  std::string digits = "00";
  if (!list.empty()) {
    const auto &last = list.back().path;
    dir = last.parent_path();
    extension = last.extension().string();
    std::string stem = last.stem().string();
    // The last run of digits in the stem.
    auto end = stem.find_last_of("0123456789");
    if (end == std::string::npos) {
      prefix = stem + "-";
      digits = "1";
    } else {
      auto begin = stem.find_last_not_of("0123456789", end);
      begin = begin == std::string::npos ? 0 : begin + 1;
      prefix = stem.substr(0, begin);
      digits = stem.substr(begin, end + 1 - begin);
      std::string after = stem.substr(end + 1);
      separator = !after.empty() && (after[0] == '-' || after[0] == '_' || after[0] == ' ' || after[0] == '.')
                      ? std::string(1, after[0])
                      : std::string("-");
    }
  }
  // Count up from the last number (or from 0 when the name had none), keeping the width.
  std::size_t width = digits.size();
  unsigned long long n = 0;
  for (char c : digits)
    n = n * 10 + static_cast<unsigned>(c - '0');
  for (int attempt = 0; attempt < 10000; ++attempt) {
    ++n;
    std::string number = std::to_string(n);
    if (number.size() < width)
      number.insert(0, width - number.size(), '0');
    std::string name = prefix + number + (slug.empty() ? std::string() : separator + slug) + extension;
    fs::path candidate = dir / name;
    std::error_code ec;
    if (!fs::exists(candidate, ec))
      return candidate;
  }
  return Error{ErrorKind::Io, "no free name for a new chapter in " + dir.string()};
}

Result<fs::path> BookLayout::createNextChapter(std::string_view title) const {
  auto next = nextChapterPath(title);
  if (!next)
    return next.error();
  std::error_code ec;
  if (fs::exists(*next, ec))
    return Error{ErrorKind::InvalidArgument, "the next chapter file " + next->string() + " already exists"};
  const std::string heading = title.empty() ? "Chapter " + std::to_string(chapters().size() + 1) : std::string(title);
  if (auto s = writeFileAtomically(*next, "# " + heading + "\n"); !s)
    return s.error();
  if (auto s = addToSummary(*next, heading); !s)
    return s.error();
  return *next;
}

Status BookLayout::addToSummary(const fs::path &chapter, std::string_view title) const {
  auto summary = summaryFile();
  if (!summary)
    return okStatus();
  auto text = readFile(*summary);
  if (!text)
    return text.error();
  std::string body = std::move(*text);
  if (!body.empty() && body.back() != '\n')
    body += '\n';
  auto target = normalised(chapter).lexically_relative(summary->parent_path()).generic_string();
  std::string encoded;
  for (char c : target)
    encoded += c == ' ' ? std::string("%20") : std::string(1, c);
  const std::string label = title.empty() ? normalised(chapter).stem().string() : std::string(title);
  body += "- [" + label + "](" + encoded + ")\n";
  return writeFileAtomically(*summary, body);
}

} // namespace recurrent::engine
