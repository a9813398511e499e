#include "engine/llm/SseParser.h"

namespace recurrent::engine {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}

std::vector<SseEvent> SseParser::feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  if (!started_) {
    // The BOM may itself arrive split across chunks: hold bytes until we can tell.
    line_.append(chunk);
    if (line_.size() < kBom.size() && kBom.substr(0, line_.size()) == line_)
      return out;
    started_ = true;
    std::string pending;
    pending.swap(line_);
    std::string_view rest = pending;
    if (rest.substr(0, kBom.size()) == kBom)
      rest.remove_prefix(kBom.size());
    auto events = feed(rest);
    return events;
  }
  size_t start = 0;
  for (size_t i = 0; i < chunk.size(); ++i) {
    char c = chunk[i];
    if (c != '\n' && c != '\r')
      continue;
    if (c == '\n' && afterCr_ && i == start && line_.empty()) {
      // The "\n" of a "\r\n" split across chunks, or directly following a "\r".
      afterCr_ = false;
      start = i + 1;
      continue;
    }
    line_.append(chunk.substr(start, i - start));
    processLine(line_, out);
    line_.clear();
    afterCr_ = c == '\r';
    start = i + 1;
  }
  if (start < chunk.size()) {
    line_.append(chunk.substr(start));
    afterCr_ = false;
  }
  return out;
}

std::optional<SseEvent> SseParser::finish() {
  std::vector<SseEvent> out;
  if (!started_) {
    started_ = true;
    std::string pending;
    pending.swap(line_);
    out = feed(pending);
  }
  if (!line_.empty()) {
    std::string last;
    last.swap(line_);
    processLine(last, out);
  }
  dispatch(out);
  afterCr_ = false;
  if (out.empty())
    return std::nullopt;
  return std::move(out.back());
}

void SseParser::processLine(std::string_view line, std::vector<SseEvent> &out) {
  if (line.empty()) {
    dispatch(out);
    return;
  }
  if (line.front() == ':')
    return; // comment (servers send these as keep-alives)
  std::string_view field = line, value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    sawData_ = true;
  } else if (field == "event") {
    eventType_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos)
      lastId_ = std::string(value);
  } else if (field == "retry") {
    if (!value.empty() && value.size() <= 12 && value.find_first_not_of("0123456789") == std::string_view::npos)
      retry_ = std::stol(std::string(value));
  }
  // Unknown fields are ignored, as the standard says.
}

void SseParser::dispatch(std::vector<SseEvent> &out) {
  if (sawData_) {
    SseEvent e;
    if (!eventType_.empty())
      e.event = eventType_;
    e.data = std::move(data_);
    e.data.pop_back(); // the "\n" after the last data line
    e.id = lastId_;
    e.retryMs = retry_;
    out.push_back(std::move(e));
  }
  data_.clear();
  eventType_.clear();
  retry_.reset();
  sawData_ = false;
}

} // namespace recurrent::engine
