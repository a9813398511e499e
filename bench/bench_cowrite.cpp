// bench_cowrite: co-writing on a whole novel over LSP (the real server over the in-memory transport).
//
// War and Peace is copied to a temporary folder (the server keeps the story's memory beside the
// file) and opened by a client that behaves like an editor: it answers workspace/configuration,
// accepts progress tokens and applies the server's workspace/applyEdit by echoing them back as
// didChange. Measured:
//   1. didOpen → memory ready (the `$/progress` end "memory ready" of the first index), offline
//      backend, cold (no state: the manuscript is adopted) and warm (state on disk, new server);
//   2. p50/p99 of textDocument/codeAction, textDocument/hover and a one-character didChange round
//      trip (didChange + a cheap request), first with no continuation running (baseline), then while
//      `recurrent.continue` streams from a slow fake OpenAI-compatible model on 127.0.0.1 (tokens
//      trickle over several seconds). Target: p99 < 10 ms while streaming.
// Prints a table and `ROW<TAB>figure<TAB>value<TAB>target` lines for bench/run.
// Usage: bench_cowrite [BOOK] (default: RECURRENT_CORPUS or the corpus beside the checkout).
#include "bench/BenchBook.h"
#include "protocol/JsonRpc.h"
#include "protocol/Uri.h"
#include "server/InMemoryTransport.h"
#include "server/LspServer.h"
#include "support/Files.h"
#include "tests/support/FakeLlmServer.h"
#include "tests/support/SchemaAnswers.h"
#include "tests/support/TempDir.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace recurrent;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "bench_cowrite: %s\n", message.c_str());
  std::exit(1);
}

/// An editor attached to a real LspServer: a receiver thread files replies, answers the server's
/// requests (configuration, progress tokens, applyEdit echoed back as didChange) and notes the
/// progress ends, so the bench thread only sends and waits.
class Editor {
public:
  Editor(json settings, server::LspServer::Options options) : settings_(std::move(settings)) {
    server_ = std::make_unique<server::LspServer>(transport_, std::move(options));
    serverThread_ = std::thread([this] { server_->run(); });
    receiver_ = std::thread([this] { receive(); });
  }
  ~Editor() {
    if (!stopped_)
      stop();
  }

  void notify(const std::string &method, const json &params) {
    transport_.clientSend(protocol::serializeNotification(method, params));
  }
  std::int64_t send(const std::string &method, const json &params) {
    std::int64_t id = nextId_++;
    transport_.clientSend(protocol::serializeRequest(id, method, params));
    return id;
  }
  /// The reply to request `id` ({result} or {error}); exits the bench after a minute without one.
  json wait(std::int64_t id) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::seconds(60), [&] { return replies_.count(id) > 0; }))
      die("no reply to request " + std::to_string(id));
    json reply = std::move(replies_[id]);
    replies_.erase(id);
    return reply;
  }
  bool replied(std::int64_t id) {
    std::lock_guard lock(mutex_);
    return replies_.count(id) > 0;
  }
  json call(const std::string &method, const json &params) { return wait(send(method, params)); }
  /// A call whose error is fatal for the bench.
  json result(const std::string &method, const json &params) {
    json reply = call(method, params);
    if (reply.contains("error"))
      die(method + " failed: " + reply["error"].dump());
    return reply["result"];
  }

  /// A didChange with the next version (the receiver's echoes share the counter, in order).
  void change(const std::string &uri, const json &changes) {
    std::lock_guard lock(versionMutex_);
    notify("textDocument/didChange",
           {{"textDocument", {{"uri", uri}, {"version", ++version_}}}, {"contentChanges", changes}});
  }

  /// Waits for the next `$/progress` end whose message is `message`; returns when it arrived.
  Clock::time_point waitProgressEnd(const std::string &message, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] {
          return std::any_of(progressEnds_.begin(), progressEnds_.end(),
                             [&](auto &e) { return e.first == message; });
        }))
      die("no progress end \"" + message + "\" within " + std::to_string(timeout.count()) + " s");
    auto it =
        std::find_if(progressEnds_.begin(), progressEnds_.end(), [&](auto &e) { return e.first == message; });
    auto at = it->second;
    progressEnds_.erase(it);
    return at;
  }

  int appliedEdits() const { return applied_.load(); }
  std::vector<std::string> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }

  void initialize() {
    json capabilities = {{"workspace", {{"applyEdit", true}, {"configuration", true}}},
                         {"window", {{"workDoneProgress", true}}},
                         {"textDocument", {{"hover", {{"contentFormat", {"markdown"}}}}}}};
    result("initialize", {{"capabilities", capabilities}});
    notify("initialized", json::object());
  }
  void open(const std::string &uri, const std::string &text) {
    notify("textDocument/didOpen",
           {{"textDocument",
             {{"uri", uri}, {"languageId", "markdown"}, {"version", version_}, {"text", text}}}});
  }
  void stop() {
    stopped_ = true;
    call("shutdown", nullptr);
    notify("exit", nullptr);
    serverThread_.join();
    stopping_ = true;
    receiver_.join();
  }

