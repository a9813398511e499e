#include "tests/support/TempDir.h"

#include <cstdlib>
#include <stdexcept>

namespace recurrent::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "recurrent-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace recurrent::test
