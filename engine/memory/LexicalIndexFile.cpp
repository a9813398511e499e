#include "engine/memory/LexicalIndexFile.h"

#include "support/Files.h"

#include <xxhash.h>

#include <cstring>
#include <string>
#include <string_view>

namespace recurrent::engine {
namespace {

constexpr std::string_view kMagic = "recurrent-words-1\n";
constexpr std::size_t kHeaderSize = kMagic.size() + 2 * sizeof(std::uint64_t);

} // namespace

Status saveLexicalIndex(const std::filesystem::path &path, const LexicalIndex &index, std::uint64_t builtFrom) {
  const std::string payload = index.serialise();
  const std::uint64_t checksum = XXH3_64bits(payload.data(), payload.size());
  std::string bytes;
  bytes.reserve(kHeaderSize + payload.size());
  bytes.append(kMagic);
  bytes.append(reinterpret_cast<const char *>(&builtFrom), sizeof builtFrom);
  bytes.append(reinterpret_cast<const char *>(&checksum), sizeof checksum);
  bytes.append(payload);
  return writeFileAtomically(path, bytes);
}

bool loadLexicalIndex(const std::filesystem::path &path, std::uint64_t builtFrom, LexicalIndex &index) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return false;
  auto bytes = readFile(path);
  if (!bytes || bytes->size() < kHeaderSize || !std::string_view(*bytes).starts_with(kMagic))
    return false;
  std::uint64_t recorded = 0, checksum = 0;
  std::memcpy(&recorded, bytes->data() + kMagic.size(), sizeof recorded);
  std::memcpy(&checksum, bytes->data() + kMagic.size() + sizeof recorded, sizeof checksum);
  if (recorded != builtFrom) // stale: checked before the checksum, which costs a pass over the file
    return false;
  const std::string_view payload = std::string_view(*bytes).substr(kHeaderSize);
  if (XXH3_64bits(payload.data(), payload.size()) != checksum)
    return false;
  return index.deserialise(payload);
}

} // namespace recurrent::engine
