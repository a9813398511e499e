// LspProcess: the built `recurrent lsp` as a child process, spoken to over real pipes.
//
// For hardening tests that need what an in-memory server cannot give: kill -9, a file-size
// limit, another user, the real stdio transport and its caps. A reader thread decodes what the
// server writes and answers its requests the way an editor does (configuration from `settings`,
// progress tokens accepted, edits applied); the test thread sends, waits for messages matching a
// predicate, and kills or stops the child. Every byte the server wrote to stdout is kept
// (transcript()) so a test can grep it. Header-only, like Process.h.
// Thread-safety: the test thread calls everything; the reader thread appends under mutex_ and
// reads `settings` through its own lock.
#pragma once

#include "protocol/Framing.h"
#include "tests/support/Process.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <poll.h>
#include <thread>

namespace recurrent::test {

class LspProcess {
public:
  using json = nlohmann::json;

  /// Starts `recurrent lsp` plus `extraArgs`; stderr goes to `errFile`.
  LspProcess(const ProcessOptions &options, const std::filesystem::path &errFile,
             const std::vector<std::string> &extraArgs = {}) {
    int in[2], out[2];
    // Close-on-exec: a second server started later must not hold this one's stdin open.
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    std::vector<std::string> args{"lsp"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    detail::ChildPlan p = detail::plan(args, options, "/dev/null", errFile);
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(in[0], 100); // becomeChild() opens its files first, then takes the pipes back
      ::dup2(out[1], 101);
      ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
      becomeChildOnPipes(p);
    }
    ::close(in[0]);
    ::close(out[1]);
    toServer_ = in[1];
    fromServer_ = out[0];
    reader_ = std::thread([this] { readLoop(); });
  }
  ~LspProcess() {
    if (!exited_)
      kill();
    closeInput();
    if (reader_.joinable())
      reader_.join();
    ::close(fromServer_);
  }
  LspProcess(const LspProcess &) = delete;
  LspProcess &operator=(const LspProcess &) = delete;

  /// What workspace/configuration answers for each item. The reader thread answers while the
  /// test thread may assign, so both go through a lock.
  class Settings {
  public:
    Settings &operator=(json value) {
      std::lock_guard lock(mutex_);
      value_ = std::move(value);
      return *this;
    }
    json get() const {
      std::lock_guard lock(mutex_);
      return value_;
    }

  private:
    mutable std::mutex mutex_;
    json value_ = json::object();
  };
  Settings settings;

  void sendRaw(const std::string &bytes) {
    std::lock_guard lock(writeMutex_);
    std::size_t done = 0;
    while (done < bytes.size() && toServer_ >= 0) {
      ssize_t n = ::write(toServer_, bytes.data() + done, bytes.size() - done);
      if (n <= 0)
        return; // the server is gone: the caller's wait will tell
      done += static_cast<std::size_t>(n);
    }
  }
  void send(const json &message) { sendRaw(protocol::encodeFrame(message.dump())); }
  void notify(const std::string &method, const json &params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
  }
  /// Sends a request; its id.
  int request(const std::string &method, const json &params) {
    int id = nextId_++;
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    return id;
  }
  /// Sends a request and waits for its response ({result} or {error}); null on timeout.
  json call(const std::string &method, const json &params, std::chrono::milliseconds timeout = kTimeout) {
    int id = request(method, params);
    return waitFor([id](const json &m) { return m.contains("id") && m["id"] == id && !m.contains("method"); },
                   timeout);
  }

  /// The first message received (ever) that matches; null after the timeout or once the server's
  /// output ends without one.
  json waitFor(const std::function<bool(const json &)> &match, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock lock(mutex_);
    std::size_t seen = 0;
    json found;
    arrived_.wait_for(lock, timeout, [&] {
      for (; seen < messages_.size(); ++seen)
        if (match(messages_[seen])) {
          found = messages_[seen];
          return true;
        }
      return ended_;
    });
    return found;
  }
  /// The params of the first notification with `method` that satisfy `match`; null on timeout.
  json waitForNotification(const std::string &method, const std::function<bool(const json &params)> &match = {},
                           std::chrono::milliseconds timeout = kTimeout) {
    json m = waitFor(
        [&](const json &m) {
          return m.value("method", "") == method && !m.contains("id") && (!match || match(m["params"]));
        },
        timeout);
    return m.is_null() ? m : m["params"];
  }
  std::vector<json> notifications(const std::string &method) {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto &m : messages_)
      if (m.value("method", "") == method && !m.contains("id"))
        out.push_back(m["params"]);
    return out;
  }
  /// Everything the server wrote on stdout.
  std::string transcript() {
    std::lock_guard lock(mutex_);
    return transcript_;
  }