private:
  void receive() {
    while (!stopping_) {
      auto body = transport_.clientReceive(std::chrono::milliseconds(20));
      if (!body)
        continue;
      json m = json::parse(*body, nullptr, false);
      if (!m.is_object())
        continue;
      if (m.contains("method") && m.contains("id")) {
        answer(m);
      } else if (m.contains("id")) {
        if (!m["id"].is_number_integer())
          die("the server could not read a message: " + m.dump());
        auto id = m["id"].get<std::int64_t>();
        std::lock_guard lock(mutex_);
        replies_[id] = std::move(m);
        changed_.notify_all();
      } else if (m.value("method", "") == "$/progress") {
        const json &value = m["params"]["value"];
        if (value.value("kind", "") == "end") {
          std::lock_guard lock(mutex_);
          progressEnds_.emplace_back(value.value("message", ""), Clock::now());
          changed_.notify_all();
        }
      } else if (m.value("method", "") == "window/showMessage" && m["params"].value("type", 0) <= 2) {
        std::lock_guard lock(mutex_);
        errors_.push_back(m["params"].value("message", ""));
      }
    }
  }

  void answer(const json &request) {
    const std::string method = request["method"];
    json result = nullptr;
    if (method == "workspace/configuration") {
      result = json::array();
      for (std::size_t i = 0; i < request["params"].value("items", json::array()).size(); ++i)
        result.push_back(settings_);
    } else if (method == "workspace/applyEdit") {
      // Apply like an editor: the document changes (didChange), then the edit is acknowledged.
      for (const auto &[uri, edits] : request["params"]["edit"]["changes"].items()) {
        json changes = json::array();
        for (const auto &edit : edits)
          changes.push_back({{"range", edit["range"]}, {"text", edit["newText"]}});
        change(uri, changes);
        applied_ += static_cast<int>(edits.size());
      }
      result = {{"applied", true}};
    }
    transport_.clientSend(protocol::serializeResult(request["id"].get<std::int64_t>(), result));
  }

  json settings_;
  server::InMemoryTransport transport_;
  std::unique_ptr<server::LspServer> server_;
  std::thread serverThread_, receiver_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::atomic<std::int64_t> nextId_{1};
  std::mutex versionMutex_;
  std::int64_t version_ = 1;
  std::atomic<int> applied_{0};

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::int64_t, json> replies_;
  std::vector<std::pair<std::string, Clock::time_point>> progressEnds_;
  std::vector<std::string> errors_;
};

server::LspServer::Options serverOptions() {
  server::LspServer::Options options;
  // Neither a key nor a base URL from the machine running the bench.
  options.coWriter.environment = [](std::string_view) { return std::optional<std::string>(); };
  return options;
}

/// Plain prose for the fake model's paragraphs: a continuation of realistic length (~170 words).
std::string prose(int call) {
  static const char *sentences[] = {
      "Pierre crossed the drawing room without looking at anyone, and the old prince watched him go.",
      "Outside, the carriages waited in the snow while the coachmen stamped their feet and talked of the "
      "war.",
      "Natasha laughed at something her brother said, then fell silent, listening to the music below.",
      "The letter from the army had arrived that morning, and nobody yet dared to read it aloud.",
      "Prince Andrew stood by the window, thinking of the bridge, the smoke and the long grey sky over it.",
      "Old servants carried the candles along the gallery, and their shadows moved slowly across the "
      "portraits.",
      "Somewhere a door closed, and the house seemed to hold its breath until the footsteps had passed.",
      "He told himself that tomorrow everything would be decided, and the thought gave him a strange calm.",
  };
  std::string out;
  for (int i = 0; i < 10; ++i) {
    if (!out.empty())
      out += ' ';
    out += sentences[(call * 3 + i) % 8];
  }
  return out;
}

/// The fake model: answers every schema (SchemaAnswers), with book-length paragraphs; while `slow`
/// is set, the stream trickles (a small piece every 15 ms: a step takes several seconds).
test::FakeLlmServer::Handler modelHandler(test::SchemaAnswers &answers, std::atomic<bool> &slow) {
  return [&answers, &slow](const test::FakeRequest &request) {
    if (request.path != "/v1/chat/completions")
      return test::FakeResponse::error(404, "not scripted");
    json answer = answers.answer(request);
    if (answer.contains("paragraph"))
      answer["paragraph"] = prose(answers.calls());
    test::ChatStreamOptions options;
    options.deltaBytes = 8; // about two tokens per chunk
    test::FakeResponse response = test::chatStream(answer.dump(), options);
    if (slow)
      response.split(static_cast<unsigned>(answers.calls()), 200, std::chrono::milliseconds(15));
    return response;
  };
}

