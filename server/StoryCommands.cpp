#include "server/StoryCommands.h"

#include "protocol/Results.h"
#include "protocol/Uri.h"
#include "server/BibleFeatures.h"
#include "server/EditStream.h"
#include "server/LspServer.h"
#include "server/Progress.h"
#include "server/StateWritable.h"
#include "server/SummaryCost.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace recurrent::server {

using protocol::json;
namespace fs = std::filesystem;

void StoryCommands::newStory(const protocol::NewStoryArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  if (st->layout.isFolder()) {
    reply.error(requestFailed("this file is a chapter of a book: continue the book (Recurrent: Continue), "
                              "or start a new story in a file outside it"));
    return;
  }
  if (!isBlank(s_.server.documents().find(uri)->manuscript.text())) {
    reply.error(
        requestFailed("a new story starts in an empty document; to continue this manuscript, use Adopt"));
    return;
  }
  engine::InitInput input;
  input.genre = args.genre;
  input.topic = args.topic;
  input.premise = args.premise;
  input.language = args.language;
  if (input.language.empty())
    input.language = s_.server.settingsFor(uri).language.value_or("");
  if (auto mode = engine::parseStoryMode(args.mode))
    input.mode = *mode;
  if (input.topic.empty() && input.premise.empty()) {
    reply.error(invalidParams("invalid params: arguments[0].topic: a new story needs a topic or a premise"));
    return;
  }
  if (auto made = s_.workspace.makeStory(uri); !made) {
    reply.error(made.error());
    return;
  }
  s_.workspace.whenOpen(uri, [this, uri, input, reply]() mutable { writeOpening(uri, input, std::move(reply)); });
}

void StoryCommands::writeOpening(const std::string &uri, const engine::InitInput &input, ReplyOnce reply) {
  OpenBook *st = s_.idleDocument(uri, reply); // closed, or busy, while its memory was being read
  if (!st)
    return;
  auto session = s_.sessionOrReply(uri, "cannot start a story", reply);
  if (!session)
    return;
  Services::Job job = s_.beginJob(*st, uri, "Recurrent: writing the opening", reply.token());
  auto progress = job.progress;
  auto cancel = job.cancel;
  s_.background<Result<engine::PendingInit>>(
      [session, input, cancel] { return session->prepareInit(input, cancel->token()); },
      [this, uri, session, input, progress, cancel, reply](Result<engine::PendingInit> init) mutable {
        if (!init || cancel->cancelled()) {
          Error error = cancel->cancelled() ? Error::cancelled() : init.error();
          progress->end("stopped");
          s_.showError("the opening could not be written", error);
          reply.error(error);
          s_.endJob(uri, true);
          return;
        }
        if (!s_.server.documents().find(uri)) {
          reply.error(Error{ErrorKind::InvalidArgument, "the document was closed"});
          return;
        }
        // The opening goes at the top of the (blank) document.
        auto stream = EditStream::create(s_.server, uri, protocol::Position{0, 0}, s_.server.positionEncoding(),
                                         "Recurrent: new story");
        std::string markdown = init->markdown;
        stream->finish(markdown, [this, uri, session, input, progress, reply, init = std::move(*init)](
                                     bool applied, std::string reason, std::string inserted) mutable {
          if (!applied) {
            progress->end("not applied");
            reply.error(requestFailed(reason));
            s_.endJob(uri, true);
            return;
          }
          auto after = std::make_shared<engine::Manuscript>(inserted);
          s_.background<Status>([session, init, input,
                              after] { return session->commitInit(init, input, *after, CancelToken{}); },
                             [this, uri, progress, reply, title = init.answer.title](Status status) mutable {
                               progress->end(status ? "done" : "failed");
                               if (!status) {
                                 s_.showError("the opening is in the document but the story state was not saved",
                                           status.error());
                                 reply.error(status.error());
                               } else {
                                 reply(protocol::NewStoryResult{title});
                               }
                               s_.endJob(uri, true);
                             });
        });
      });
}

constexpr const char *kNothingToAdopt = "there is nothing to adopt yet: write a paragraph or start a New Story";

void StoryCommands::adopt(const protocol::AdoptArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  if (!st->layout.isFolder() && s_.server.documents().find(uri)->manuscript.paragraphs().empty()) {
    reply.error(requestFailed(kNothingToAdopt));
    return;
  }
  if (auto made = s_.workspace.makeStory(uri); !made) {
    reply.error(made.error());
    return;
  }
  s_.workspace.whenOpen(uri, [this, args, reply]() mutable { adoptOpened(args, std::move(reply)); });
}

void StoryCommands::adoptOpened(const protocol::AdoptArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply); // closed, or busy, while its memory was being read
  if (!st)
    return;
  auto session = s_.sessionOrReply(uri, "cannot adopt the manuscript", reply);
  if (!session)
    return;
  auto bookSnapshot = s_.workspace.snapshot(*st);
  auto snapshot = bookSnapshot->manuscriptPtr();
  if (snapshot->paragraphs().empty()) {
    reply.error(requestFailed(kNothingToAdopt));
    return;
  }
  // Adopting a long book with a paid model: the writer agrees to the cost first.
  if (std::size_t askAbove = s_.costQuestionThreshold(uri, *session); askAbove > 0) {
    SummaryEstimate estimate = st->book->estimateSummaries(*bookSnapshot);
    if (estimate.paragraphs > askAbove) {
      st->jobs.hold(); // no second command, and no index, while the question is open
      s_.askBeforeSummarising(uri, *session, estimate, [this, uri, args, snapshot, estimate, reply](bool yes) mutable {
        if (OpenBook *st = s_.workspace.bookOf(uri))
          st->jobs.finishWriting();
        if (!yes) {
          reply.error(protocol::ResponseError{protocol::RequestCancelled,
                                              "not adopted: the " + std::to_string(estimate.paragraphs) +
                                                  " paragraphs were not sent to the model",
                                              std::nullopt});
          return;
        }
        startAdopt(args, snapshot, std::move(reply));
      });
      return;
    }
  }
  startAdopt(args, snapshot, std::move(reply));
}

