#include "engine/story/CallLog.h"

#include "engine/story/TaskPayload.h"
#include "support/Files.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace recurrent::engine {
using nlohmann::json;

namespace {

std::string utcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json budgetJson(const BudgetReport &b) {
  auto items = [](const std::vector<BudgetItem> &list) {
    json out = json::array();
    for (const auto &i : list) {
      json item = {{"kind", sourceKindName(i.kind)}, {"label", i.label}, {"tokens", i.tokens}, {"truncated", i.truncated}};
      if (!i.reason.empty())
        item["reason"] = i.reason;
      if (!i.cutReason.empty())
        item["cutReason"] = i.cutReason;
      out.push_back(std::move(item));
    }
    return out;
  };
  return {{"limit", b.limit},
          {"reservedForAnswer", b.reservedForAnswer},
          {"used", b.used},
          {"included", items(b.included)},
          {"trimmed", items(b.trimmed)}};
}

/// Appends one line with a single write(2) on an O_APPEND descriptor: lines never interleave.
void appendLine(const std::filesystem::path &path, const std::string &line) {
  if (!ensurePrivateDirectory(path.parent_path()))
    return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return; // the log is a convenience: never fail a call because of it
  std::string data = line + "\n";
  const char *p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

} // namespace

std::string budgetReportJson(const BudgetReport &report) {
  return budgetJson(report).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string callRecordJson(const CallRecord &r) {
  json messages = json::array();
  for (const auto &m : r.messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json j = {{"time", r.time},
            {"task", r.task},
            {"model", r.model},
            {"attempts", r.attempts},
            {"seconds", r.seconds},
            {"promptTokens", r.promptTokens},
            {"completionTokens", r.completionTokens},
            {"estimatedTokens", r.estimatedTokens},
            {"messages", messages},
            {"answer", r.answer}};
  if (!r.reasoning.empty())
    j["reasoning"] = r.reasoning;
  if (!r.error.empty())
    j["error"] = r.error;
  if (r.budget)
    j["budget"] = budgetJson(*r.budget);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

RecordingChatModel::RecordingChatModel(std::shared_ptr<ChatModel> inner, std::filesystem::path logPath)
    : inner_(std::move(inner)), logPath_(std::move(logPath)) {}

Result<ChatResult> RecordingChatModel::chat(const ChatRequest &request, const CancelToken &cancel,
                                            const ChatCallbacks &callbacks) {
  int retries = 0;
  ChatCallbacks wrapped = callbacks;
  wrapped.onRetry = [&](const RetryNotice &notice) {
    ++retries;
    if (callbacks.onRetry)
      callbacks.onRetry(notice);
  };
  auto start = std::chrono::steady_clock::now();
  auto result = inner_->chat(request, cancel, wrapped);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  CallRecord rec;
  rec.time = utcNow();
  rec.task = request.task;
  rec.messages = request.messages;
  rec.seconds = seconds;
  if (request.payload)
    rec.budget = request.payload->budget;
  if (result) {
    rec.answer = result->rawText.empty() ? result->text : result->rawText;
    rec.reasoning = result->reasoning;
    rec.model = result->model;
    rec.promptTokens = result->usage.promptTokens;
    rec.completionTokens = result->usage.completionTokens;
    rec.estimatedTokens = result->usage.estimated;
    if (rec.promptTokens == 0 && rec.completionTokens == 0) {
      rec.promptTokens = estimateTokens(request.messages);
      rec.completionTokens = estimateTokens(rec.answer);
      rec.estimatedTokens = true;
    }
    rec.attempts = result->attempts;
  } else {
    rec.error = result.error().message;
    rec.model = inner_->describe();
    rec.attempts = retries + 1;
  }
  if (!logPath_.empty())
    appendLine(logPath_, callRecordJson(rec));
  std::lock_guard lock(mutex_);
  ++totals_.calls;
  if (!result)
    ++totals_.failed;
  totals_.promptTokens += rec.promptTokens;
  totals_.completionTokens += rec.completionTokens;
  totals_.retries += result ? std::max(0, result->attempts - 1) : retries;
  totals_.seconds += seconds;
  last_ = std::move(rec);
  return result;
}

std::optional<CallRecord> RecordingChatModel::lastCall() const {
  std::lock_guard lock(mutex_);
  return last_;
}

CallTotals RecordingChatModel::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

} // namespace recurrent::engine
