#include "engine/llm/HttpClient.h"

#include "engine/llm/BackendConfig.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace recurrent::engine {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL *h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM *h) const { curl_multi_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU *u) const { curl_url_cleanup(u); }
};

/// Removes the easy handle from the multi handle before either is destroyed.
struct MultiAttachment {
  CURLM *multi;
  CURL *easy;
  ~MultiAttachment() { curl_multi_remove_handle(multi, easy); }
};

bool iequalsPrefix(std::string_view line, std::string_view prefix) {
  if (line.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool isLoopbackHost(const std::string &url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return false;
  char *host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || !host)
    return false;
  std::string h(host);
  curl_free(host);
  for (auto &c : h)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h == "localhost" || h.rfind("127.", 0) == 0 || h == "[::1]" || h == "::1";
}

struct Transfer {
  const CancelToken *cancel = nullptr;
  const std::function<void(std::string_view)> *onBody = nullptr;
  CURL *easy = nullptr;
  HttpResponse response;
  std::string errorBody;
  double retryAfter = -1;
  bool gotBody = false;
  bool sinkFailed = false;
  std::chrono::steady_clock::time_point lastActivity = std::chrono::steady_clock::now();

  bool success() const { return response.status >= 200 && response.status < 300; }
};

size_t onHeader(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  t->lastActivity = std::chrono::steady_clock::now();
  std::string_view line(data, size * count);
  if (iequalsPrefix(line, "HTTP/")) { // a new response (after a 100 Continue, say)
    t->retryAfter = -1;
    t->response.contentType.clear();
  } else if (iequalsPrefix(line, "retry-after:")) {
    t->retryAfter = parseRetryAfter(trim(line.substr(12)));
  } else if (iequalsPrefix(line, "content-type:")) {
    t->response.contentType = std::string(trim(line.substr(13)));
  }
  return size * count;
}

size_t onWrite(char *data, size_t size, size_t count, void *user) {
  auto *t = static_cast<Transfer *>(user);
  size_t n = size * count;
  t->lastActivity = std::chrono::steady_clock::now();
  if (t->cancel->cancelled())
    return 0; // aborts the transfer
  if (!t->gotBody) {
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    t->response.status = static_cast<int>(status);
    t->gotBody = true;
  }
  if (!t->success()) {
    if (t->errorBody.size() < kMaxErrorBody)
      t->errorBody.append(data, std::min(n, kMaxErrorBody - t->errorBody.size()));
    return n;
  }
  if (t->onBody && *t->onBody) {
    try {
      (*t->onBody)(std::string_view(data, n));
    } catch (...) {
      t->sinkFailed = true;
      return 0;
    }
  } else {
    t->response.body.append(data, n);
  }
  return n;
}

int onProgress(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer *>(user)->cancel->cancelled() ? 1 : 0;
}

std::string redact(std::string text, const HttpRequest &request) {
  std::vector<std::string> secrets;
  if (!request.secret.empty())
    secrets.push_back(request.secret);
  for (const auto &[name, value] : request.headers)
    if (iequalsPrefix(name, "authorization") && value.size() > 7)
      secrets.push_back(value.substr(value.find(' ') + 1));
  for (const auto &s : secrets) {
    if (s.size() < 4)
      continue;
    for (size_t pos; (pos = text.find(s)) != std::string::npos;)
      text.replace(pos, s.size(), "[key]");
  }
  return text;
}

/// The server's own explanation in an error body, shortened to one line.
std::string serverMessage(std::string_view body) {
  std::string msg;
  auto v = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!v.is_discarded() && v.is_object()) {
    auto err = v.find("error");
    if (err != v.end() && err->is_object() && err->contains("message") && (*err)["message"].is_string())
      msg = (*err)["message"].get<std::string>();
    else if (err != v.end() && err->is_string())
      msg = err->get<std::string>();
    else if (v.contains("message") && v["message"].is_string())
      msg = v["message"].get<std::string>();
    else if (v.contains("detail") && v["detail"].is_string())
      msg = v["detail"].get<std::string>();
    // llama.cpp's exceed_context_size_error carries the sizes beside the message.
    if (err != v.end() && err->is_object() && err->contains("n_ctx") && (*err)["n_ctx"].is_number_integer() &&
        msg.find("n_ctx") == std::string::npos) {
      msg += " (";
      if (err->contains("n_prompt_tokens") && (*err)["n_prompt_tokens"].is_number_integer())
        msg += "n_prompt_tokens " + std::to_string((*err)["n_prompt_tokens"].get<long>()) + ", ";
      msg += "n_ctx " + std::to_string((*err)["n_ctx"].get<long>()) + ")";
    }
  }
  if (msg.empty() && !body.empty() && body.find('<') == std::string_view::npos)
    msg = std::string(body); // plain text; skip HTML error pages
  for (auto &c : msg)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  msg = std::string(trim(msg));
  if (msg.size() > 300) {
    msg.resize(300);
    while (!msg.empty() && (static_cast<unsigned char>(msg.back()) & 0xC0) == 0x80)
      msg.pop_back(); // do not cut a UTF-8 sequence
    if (!msg.empty() && static_cast<unsigned char>(msg.back()) >= 0xC0)
      msg.pop_back();
    msg += "...";
  }
  return msg;
}