struct Latencies {
  std::vector<double> codeAction, hover, edit;
};

/// One round of the three measured requests.
struct Probe {
  Editor &editor;
  std::string uri;
  std::uint32_t hoverLine, editLine, actionLine;
  int edits = 0;
  bool hoverHadMemory = false;

  void once(Latencies &out) {
    json range = {{"start", {{"line", actionLine}, {"character", 0}}},
                  {"end", {{"line", actionLine}, {"character", 0}}}};
    auto t = Clock::now();
    json actions = editor.call(
        "textDocument/codeAction",
        {{"textDocument", {{"uri", uri}}}, {"range", range}, {"context", {{"diagnostics", json::array()}}}});
    out.codeAction.push_back(ms(Clock::now() - t));
    if (actions.contains("error"))
      die("codeAction failed: " + actions["error"].dump());

    t = Clock::now();
    json hover = editor.call("textDocument/hover", {{"textDocument", {{"uri", uri}}},
                                                    {"position", {{"line", hoverLine}, {"character", 2}}}});
    out.hover.push_back(ms(Clock::now() - t));
    if (hover.contains("result") && hover["result"].is_object() &&
        hover["result"]["contents"].value("value", "").find("Memory:") != std::string::npos)
      hoverHadMemory = true;

    // Insert a character at the start of a line in the middle of the book, then delete it.
    bool insert = edits++ % 2 == 0;
    json editRange = {{"start", {{"line", editLine}, {"character", 0}}},
                      {"end", {{"line", editLine}, {"character", insert ? 0 : 1}}}};
    t = Clock::now();
    editor.change(uri, json::array({{{"range", editRange}, {"text", insert ? "x" : ""}}}));
    editor.call("$/bench/barrier", nullptr);
    out.edit.push_back(ms(Clock::now() - t));
  }
};

/// The first non-blank line at or after `fraction` of the book.
std::uint32_t proseLineNear(const std::string &text, double fraction) {
  std::size_t at = text.find('\n', static_cast<std::size_t>(fraction * static_cast<double>(text.size())));
  while (at != std::string::npos && at + 1 < text.size() && (text[at + 1] == '\n' || text[at + 1] == '\r'))
    at = text.find('\n', at + 1);
  return static_cast<std::uint32_t>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at + 1), '\n'));
}

} // namespace