void StoryCommands::startAdopt(const protocol::AdoptArgs &args, std::shared_ptr<const engine::Manuscript> snapshot,
                          ReplyOnce reply) {
  const std::string &uri = args.uri;
  auto session = s_.sessionOrReply(uri, "cannot adopt the manuscript", reply);
  if (!session)
    return;
  OpenBook *st = s_.workspace.bookOf(uri);
  st->summariesDeclined = false;
  Services::Job job = s_.beginJob(*st, uri, "Recurrent: adopting the manuscript", reply.token(), "indexing");
  auto progress = job.progress;
  auto cancel = job.cancel;
  std::string genre = args.genre;
  std::string language = args.language;
  if (language.empty())
    language = s_.server.settingsFor(uri).language.value_or("");
  engine::StoryMode mode = engine::parseStoryMode(args.mode).value_or(engine::StoryMode::Novel);
  engine::ProgressFn onProgress = [this, progress](std::string_view stage, std::size_t done,
                                                   std::size_t total) {
    std::string message =
        std::string(stage) + (total ? " " + std::to_string(done) + "/" + std::to_string(total) : "");
    std::optional<std::uint32_t> percent;
    if (total)
      percent = static_cast<std::uint32_t>(100 * done / total);
    s_.server.post([progress, message, percent] { progress->report(message, percent); });
  };
  s_.background<Status>(
      [session, snapshot, genre, language, mode, cancel, onProgress] {
        return session->adopt(*snapshot, genre, language, mode, cancel->token(), onProgress);
      },
      [this, uri, session, snapshot, progress, reply](Status status) mutable {
        progress->end(status ? "done" : "stopped");
        if (OpenBook *s = s_.workspace.bookOf(uri))
          s->indexedOnce = s->indexedOnce || static_cast<bool>(status);
        s_.endJob(uri);
        if (!status) {
          s_.showError("the manuscript could not be adopted", status.error());
          reply.error(status.error());
          return;
        }
        reply(protocol::AdoptResult{snapshot->paragraphs().size(), session->state().plans});
      });
}

void StoryCommands::makeBook(const protocol::AdoptArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  if (st->layout.isFolder()) { // already a book: adopting it is what is left to do
    adopt(args, std::move(reply));
    return;
  }
  auto path = protocol::uriToPath(uri);
  if (!path || insideStateFolder(*path)) {
    reply.error(requestFailed(path ? "this is one of recurrent's own state files (inside .recurrent/), not a chapter"
                                   : "save this document to a file in the book's folder first"));
    return;
  }
  const engine::BookLayout layout = engine::BookLayout::folder(path->parent_path());
  if (!layout.isChapter(*path)) {
    reply.error(requestFailed("this file would not be a chapter of " + layout.root().string() +
                              " (README, SUMMARY.md, hidden and _ files, bible/ and notes/ are not chapters)"));
    return;
  }
  // The folder's open chapters join the book: none may be in the middle of something.
  std::vector<std::string> joining;
  for (OpenBook *state : s_.workspace.books())
    for (const auto &open : state->uris) {
    auto file = protocol::uriToPath(open);
    if (!file || !layout.isChapter(*file))
      continue;
    if (state->jobs.writing() || state->jobs.asking()) {
      reply.error(requestFailed("recurrent is busy in " + file->filename().string() +
                                ": wait for it or cancel it, then make the book"));
      return;
    }
    joining.push_back(open);
  }
  if (auto writable = checkStateWritable(layout.paths().dir); !writable) {
    reply.error(writable.error());
    return;
  }
  std::error_code ec;
  fs::create_directories(layout.paths().dir, ec);
  if (ec) {
    reply.error(requestFailed("cannot create " + layout.paths().dir.string() + ": " + ec.message()));
    return;
  }
  spdlog::info("{} is a book now ({} chapters)", layout.root().string(), layout.chapters().size());
  for (const auto &open : joining)
    joinBook_(open); // leaves its one-file state (kept on disk, unused) for the book's
  s_.server.bible().booksChanged(); // its chapters now share the book's bible
  adopt(args, std::move(reply));
}

void StoryCommands::newChapter(const protocol::NewChapterArgs &args, ReplyOnce reply) {
  const std::string &uri = args.uri;
  OpenBook *st = s_.idleDocument(uri, reply);
  if (!st)
    return;
  if (!st->layout.isFolder() || !st->story) {
    reply.error(requestFailed("only a book has chapters: make this folder a book first (Recurrent: Make Book)"));
    return;
  }
  auto made = st->layout.createNextChapter(args.title);
  if (!made) {
    s_.showError("no new chapter", made.error());
    reply.error(made.error());
    return;
  }
  if (st->book)
    st->book->reloadFromDisk();
  const std::string chapterUri = protocol::pathToUri(*made);
  if (s_.server.clientCapabilities().showDocument)
    s_.server.call("window/showDocument", {{"uri", chapterUri}, {"takeFocus", true}},
                 [](std::optional<json>, std::optional<protocol::ResponseError>) {});
  reply(protocol::NewChapterResult{chapterUri, st->layout.relativePath(*made)});
}
} // namespace recurrent::server
