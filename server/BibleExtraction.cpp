#include "server/BibleExtraction.h"

#include "engine/bible/ExtractPrompt.h"
#include "protocol/Uri.h"
#include "server/BibleFeatures.h"
#include "server/LspServer.h"
#include "server/Progress.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace recurrent::server {

using protocol::json;

void BibleExtraction::run(const protocol::UriArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  auto offline = [&] {
    protocol::ExecuteCommandParams params{kExtractBibleEntriesCommand, {json{{"uri", uri}}}};
    s_.server.bible().executeCommand(params, reply);
  };
  if (!st->story) {
    offline(); // not a story: no model is ever asked (the names come from the text)
    return;
  }
  auto session = s_.sessionOrReply(uri, "extracting bible entries", reply);
  if (!session)
    return;
  if (session->offline()) {
    offline();
    return;
  }
  // Said before a call is spent: the entries could not be written anyway.
  if (auto why = s_.server.bible().cannotCreateEntries(uri); !why.empty()) {
    reply.error(requestFailed(why));
    return;
  }
  const Settings &settings = s_.server.settingsFor(uri);
  engine::ExtractRequestInput input;
  input.language = settings.language.value_or(session->state().language);
  auto path = protocol::uriToPath(uri);
  input.chapterName = path ? path->filename().string() : uri;
  input.chapterText = s_.server.documents().find(uri)->manuscript.text();
  input.knownNames = s_.server.bible().bibleNames(uri);
  input.limit = kExtractedNames;
  if (settings.contextTokens)
    input.contextTokens = std::max(1024, *settings.contextTokens);
  auto request = engine::makeExtractRequest(input);
  if (!request) {
    reply.error(request.error());
    return;
  }
  if (request->cut)
    s_.server.notify("window/showMessage",
                   json(protocol::ShowMessageParams{
                       protocol::MessageType::Info,
                       "recurrent: the chapter is longer than the model's context (recurrent.contextTokens): only its "
                       "first " + std::to_string(request->sentBytes * 100 / std::max<std::size_t>(1, input.chapterText.size())) +
                           "% was sent for bible entries"}));
  Services::Job job = s_.beginJob(*st, uri, "Recurrent: finding bible entries", reply.token());
  // The book's recorded model: calls.jsonl, lastPrompt and the call counts see this call too.
  s_.background<Result<engine::ExtractedEntries>>(
      [model = st->book->recordedModel(), request = request->request, input, cancel = job.cancel]()
          -> Result<engine::ExtractedEntries> {
        auto answer = model->chat(request, cancel->token());
        if (!answer)
          return answer.error();
        return engine::parseExtractAnswer(answer->text, input.chapterText, input.knownNames, input.limit);
      },
      [this, uri, progress = job.progress, reply](Result<engine::ExtractedEntries> found) mutable {
        s_.endJob(uri);
        if (!found) {
          progress->end("failed");
          s_.showError("no bible entries", found.error());
          reply.error(found.error());
          return;
        }
        progress->end(std::to_string(found->entries.size()) + " found");
        if (found->dropped > 0)
          spdlog::info("bible extraction: {} of the model's entries left out (invented, known or repeated)",
                       found->dropped);
        std::vector<NewEntry> entries;
        for (auto &e : found->entries)
          entries.push_back(NewEntry{e.name, engine::bibleEntryTypeName(e.type), e.aliases, e.description});
        s_.server.bible().createEntries(uri, std::move(entries), std::move(reply));
      });
}
} // namespace recurrent::server