std::string displayOf(const HttpRequest &request) {
  return request.displayName.empty() ? redactUrl(request.url) : redactUrl(request.displayName);
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

Error stallError(const HttpRequest &request) {
  return {ErrorKind::Timeout, "the model server at " + displayOf(request) + " sent nothing for " +
                                  seconds(std::ceil(request.stallTimeoutSeconds)) + " s"};
}

Error transportError(CURLcode code, const char *errbuf, const Transfer &t, const HttpRequest &request) {
  std::string who = displayOf(request);
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  switch (code) {
  case CURLE_COULDNT_CONNECT: {
    long osError = 0;
    curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &osError);
    if (osError == ECONNREFUSED)
      detail = "connection refused";
    else if (osError == EHOSTUNREACH || osError == ENETUNREACH)
      detail = "no route to the host";
    return {ErrorKind::Network, "cannot reach " + who + ": " + detail};
  }
  case CURLE_COULDNT_RESOLVE_HOST:
    return {ErrorKind::Network, "cannot reach " + who + ": unknown host (" + detail + ")"};
  case CURLE_COULDNT_RESOLVE_PROXY:
    return {ErrorKind::Network, "cannot reach the proxy for " + who + ": " + detail};
  case CURLE_OPERATION_TIMEDOUT: {
    curl_off_t connectTime = 0;
    curl_easy_getinfo(t.easy, CURLINFO_CONNECT_TIME_T, &connectTime);
    if (connectTime == 0)
      return {ErrorKind::Timeout, "cannot reach " + who + ": no connection within " +
                                      seconds(request.connectTimeoutSeconds) + " s"};
    return stallError(request);
  }
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
    return {ErrorKind::Network, "TLS failed with " + who + ": " + detail};
  case CURLE_GOT_NOTHING:
    return {ErrorKind::Network, who + " closed the connection without answering"};
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
    return {ErrorKind::Network, "the connection to " + who + " dropped mid-answer: " + detail};
  default:
    return {ErrorKind::Network, "the request to " + who + " failed: " + detail};
  }
}

} // namespace

double parseRetryAfter(std::string_view value) {
  value = trim(value);
  if (value.empty())
    return -1;
  if (value.find_first_not_of("0123456789.") == std::string_view::npos) {
    try {
      return std::max(0.0, std::stod(std::string(value)));
    } catch (...) {
      return -1;
    }
  }
  time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0)
    return -1;
  return std::max(0.0, std::difftime(when, std::time(nullptr)));
}

