// Content-Length and delimited framing (see Framing.h).
#include "protocol/Framing.h"

#include <algorithm>
#include <cctype>

namespace recurrent::protocol {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::size_t findIgnoreCase(std::string_view haystack, std::string_view needle, std::size_t from) {
  if (needle.size() > haystack.size())
    return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i)
    if (equalsIgnoreCase(haystack.substr(i, needle.size()), needle))
      return i;
  return std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// Printable excerpt of bad input for a log line.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40))
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  if (s.size() > 40)
    out += "...";
  return out;
}

constexpr std::string_view kContentLength = "Content-Length";

} // namespace

void FrameDecoder::feed(std::string_view bytes) {
  if (skipRemaining_ > 0) {
    auto drop = static_cast<std::size_t>(std::min<std::uint64_t>(skipRemaining_, bytes.size()));
    skipRemaining_ -= drop;
    bytes.remove_prefix(drop);
  }
  buffer_.append(bytes);
}

std::optional<FrameEvent> FrameDecoder::next() {
  while (true) {
    if (skipRemaining_ > 0) {
      auto drop = static_cast<std::size_t>(std::min<std::uint64_t>(skipRemaining_, buffer_.size() - pos_));
      skipRemaining_ -= drop;
      pos_ += drop;
      if (skipRemaining_ > 0) {
        compact();
        return std::nullopt;
      }
    }
    if (bodyLength_) {
      if (buffer_.size() - pos_ < *bodyLength_) {
        compact();
        return std::nullopt;
      }
      FrameEvent event{FrameEvent::Kind::Message, buffer_.substr(pos_, *bodyLength_)};
      pos_ += *bodyLength_;
      bodyLength_.reset();
      compact();
      return event;
    }
    if (pos_ == buffer_.size()) {
      compact();
      return std::nullopt;
    }
    auto header = parseHeader();
    if (header)
      return header;
    if (!bodyLength_ && skipRemaining_ == 0) {
      compact();
      return std::nullopt; // the header is incomplete
    }
  }
}

std::optional<FrameEvent> FrameDecoder::parseHeader() {
  std::string_view buf(buffer_);
  // Find the blank line ending the header block; lines end in "\r\n" (a bare "\n" is tolerated).
  std::size_t lineStart = std::max(scanFrom_, pos_);
  std::size_t blockEnd = std::string_view::npos, bodyStart = 0;
  // Re-scan from the start of the line containing scanFrom_.
  while (lineStart > pos_ && buf[lineStart - 1] != '\n')
    --lineStart;
  for (std::size_t nl = buf.find('\n', lineStart); nl != std::string_view::npos; nl = buf.find('\n', lineStart)) {
    std::string_view line = buf.substr(lineStart, nl - lineStart);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty()) {
      blockEnd = lineStart;
      bodyStart = nl + 1;
      break;
    }
    lineStart = nl + 1;
  }
  if (blockEnd == std::string_view::npos || blockEnd - pos_ > options_.maxHeaderBytes) {
    scanFrom_ = buf.size();
    if (blockEnd != std::string_view::npos || buf.size() - pos_ > options_.maxHeaderBytes) {
      std::string text = "header block exceeds " + std::to_string(options_.maxHeaderBytes) +
                         " bytes (garbage input?): '" + excerpt(buf.substr(pos_)) + "'";
      resync(pos_ + 1);
      return FrameEvent{FrameEvent::Kind::Error, std::move(text)};
    }
    return std::nullopt;
  }
  std::string_view block = buf.substr(pos_, blockEnd - pos_);
  std::optional<std::string> problem;
  std::optional<std::uint64_t> length;
  for (std::size_t start = 0; start < block.size();) {
    std::size_t nl = block.find('\n', start);
    std::string_view line = block.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? block.size() : nl + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      problem = "malformed header line '" + excerpt(trim(line)) + "'";
      continue;
    }
    auto name = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (!equalsIgnoreCase(name, kContentLength))
      continue; // Content-Type and unknown headers are ignored: the body is always UTF-8 JSON
    bool digits = !value.empty() && value.size() <= 19 &&
                  std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      problem = "invalid Content-Length '" + excerpt(value) + "'";
      continue;
    }
    length = std::stoull(std::string(value));
  }
  if (!length) {
    std::string text = problem ? *problem : "header block without Content-Length: '" + excerpt(block) + "'";
    resync(pos_ + 1);
    return FrameEvent{FrameEvent::Kind::Error, std::move(text)};
  }
  if (*length > options_.maxSkipBytes) {
    std::string text = "Content-Length " + std::to_string(*length) + " is absurd; ignoring that header";
    resync(pos_ + 1);
    return FrameEvent{FrameEvent::Kind::Error, std::move(text)};
  }
  pos_ = bodyStart;
  scanFrom_ = pos_;
  if (*length > options_.maxMessageBytes) {
    skipRemaining_ = *length;
    return FrameEvent{FrameEvent::Kind::Error, "message of " + std::to_string(*length) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(options_.maxMessageBytes) +
                                                   " bytes; skipping it"};
  }
  bodyLength_ = static_cast<std::size_t>(*length);
  return std::nullopt;
}

void FrameDecoder::resync(std::size_t from) {
  std::size_t found = findIgnoreCase(buffer_, kContentLength, from);
  if (found != std::string_view::npos) {
    pos_ = found;
  } else {
    // Keep a tail that could be the start of a header split across reads.
    std::size_t keep = std::min(buffer_.size() - pos_, kContentLength.size() - 1);
    pos_ = std::max(buffer_.size() - keep, std::min(from, buffer_.size()));
  }
  scanFrom_ = pos_;
}

void FrameDecoder::compact() {
  if (pos_ > 0 && (pos_ == buffer_.size() || pos_ > buffer_.size() / 2)) {
    buffer_.erase(0, pos_);
    scanFrom_ = scanFrom_ > pos_ ? scanFrom_ - pos_ : 0;
    pos_ = 0;
  }
}

std::string encodeFrame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body);
  return out;
}

void DelimitedDecoder::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partialLine_.append(bytes);
      return;
    }
    partialLine_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    std::string line = std::move(partialLine_);
    partialLine_.clear();
    takeLine(line);
  }
}

void DelimitedDecoder::takeLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  if (line == "---") {
    endMessage();
    return;
  }
  if (!line.empty() && line.front() == '#')
    return;
  current_.append(line);
  current_ += '\n';
}

void DelimitedDecoder::endMessage() {
  if (trim(current_).find_first_not_of("\n") != std::string_view::npos)
    ready_.push_back(std::move(current_));
  current_.clear();
}

void DelimitedDecoder::finish() {
  if (!partialLine_.empty()) {
    std::string line = std::move(partialLine_);
    partialLine_.clear();
    takeLine(line);
  }
  endMessage();
}

std::optional<FrameEvent> DelimitedDecoder::next() {
  if (ready_.empty())
    return std::nullopt;
  FrameEvent event{FrameEvent::Kind::Message, std::move(ready_.front())};
  ready_.pop_front();
  return event;
}

std::vector<std::string> splitDelimited(std::string_view text) {
  DelimitedDecoder decoder;
  decoder.feed(text);
  decoder.finish();
  std::vector<std::string> out;
  while (auto event = decoder.next())
    out.push_back(std::move(event->text));
  return out;
}

} // namespace recurrent::protocol
