#include "engine/Backends.h"

#include "engine/llm/AnthropicChatModel.h"
#include "engine/llm/OpenAiChatModel.h"
#include "engine/llm/OpenAiEmbedder.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/story/OfflineChatModel.h"

namespace recurrent::engine {

Backends makeBackends(const BackendConfig &config) {
  Backends b;
  b.config = config;
  if (config.isOffline()) {
    b.chat = std::make_shared<OfflineChatModel>();
    b.summarizer = std::make_shared<ExtractiveSummarizer>();
  } else {
    if (config.provider == "anthropic")
      b.chat = std::make_shared<AnthropicChatModel>(config);
    else
      b.chat = std::make_shared<OpenAiChatModel>(config);
  }
  if (config.embedModel.empty())
    b.embedder = std::make_shared<HashedEmbedder>();
  else
    b.embedder = std::make_shared<OpenAiEmbedder>(config);
  return b;
}

bool isPaidBackend(const BackendConfig &config) {
  if (config.isOffline())
    return false;
  // The host of scheme://[user@]host[:port]/path.
  std::string_view url = config.baseUrl;
  if (auto scheme = url.find("://"); scheme != std::string_view::npos)
    url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  if (auto at = url.rfind('@'); at != std::string_view::npos)
    url.remove_prefix(at + 1);
  std::string_view host = url;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0 || host == "0.0.0.0")
    return false;
  if (host.size() > 10 && host.substr(host.size() - 10) == ".localhost")
    return false;
  return true;
}

Result<std::unique_ptr<Book>> openBook(const BookLayout &layout, const BackendConfig &config, BookOptions options) {
  if (config.isOffline() && !config.embedModel.empty())
    return Error{ErrorKind::Config, "the embedding model '" + config.embedModel +
                                        "' needs a server: add --provider openai (and --base-url for a local one)"};
  auto b = makeBackends(config);
  return Book::open(layout, b.chat, b.embedder, b.summarizer, std::move(options), isPaidBackend(config));
}

} // namespace recurrent::engine
