// The doctest entry point shared by every test binary.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <spdlog/spdlog.h>

int main(int argc, char **argv) {
  // The servers under test log every request at info; warnings and errors are what a failing
  // test's output needs (and what stays readable in sanitizer logs).
  spdlog::set_level(spdlog::level::warn);
  return doctest::Context(argc, argv).run();
}
