// Builds the chat model, embedder and summarizer a resolved BackendConfig asks for, and opens books with them.
//
// The only place that decides which implementation serves which provider, so `recurrent
// write`, `index`, `search` and the language server agree: offline → OfflineChatModel,
// ExtractiveSummarizer; openai → OpenAiChatModel, and no summarizer of its own: the
// StorySession then summarises through its RecordingChatModel, so every call (the
// editor's summaries included) lands in calls.jsonl and honours contextTokens. The
// hashed embedder unless an embedding model is configured.
//
// API summary (stable; later additions only):
//   makeBackends(config)                the models for a config (chat not yet recorded)
//   openBook(layout, config, options)   a Book on those models (the CLI and the server
//                                       open every story through this)
//   isPaidBackend(config)               a model that may cost money: not offline, not on
//                                       a loopback address (cost safety asks first)
//
// Thread-safety: pure factories.
#pragma once

#include "engine/book/Book.h"
#include "engine/llm/BackendConfig.h"
#include "engine/llm/ChatModel.h"
#include "engine/memory/Embedder.h"
#include "engine/memory/Summarizer.h"

#include <memory>

namespace recurrent::engine {

struct Backends {
  BackendConfig config;
  std::shared_ptr<ChatModel> chat;
  std::shared_ptr<Embedder> embedder;
  /// Null for a model provider: the session builds the recorded summarizer over its model.
  std::shared_ptr<Summarizer> summarizer;
};

Backends makeBackends(const BackendConfig &config);

/// Not offline and not a server on this machine (localhost, 127.0.0.0/8, ::1).
bool isPaidBackend(const BackendConfig &config);

/// Opens `layout`'s book with the models `config` asks for. Config error when an embedding
/// model is asked for without a server.
Result<std::unique_ptr<Book>> openBook(const BookLayout &layout, const BackendConfig &config, BookOptions options);

} // namespace recurrent::engine
