// Runs every tests/transcripts/*.test against the real server (format: tests/transcripts/README.md).
#include "protocol/Framing.h"
#include "server/InMemoryTransport.h"
#include "server/LspServer.h"
#include "support/Files.h"
#include "tests/support/TempDir.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace recurrent;
using nlohmann::json;

namespace {

/// Every key of `expected` is in `actual` with a matching value; arrays match element by element.
bool matches(const json &expected, const json &actual) {
  if (expected.is_object()) {
    if (!actual.is_object())
      return false;
    for (const auto &[key, value] : expected.items())
      if (!actual.contains(key) || !matches(value, actual[key]))
        return false;
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size())
      return false;
    for (std::size_t i = 0; i < expected.size(); ++i)
      if (!matches(expected[i], actual[i]))
        return false;
    return true;
  }
  return expected == actual;
}

void runTranscript(const std::filesystem::path &file) {
  auto text = readFile(file);
  REQUIRE(text.ok());
  server::InMemoryTransport transport;
  server::LspServer server(transport, {});
  std::thread thread([&] { server.run(); });
  std::vector<json> received;
  for (const auto &chunk : protocol::splitDelimited(*text)) {
    auto start = chunk.find_first_not_of(" \n");
    if (chunk.compare(start, 3, "<--") != 0) {
      transport.clientSend(chunk);
      continue;
    }
    json expected = json::parse(chunk.substr(start + 3), nullptr, false);
    REQUIRE_MESSAGE(!expected.is_discarded(), "bad expectation: " << chunk);
    bool found = false;
    while (!found) {
      for (std::size_t i = 0; i < received.size() && !found; ++i)
        if (matches(expected, received[i])) {
          received.erase(received.begin(), received.begin() + static_cast<long>(i) + 1);
          found = true;
        }
      if (found)
        break;
      auto body = transport.clientReceive(std::chrono::seconds(10));
      if (!body)
        break;
      received.push_back(json::parse(*body));
    }
    std::string seen;
    for (const auto &r : received)
      seen += r.dump() + "\n";
    CHECK_MESSAGE(found, "no server message matched " << expected.dump() << "\nunmatched:\n" << seen);
  }
  transport.clientCloseInput();
  thread.join();
}

} // namespace

TEST_CASE("transcripts") {
  std::filesystem::path dir = std::filesystem::path(RECURRENT_SOURCE_DIR) / "tests/transcripts";
  int count = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".test")
      continue;
    SUBCASE(entry.path().filename().string().c_str()) { runTranscript(entry.path()); }
    ++count;
  }
  CHECK(count >= 3);
}

TEST_CASE("transcripts: the binary reads the delimited style on stdin") {
  test::TempDir dir;
  REQUIRE(writeFileAtomically(dir / "in.txt",
                              "# comment\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}\n---\n"
                              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"shutdown\"}\n---\n"
                              "{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}\n")
              .ok());
  std::string command = std::string(RECURRENT_BINARY) + " lsp --input-style delimited < " + (dir / "in.txt").string() +
                        " > " + (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
  int status = std::system(command.c_str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto out = readFile(dir / "out.txt");
  REQUIRE(out.ok());
  protocol::FrameDecoder decoder;
  decoder.feed(*out);
  auto first = decoder.next();
  REQUIRE(first);
  CHECK(json::parse(first->text)["result"]["serverInfo"]["name"] == "recurrent");
  auto second = decoder.next();
  REQUIRE(second);
  CHECK(json::parse(second->text)["result"].is_null());
  auto err = readFile(dir / "err.txt");
  REQUIRE(err.ok());
  CHECK(err->find("exits with code 0") != std::string::npos);
}
