#include "engine/memory/LexicalIndexFile.h"

#include "support/Files.h"

#include <xxhash.h>

#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace recurrent::engine {
namespace {

constexpr std::string_view kMagic = "recurrent-words-1\n";
constexpr std::size_t kHeaderSize = kMagic.size() + 2 * sizeof(std::uint64_t);

/// A file mapped read-only and populated in one go: the page cache's pages, without copying
/// them into fresh memory (page faults dominate reading a cache of a novel's size).
class MappedFile {
public:
  explicit MappedFile(const std::filesystem::path &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void *p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char *>(p);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_)
      ::munmap(const_cast<char *>(data_), size_);
  }
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  std::string_view bytes() const { return {data_, size_}; }

private:
  const char *data_ = nullptr;
  std::size_t size_ = 0;
};

} // namespace

Status saveLexicalIndex(const std::filesystem::path &path, const LexicalIndex &index, std::uint64_t builtFrom) {
  std::string bytes(kMagic);
  bytes.append(reinterpret_cast<const char *>(&builtFrom), sizeof builtFrom);
  bytes.append(sizeof(std::uint64_t), '\0'); // the checksum, once the payload is known
  bytes = index.serialise(std::move(bytes));
  const std::uint64_t checksum = XXH3_64bits(bytes.data() + kHeaderSize, bytes.size() - kHeaderSize);
  std::memcpy(bytes.data() + kMagic.size() + sizeof builtFrom, &checksum, sizeof checksum);
  return writeFileAtomically(path, bytes);
}

bool loadLexicalIndex(const std::filesystem::path &path, std::uint64_t builtFrom, LexicalIndex &index) {
  // The file is replaced by rename, never written in place, so the mapping cannot change under us.
  MappedFile file(path);
  const std::string_view bytes = file.bytes();
  if (bytes.size() < kHeaderSize || !bytes.starts_with(kMagic))
    return false;
  std::uint64_t recorded = 0, checksum = 0;
  std::memcpy(&recorded, bytes.data() + kMagic.size(), sizeof recorded);
  std::memcpy(&checksum, bytes.data() + kMagic.size() + sizeof recorded, sizeof checksum);
  if (recorded != builtFrom) // stale: checked before the checksum, which costs a pass over the file
    return false;
  const std::string_view payload = bytes.substr(kHeaderSize);
  if (XXH3_64bits(payload.data(), payload.size()) != checksum)
    return false;
  return index.deserialise(payload);
}

} // namespace recurrent::engine