Error httpStatusError(int status, std::string_view body, double retryAfterSeconds, std::string_view displayName) {
  std::string server = serverMessage(body);
  std::string who = redactUrl(displayName);
  std::string msg;
  switch (status) {
  case 401: msg = "the model server refused the key (401): check RECURRENT_API_KEY"; break;
  case 403: msg = "the model server denied access (403): check that the key may use this model"; break;
  case 404: msg = "not found (404) at " + who + ": check RECURRENT_BASE_URL and RECURRENT_MODEL"; break;
  case 408: msg = "the model server timed out (408)"; break;
  case 413: msg = "the request is too large for the model server (413)"; break;
  case 501: msg = "the model server at " + who + " does not offer this (501)"; break;
  case 429: msg = "rate limited (429)"; break;
  default:
    if (status >= 500)
      msg = "the model server at " + who + " failed (" + std::to_string(status) + ")";
    else if (status >= 300 && status < 400)
      msg = "the model server at " + who + " redirects (" + std::to_string(status) +
            "): set RECURRENT_BASE_URL to the final address (https?)";
    else
      msg = "the model server rejected the request (" + std::to_string(status) + ")";
  }
  if (!server.empty())
    msg += ": " + server;
  Error e{ErrorKind::Http, msg, status, retryAfterSeconds};
  return e;
}

Result<HttpResponse> performHttp(const HttpRequest &request, const CancelToken &cancel,
                                 const std::function<void(std::string_view)> &onBody) {
  globalInit();
  if (cancel.cancelled())
    return Error::cancelled();
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!easy || !multi)
    return Error{ErrorKind::Internal, "cannot start libcurl"};

  Transfer t;
  t.cancel = &cancel;
  t.onBody = &onBody;
  t.easy = easy.get();
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_slist *raw = nullptr;
  for (const auto &[name, value] : request.headers)
    raw = curl_slist_append(raw, (name + ": " + value).c_str());
  raw = curl_slist_append(raw, "Expect:"); // large prompts must not wait on "100 Continue"
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  CURL *h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connectTimeoutSeconds * 1000));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(std::ceil(request.stallTimeoutSeconds))));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (isLoopbackHost(request.url))
    curl_easy_setopt(h, CURLOPT_PROXY, ""); // a local model server is never behind the proxy
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "recurrent/0.1");

  if (curl_multi_add_handle(multi.get(), h) != CURLM_OK)
    return Error{ErrorKind::Internal, "cannot start libcurl"};
  MultiAttachment attached{multi.get(), h};

  // Poll in short slices so cancellation is noticed promptly even when no byte arrives.
  // The stall check is ours: libcurl's low-speed check averages over several seconds, so
  // after a burst it notices a stall late; it stays set as a backstop.
  const auto stallLimit = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(request.stallTimeoutSeconds));
  bool connected = false;
  int running = 1;
  while (running) {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK)
      return Error{ErrorKind::Internal, "libcurl failed"};
    if (!running)
      break;
    if (cancel.cancelled())
      return Error::cancelled();
    auto now = std::chrono::steady_clock::now();
    if (!connected) {
      curl_off_t connectTime = 0;
      curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connectTime);
      if (connectTime > 0) {
        connected = true;
        t.lastActivity = std::max(t.lastActivity, now);
      }
    } else if (now - t.lastActivity > stallLimit) {
      return stallError(request);
    }
    curl_multi_poll(multi.get(), nullptr, 0, 50, nullptr);
  }
  CURLcode code = CURLE_OK;
  int left = 0;
  while (CURLMsg *m = curl_multi_info_read(multi.get(), &left))
    if (m->msg == CURLMSG_DONE && m->easy_handle == h)
      code = m->data.result;

  if (cancel.cancelled())
    return Error::cancelled();
  if (t.sinkFailed)
    return Error{ErrorKind::Internal, "the response handler failed"};
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  t.response.status = static_cast<int>(status);
  if (code != CURLE_OK) {
    // An HTTP error whose body was cut still reports its status.
    if (status >= 300 && code != CURLE_OPERATION_TIMEDOUT)
      return httpStatusError(t.response.status, redact(t.errorBody, request), t.retryAfter,
                             request.displayName.empty() ? request.url : request.displayName);
    Error e = transportError(code, errbuf, t, request);
    e.message = redact(e.message, request);
    return e;
  }
  if (!t.success()) {
    Error e = httpStatusError(t.response.status, redact(t.errorBody, request), t.retryAfter,
                              request.displayName.empty() ? request.url : request.displayName);
    e.message = redact(e.message, request);
    return e;
  }
  return std::move(t.response);
}

} // namespace recurrent::engine