int main(int argc, char **argv) {
  spdlog::set_level(spdlog::level::err);
  const std::filesystem::path book = bench::benchBook(argc, argv);
  auto text = readFile(book);
  if (!text.ok()) {
    std::printf("bench_cowrite: skipped: %s (pass a book or set RECURRENT_CORPUS)\n",
                text.error().message.c_str());
    return 0;
  }
  // The server writes the story's memory beside the manuscript: work on a copy.
  test::TempDir dir;
  auto path = dir / book.filename().string();
  if (auto s = writeFileAtomically(path, *text); !s)
    die(s.error().message);
  const std::string uri = protocol::pathToUri(path);

  // 1. didOpen → memory ready, offline: cold (adopts the book), then warm (state on disk).
  double openMs[2] = {0, 0};
  for (int run = 0; run < 2; ++run) {
    Editor editor({{"provider", "offline"}, {"autoAdopt", true}}, serverOptions()); // didOpen adopts: what it measures
    editor.initialize();
    auto t0 = Clock::now();
    editor.open(uri, *text);
    auto ready = editor.waitProgressEnd("memory ready", std::chrono::seconds(600));
    openMs[run] = ms(ready - t0);
    for (const auto &e : editor.errors())
      die("the server reported: " + e);
    editor.stop();
  }

  // 2. The same book with the openai backend on a slow fake model (the summaries are reused).
  test::FakeLlmServer model;
  test::SchemaAnswers answers;
  std::atomic<bool> slow{false};
  model.setHandler(modelHandler(answers, slow));
  Editor editor(
      {{"provider", "openai"}, {"baseUrl", model.baseUrl()}, {"model", "fake-model"}, {"streaming", true}, {"autoAdopt", true}},
      serverOptions());
  editor.initialize();
  auto t0 = Clock::now();
  editor.open(uri, *text);
  double reopenMs = ms(editor.waitProgressEnd("memory ready", std::chrono::seconds(600)) - t0);

  Probe probe{editor, uri, proseLineNear(*text, 0.4), proseLineNear(*text, 0.5), proseLineNear(*text, 0.99)};
  const std::size_t kSamples = 1000;
  Latencies baseline, streaming;
  for (std::size_t i = 0; i < kSamples; ++i) {
    probe.once(baseline);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  slow = true;
  int continuations = 0;
  long lastStep = 0;
  double continueMs = 0;
  int editsBefore = editor.appliedEdits();
  while ((streaming.edit.size() < kSamples || continuations < 3) && continuations < 10) {
    auto start = Clock::now();
    std::int64_t id = editor.send("workspace/executeCommand",
                                  {{"command", "recurrent.continue"},
                                   {"arguments", {{{"uri", uri}, {"planIndex", continuations % 3}}}}});
    while (!editor.replied(id)) {
      probe.once(streaming);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    json reply = editor.wait(id);
    if (reply.contains("error"))
      die("recurrent.continue failed: " + reply["error"].dump());
    continueMs += ms(Clock::now() - start);
    ++continuations;
    lastStep = reply["result"].value("step", 0L);
  }
  int streamedEdits = editor.appliedEdits() - editsBefore;
  for (const auto &e : editor.errors())
    die("the server reported: " + e);
  editor.stop();

  std::printf("bench_cowrite: %s (%.1f MB); fake model on 127.0.0.1; %d continuations of %.1f s on average, "
              "%d applyEdit pieces streamed, story at step %ld; hover %s the memory summary\n",
              book.filename().c_str(), static_cast<double>(text->size()) / 1e6, continuations,
              continuations ? continueMs / continuations / 1000 : 0.0, streamedEdits, lastStep,
              probe.hoverHadMemory ? "showed" : "never showed");
  std::printf("| measure                                   | idle p50 | idle p99 | streaming p50 | streaming "
              "p99 | streaming max | target   |\n");
  std::printf("|-------------------------------------------|---------:|---------:|--------------:|-----------"
              "---:|--------------:|----------|\n");
  auto line = [](const char *name, const std::vector<double> &idle, const std::vector<double> &busy) {
    std::printf("| %-41s | %8.3f | %8.3f | %13.3f | %13.3f | %13.3f | p99 < 10 |\n", name,
                percentile(idle, 0.5), percentile(idle, 0.99), percentile(busy, 0.5), percentile(busy, 0.99),
                percentile(busy, 1.0));
  };
  line("textDocument/codeAction, ms", baseline.codeAction, streaming.codeAction);
  line("textDocument/hover, ms", baseline.hover, streaming.hover);
  line("1-char didChange + barrier RTT, ms", baseline.edit, streaming.edit);
  std::printf("samples: %zu idle, %zu while a continuation ran, per request\n\n", baseline.edit.size(),
              streaming.edit.size());
  std::printf(
      "| didOpen → memory ready (`$/progress` end; includes the server's 50 ms settle) |       ms |\n");
  std::printf(
      "|-------------------------------------------------------------------------------|---------:|\n");
  std::printf("| offline, cold: no state yet, the book is adopted (summaries, plans)           | %8.1f |\n",
              openMs[0]);
  std::printf("| offline, warm: state on disk, new server                                      | %8.1f |\n",
              openMs[1]);
  std::printf("| openai backend on the fake model: summaries reused from disk                  | %8.1f |\n",
              reopenMs);

  auto row = [](const std::string &figure, const std::string &value, const std::string &target) {
    std::printf("ROW\t%s\t%s\t%s\n", figure.c_str(), value.c_str(), target.c_str());
  };
  auto pair = [](const std::vector<double> &v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f / %.2f ms", percentile(v, 0.5), percentile(v, 0.99));
    return std::string(buf);
  };
  auto one = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f ms", v);
    return std::string(buf);
  };
  row("co-writing: didOpen -> memory ready, cold (adopt, offline)", one(openMs[0]), "-");
  row("co-writing: didOpen -> memory ready, warm (offline)", one(openMs[1]), "-");
  row("codeAction p50 / p99, idle", pair(baseline.codeAction), "-");
  row("codeAction p50 / p99, continuation streaming", pair(streaming.codeAction), "p99 < 10 ms");
  row("hover p50 / p99, idle", pair(baseline.hover), "-");
  row("hover p50 / p99, continuation streaming", pair(streaming.hover), "p99 < 10 ms");
  row("1-char edit round trip p50 / p99, idle", pair(baseline.edit), "-");
  row("1-char edit round trip p50 / p99, continuation streaming", pair(streaming.edit), "p99 < 10 ms");
  return 0;
}