  /// initialize (progress, configuration and applyEdit supported) + initialized.
  json initialize(const std::filesystem::path &root, const std::string &trace = "off") {
    json caps = {{"workspace", {{"applyEdit", true}, {"configuration", true}}},
                 {"window", {{"workDoneProgress", true}, {"showMessage", json::object()}}}};
    json r = call("initialize", {{"processId", ::getpid()},
                                 {"rootUri", "file://" + root.string()},
                                 {"capabilities", caps},
                                 {"trace", trace}});
    notify("initialized", json::object());
    return r;
  }
  void open(const std::string &uri, const std::string &text) {
    notify("textDocument/didOpen",
           {{"textDocument", {{"uri", uri}, {"languageId", "markdown"}, {"version", 1}, {"text", text}}}});
  }
  /// shutdown + exit; the exit code (or -signal).
  int stop() {
    call("shutdown", nullptr);
    notify("exit", nullptr);
    return wait();
  }
  void kill() { ::kill(pid_, SIGKILL); }
  void closeInput() {
    std::lock_guard lock(writeMutex_);
    if (toServer_ >= 0)
      ::close(toServer_);
    toServer_ = -1;
  }
  /// Waits for the child to end and for the reader to take in everything it wrote.
  int wait() {
    if (!exited_) {
      exitCode_ = waitChild(pid_);
      exited_ = true;
      std::unique_lock lock(mutex_);
      arrived_.wait_for(lock, kTimeout, [&] { return ended_; });
    }
    return exitCode_;
  }
  pid_t pid() const { return pid_; }

  static constexpr std::chrono::milliseconds kTimeout{20000};

private:
  [[noreturn]] static void becomeChildOnPipes(const detail::ChildPlan &p) {
    // Like detail::becomeChild, but stdin/stdout are the pipes parked on fds 100 and 101.
    int err = ::open(p.errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err < 0)
      ::_exit(126);
    ::dup2(100, 0);
    ::dup2(101, 1);
    ::dup2(err, 2);
    ::close(100), ::close(101), ::close(err);
    if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) != 0)
      ::_exit(126);
    if (p.options->fileSizeLimit) {
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{static_cast<rlim_t>(*p.options->fileSizeLimit), static_cast<rlim_t>(*p.options->fileSizeLimit)};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
        ::_exit(126);
    }
    if (p.options->user && (::setgid(*p.options->user) != 0 || ::setuid(*p.options->user) != 0))
      ::_exit(126);
    ::execve(p.argv[0], p.argv.data(), p.envp.data());
    ::_exit(127);
  }

  void readLoop() {
    protocol::FrameDecoder decoder;
    char buffer[65536];
    for (;;) {
      ssize_t n = ::read(fromServer_, buffer, sizeof buffer);
      if (n <= 0)
        break;
      {
        std::lock_guard lock(mutex_);
        transcript_.append(buffer, static_cast<std::size_t>(n));
      }
      decoder.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      while (auto event = decoder.next()) {
        json message = json::parse(event->text, nullptr, false);
        if (event->kind != protocol::FrameEvent::Kind::Message || message.is_discarded())
          message = {{"framingError", event->text}};
        if (message.contains("method") && message.contains("id"))
          answer(message);
        std::lock_guard lock(mutex_);
        messages_.push_back(std::move(message));
        arrived_.notify_all();
      }
    }
    std::lock_guard lock(mutex_);
    ended_ = true;
    arrived_.notify_all();
  }

  /// Answers a server→client request as an editor would.
  void answer(const json &request) {
    const std::string method = request["method"];
    json result = nullptr;
    if (method == "workspace/configuration") {
      result = json::array();
      const json current = settings.get();
      for (std::size_t i = 0; i < request["params"].value("items", json::array()).size(); ++i)
        result.push_back(current);
    } else if (method == "workspace/applyEdit") {
      result = {{"applied", true}};
    }
    send({{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", result}});
  }

  pid_t pid_ = -1;
  int toServer_ = -1, fromServer_ = -1;
  int nextId_ = 1;
  bool exited_ = false;
  int exitCode_ = -1;
  std::thread reader_;
  std::mutex writeMutex_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<json> messages_;
  std::string transcript_;
  bool ended_ = false;
};

} // namespace recurrent::test
