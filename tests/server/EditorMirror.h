// EditorMirror: the editor's copy of one document in a server test. Applies the server's
// workspace/applyEdit and reports each change back with didChange, as VS Code and Neovim do.
#pragma once

#include "protocol/Encoding.h"
#include "tests/support/LspTestClient.h"

#include <mutex>
#include <string>
#include <string_view>

namespace recurrent::test {

/// Thread-safety: the client's reader thread applies edits while the test reads; one mutex.
class EditorMirror {
public:
  using json = nlohmann::json;

  EditorMirror(LspTestClient &client, std::string uri, std::string text)
      : client_(client), uri_(std::move(uri)), text_(std::move(text)) {
    client_.onRequest("workspace/applyEdit", [this](const json &params) { return apply(params); });
    client_.onRequest("window/workDoneProgress/create", [](const json &) { return json(nullptr); });
  }

  json apply(const json &params) {
    std::lock_guard<std::mutex> lock(mutex_);
    const json &edits = params["edit"]["changes"][uri_];
    json changes = json::array();
    for (const auto &edit : edits) {
      std::size_t begin = offset(edit["range"]["start"]), end = offset(edit["range"]["end"]);
      text_.replace(begin, end - begin, edit["newText"].get<std::string>());
      inserted_ += edit["newText"].get<std::string>();
      changes.push_back({{"range", edit["range"]}, {"text", edit["newText"]}});
      ++applied_;
    }
    client_.notify("textDocument/didChange",
                   {{"textDocument", {{"uri", uri_}, {"version", ++version_}}}, {"contentChanges", changes}});
    return json{{"applied", true}};
  }

  /// A user's own edit.
  void replace(std::size_t begin, std::size_t end, const std::string &text) {
    std::lock_guard<std::mutex> lock(mutex_);
    json range{{"start", position(begin)}, {"end", position(end)}};
    text_.replace(begin, end - begin, text);
    client_.notify("textDocument/didChange",
                   {{"textDocument", {{"uri", uri_}, {"version", ++version_}}},
                    {"contentChanges", json::array({{{"range", range}, {"text", text}}})}});
  }

  std::string text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  /// Every text the server's edits inserted, streamed previews included, in order.
  std::string insertedTexts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return inserted_;
  }
  int appliedEdits() {
    std::lock_guard<std::mutex> lock(mutex_);
    return applied_;
  }
  json endPosition() {
    std::lock_guard<std::mutex> lock(mutex_);
    return position(text_.size());
  }

private:
  std::size_t offset(const json &pos) const {
    std::size_t line = pos["line"], character = pos["character"], at = 0;
    for (std::size_t l = 0; l < line && at < text_.size(); ++l)
      at = text_.find('\n', at) + 1;
    std::size_t lineEnd = text_.find('\n', at);
    std::string_view lineText =
        std::string_view(text_).substr(at, lineEnd == std::string::npos ? text_.size() - at : lineEnd - at);
    return at + protocol::columnToByte(lineText, static_cast<std::uint32_t>(character),
                                       protocol::PositionEncoding::Utf16);
  }
  json position(std::size_t offset) const {
    std::size_t line = 0, lineStart = 0;
    for (std::size_t i = 0; i < offset; ++i)
      if (text_[i] == '\n') {
        ++line;
        lineStart = i + 1;
      }
    std::string_view lineText = std::string_view(text_).substr(lineStart, offset - lineStart);
    return {
        {"line", line},
        {"character", protocol::byteToColumn(lineText, lineText.size(), protocol::PositionEncoding::Utf16)}};
  }

  LspTestClient &client_;
  std::string uri_;
  std::string text_;
  std::int64_t version_ = 1;
  int applied_ = 0;
  std::string inserted_;
  std::mutex mutex_;
};

} // namespace recurrent::test
