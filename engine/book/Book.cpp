#include "engine/book/Book.h"

#include "engine/bible/BookFacts.h"
#include "engine/bible/MentionIndex.h"
#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/story/Context.h"
#include "engine/story/StoryState.h"
#include "engine/story/TokenBudget.h"
#include "support/Files.h"

#include <unordered_set>

namespace recurrent::engine {
namespace fs = std::filesystem;

namespace {

std::string withThousands(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

/// Tokens of one summary call per paragraph beyond its text: instructions and the answer.
constexpr std::size_t kSummaryOverheadTokens = 120;

} // namespace

std::string SummaryEstimate::describe(const std::string &model) const {
  return withThousands(paragraphs) + " new paragraph" + (paragraphs == 1 ? "" : "s") + " to summarise with " + model +
         ", about " + withThousands(tokens) + " tokens";
}

Result<std::unique_ptr<Book>> Book::open(BookLayout layout, std::shared_ptr<ChatModel> model,
                                         std::shared_ptr<Embedder> embedder, std::shared_ptr<Summarizer> summarizer,
                                         BookOptions options, bool paidModel) {
  if (layout.root().empty())
    return Error{ErrorKind::InvalidArgument, "no book to open"};
  auto session = StorySession::openAt(layout.paths(), std::move(model), std::move(embedder), std::move(summarizer),
                                      options.session);
  if (!session)
    return session.error();
  return std::unique_ptr<Book>(
      new Book(std::move(layout), std::shared_ptr<StorySession>(std::move(*session)), std::move(options), paidModel));
}

Book::Book(BookLayout layout, std::shared_ptr<StorySession> session, BookOptions options, bool paid)
    : layout_(layout), session_(std::move(session)), options_(std::move(options)), paid_(paid), text_(std::move(layout)) {
  // Plans, select and a step at the end of the book see the bible as it stands at the end.
  session_->setBibleSource([this] { return bibleAtEnd(); });
}

// The session may outlive the book (a job holds it): it must not call back into a book that is gone.
Book::~Book() { session_->setBibleSource({}); }

const LongTermMemory &Book::memory() const { return session_->memory(); }
Status Book::flushMemory() { return session_->flushMemory(); }

bool Book::isStory() const { return session_->state().initialised(); }

// --- The text -------------------------------------------------------------------------------

std::shared_ptr<const BookSnapshot> Book::snapshot() { return text_.snapshot(); }
void Book::setOverlay(const fs::path &chapter, std::string text) { text_.setOverlay(chapter, std::move(text)); }
void Book::clearOverlay(const fs::path &chapter) { text_.clearOverlay(chapter); }
void Book::reloadFromDisk() { text_.reloadFromDisk(); }
std::shared_ptr<const Bible> Book::bible() { return text_.bible(); }
void Book::reloadBible() { text_.reloadBible(); }
void Book::setBibleOverlay(const fs::path &file, std::string text) { text_.setBibleOverlay(file, std::move(text)); }
void Book::clearBibleOverlay(const fs::path &file) { text_.clearBibleOverlay(file); }

// --- Memory ---------------------------------------------------------------------------------

SummaryEstimate Book::estimateSummaries(const BookSnapshot &snapshot) const {
  SummaryEstimate e;
  e.paid = paid_;
  e.threshold = options_.confirmAbove;
  e.model = !session_->offline();
  e.askLocal = options_.confirmLocal;
  std::unordered_set<ParagraphHash> known;
  for (const auto &entry : session_->memory().entries())
    known.insert(entry.hash);
  const auto &m = snapshot.manuscript();
  for (const auto &p : m.paragraphs()) {
    if (!known.insert(p.hash).second)
      continue;
    ++e.paragraphs;
    e.words += p.words;
    e.tokens += static_cast<std::size_t>(estimateTokens(m.paragraphText(p))) + kSummaryOverheadTokens;
  }
  return e;
}

Result<IndexReport> Book::refreshMemory(const BookSnapshot &snapshot, const CancelToken &cancel,
                                        const MemoryIndexer::ProgressFn &progress) {
  return session_->indexMemory(snapshot.manuscript(), cancel, progress);
}

Result<AdoptOutcome> Book::adoptOrRefresh(const BookSnapshot &snapshot, const AdoptRequest &request,
                                          const CancelToken &cancel, const MemoryIndexer::ProgressFn &progress) {
  AdoptOutcome out;
  // The memory first (resumable, saved per batch); adopting then finds it up to date.
  auto report = refreshMemory(snapshot, cancel, progress);
  if (!report)
    return report.error();
  out.index = *report;
  if (isStory())
    return out;
  if (auto s = session_->adopt(snapshot.manuscript(), request.genre, request.language, request.mode, cancel); !s)
    return s.error();
  out.adopted = true;
  return out;
}

std::string Book::chapterSummary(const BookSnapshot &snapshot, std::size_t chapter) {
  const auto &c = snapshot.chapters().at(chapter);
  const auto key = hashManuscriptText(*c.text);
  {
    std::lock_guard lock(mutex_);
    if (auto it = summaryCache_.find(key); it != summaryCache_.end())
      return it->second;
  }
  // The chapter's prose, without headings: the extractive summarizer picks its central sentences.
  std::string prose;
  const auto &m = snapshot.manuscript();
  for (std::size_t i = 0; i < c.paragraphCount; ++i) {
    prose += m.paragraphText(m.paragraphs()[c.firstParagraph + i]);
    prose += '\n';
  }
  ExtractiveSummarizer::Options o;
  o.maxWords = 60;
  std::string summary = prose.empty() ? std::string() : ExtractiveSummarizer(o).summarizeOne(prose);
  std::lock_guard lock(mutex_);
  summaryCache_[key] = summary;
  return summary;
}

std::shared_ptr<const BibleContext> Book::bibleAt(const BookSnapshot &snapshot, std::size_t chapter,
                                                  std::size_t offset) {
  auto context = std::make_shared<BibleContext>();
  context->bible = bible();
  if (context->bible->entries.empty())
    return nullptr;
  context->chapter = chapter;
  context->offset = offset;
  {
    std::lock_guard lock(mutex_);
    if (namesBible_ == context->bible)
      context->names = bibleNames_;
    if (factsBible_ == context->bible && factsVersion_ == snapshot.version())
      context->facts = facts_;
  }
  if (!context->names) { // compiled once per bible read
    context->names = std::make_shared<const MentionIndex>(*context->bible);
    std::lock_guard lock(mutex_);
    bibleNames_ = context->names;
    namesBible_ = context->bible;
  }
  if (!context->facts) {
    // Facts are read from every chapter: once per snapshot, shared by the prompts made on it.
    context->facts = std::make_shared<const BookFacts>(BookFacts::collect(*context->bible, snapshot));
    std::lock_guard lock(mutex_);
    facts_ = context->facts;
    factsBible_ = context->bible;
    factsVersion_ = snapshot.version();
  }
  return context;
}

std::shared_ptr<const BibleContext> Book::bibleAtEnd() {
  auto snap = snapshot();
  if (snap->chapters().empty())
    return nullptr;
  std::size_t last = snap->chapters().size() - 1;
  return bibleAt(*snap, last, snap->chapterText(last).size());
}

std::vector<ContextParagraph> Book::previouslyBefore(const BookSnapshot &snapshot, std::size_t chapter) {
  std::vector<ContextParagraph> out;
  chapter = std::min(chapter, snapshot.chapters().size());
  std::size_t first = chapter > kPreviouslyChapters ? chapter - kPreviouslyChapters : 0;
  for (std::size_t i = first; i < chapter; ++i) {
    auto summary = chapterSummary(snapshot, i);
    if (!summary.empty())
      out.push_back({snapshot.chapters()[i].title + ": " + summary, "chapter " + std::to_string(i + 1)});
  }
  return out;
}

StorySession::StepRequest Book::stepRequest(const BookSnapshot &snapshot, std::size_t chapter,
                                            std::optional<std::size_t> offset, std::string plan) {
  StorySession::StepRequest r;
  r.plan = std::move(plan);
  if (chapter < snapshot.chapters().size()) {
    r.cursor = snapshot.bookOffset(chapter, offset.value_or(snapshot.chapterText(chapter).size()));
    if (layout_.isFolder())
      r.previously = previouslyBefore(snapshot, chapter);
    // The bible as it stands where the paragraph goes (after the cursor's paragraph), as the step computes it.
    auto point = snapshot.chapterOffset(recentContext(snapshot.manuscript(), r.cursor, 1).insertAt);
    r.bible = bibleAt(snapshot, point.chapter, point.offset);
  }
  return r;
}

} // namespace recurrent::engine
