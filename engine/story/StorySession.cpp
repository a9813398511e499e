#include "engine/story/StorySession.h"

#include "engine/bible/RenameText.h"
#include "engine/manuscript/Title.h"
#include "engine/memory/LongTermMemory.h"
#include "engine/story/Context.h"
#include "engine/memory/MemoryIndexer.h"
#include "engine/story/JsonFieldStream.h"
#include "engine/story/LlmSummarizer.h"
#include "engine/story/Language.h"
#include "engine/story/OfflineText.h"

#include <random>
#include <set>

namespace recurrent::engine {

namespace {

std::string trimmed(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// What the bible's entries are chosen by: the plan, the recent text, and the memories of paragraphs
/// before the insertion point (retrieval searches the whole book; a later chapter's names stay out).
BibleScanInput bibleScanInput(std::string_view plan, const std::vector<ContextParagraph> &recent,
                              const StoryContext *retrieval, const Manuscript &manuscript) {
  BibleScanInput in;
  in.plan = plan;
  for (const auto &r : recent)
    in.recent.push_back({r.text, r.label});
  if (!retrieval)
    return in;
  const auto &paragraphs = manuscript.paragraphs();
  for (std::size_t i = 0; i < retrieval->retrieved.size() && i < retrieval->retrievedParagraphs.size(); ++i) {
    std::size_t p = retrieval->retrievedParagraphs[i];
    if (p < paragraphs.size() && paragraphs[p].end <= retrieval->insertAt)
      in.retrieved.push_back({retrieval->retrieved[i].text, retrieval->retrieved[i].label});
  }
  return in;
}

BibleSelectOptions bibleSelectOptions(const PromptOptions &o) {
  BibleSelectOptions out;
  out.entryTokens = o.bibleEntryTokens;
  return out;
}

} // namespace

ManuscriptMark markOf(const Manuscript &m) {
  return {m.text().size(), hashManuscriptText(m.text()), m.paragraphs().size()};
}

const char *selectModeName(SelectMode mode) {
  switch (mode) {
  case SelectMode::Llm: return "llm";
  case SelectMode::Random: return "random";
  case SelectMode::First: return "first";
  }
  return "llm";
}

std::optional<SelectMode> parseSelectMode(std::string_view text) {
  if (text == "llm")
    return SelectMode::Llm;
  if (text == "random")
    return SelectMode::Random;
  if (text == "first")
    return SelectMode::First;
  return std::nullopt;
}

// --- Construction and state ---------------------------------------------------------------

Result<std::unique_ptr<StorySession>> StorySession::open(const std::filesystem::path &manuscript,
                                                         std::shared_ptr<ChatModel> model,
                                                         std::shared_ptr<Embedder> embedder,
                                                         std::shared_ptr<Summarizer> summarizer,
                                                         SessionOptions options) {
  return openAt(StatePaths::forManuscript(manuscript), std::move(model), std::move(embedder), std::move(summarizer),
                options);
}

Result<std::unique_ptr<StorySession>> StorySession::openAt(const StatePaths &paths, std::shared_ptr<ChatModel> model,
                                                           std::shared_ptr<Embedder> embedder,
                                                           std::shared_ptr<Summarizer> summarizer,
                                                           SessionOptions options) {
  auto memory = LongTermMemory::open(paths, std::move(embedder), LongTermMemory::Options{options.topK});
  if (!memory)
    return memory.error();
  auto recording =
      std::make_shared<RecordingChatModel>(std::move(model), options.logCalls ? paths.callLog() : std::filesystem::path());
  if (!summarizer) // summaries through the model, logged like every other call
    summarizer = std::make_shared<LlmSummarizer>(*recording, "llm:" + recording->describe(),
                                                 LlmSummarizer::Options{options.prompt, 12});
  std::unique_ptr<StorySession> session(
      new StorySession(paths, std::move(recording), std::move(summarizer), std::move(*memory), options));
  if (auto s = session->reload(); !s)
    return s.error();
  for (const auto &w : session->memory_->loadWarnings())
    session->notes_.push_back(w);
  return session;
}

StorySession::StorySession(StatePaths paths, std::shared_ptr<RecordingChatModel> model,
                           std::shared_ptr<Summarizer> summarizer, std::unique_ptr<LongTermMemory> memory,
                           SessionOptions options)
    : paths_(std::move(paths)), store_(paths_), model_(std::move(model)), summarizer_(std::move(summarizer)),
      memory_(std::move(memory)), options_(options) {}

StorySession::~StorySession() = default;

Status StorySession::flushMemory() { return memory_->flush(); }

StoryState StorySession::state() const {
  std::lock_guard lock(stateMutex_);
  return state_;
}

std::vector<std::string> StorySession::notes() const {
  std::lock_guard lock(stateMutex_);
  return notes_;
}

bool StorySession::busy() const {
  if (!operation_.try_lock())
    return true;
  operation_.unlock();
  return false;
}

std::size_t StorySession::memoryEntries() const { return memory_->size(); }
std::optional<CallRecord> StorySession::lastCall() const { return model_->lastCall(); }
CallTotals StorySession::totals() const { return model_->totals(); }
std::string StorySession::modelDescription() const { return model_->describe(); }

PromptOptions StorySession::promptOptions() const {
  PromptOptions o = options_.prompt;
  if (auto server = model_->serverContextTokens(); server && *server < o.contextTokens)
    o.contextTokens = static_cast<int>(std::max(1024L, *server));
  return o;
}
bool StorySession::offline() const { return model_->isOffline(); }

Status StorySession::reload() {
  std::lock_guard op(operation_);
  return reloadLocked();
}

Status StorySession::reloadLocked() {
  auto loaded = store_.load();
  if (!loaded)
    return loaded.error();
  std::lock_guard lock(stateMutex_);
  state_ = std::move(loaded->state);
  for (auto &n : loaded->notes)
    notes_.push_back(std::move(n));
  return okStatus();
}

void StorySession::addStatsLocked(StoryState &next) {
  auto now = model_->totals();
  next.stats.llmCalls += now.calls - savedTotals_.calls;
  next.stats.promptTokens += now.promptTokens - savedTotals_.promptTokens;
  next.stats.completionTokens += now.completionTokens - savedTotals_.completionTokens;
  next.stats.retries += now.retries - savedTotals_.retries;
  next.stats.llmSeconds += now.seconds - savedTotals_.seconds;
  savedTotals_ = now;
}

Status StorySession::saveLocked(StoryState next) {
  addStatsLocked(next);
  if (auto s = store_.save(next); !s)
    return s;
  std::lock_guard lock(stateMutex_);
  state_ = std::move(next);
  return okStatus();
}

std::uint64_t StorySession::stepSeed(long step, std::uint64_t salt) const {
  std::uint64_t seed;
  {
    std::lock_guard lock(stateMutex_);
    seed = state_.seed;
  }
  return splitmix(seed ^ splitmix(static_cast<std::uint64_t>(step) * 0x100000001B3ull + salt));
}

Result<ChatResult> StorySession::call(const PreparedRequest &prepared, const CancelToken &cancel,
                                      const StreamCallbacks &stream, const char *streamField) {
  ChatCallbacks callbacks;
  JsonFieldStream field(streamField ? streamField : "");
  if (stream.onText) {
    callbacks.onDelta = [&](std::string_view delta) {
      if (!streamField) {
        stream.onText(delta);
        return;
      }
      const bool wasDone = field.done();
      auto text = field.feed(delta);
      if (!text.empty())
        stream.onText(text);
      if (!wasDone && field.done() && stream.onTextDone)
        stream.onTextDone();
    };
  }
  callbacks.onRetry = [&](const RetryNotice &notice) {
    field.reset();
    if (stream.onRetry)
      stream.onRetry(notice);
  };
  return model_->chat(prepared.request, cancel, callbacks);
}

Status StorySession::refreshMemory(const Manuscript &manuscript, const CancelToken &cancel, const ProgressFn &progress) {
  MemoryIndexer::Options o;
  o.language = state().language;
  MemoryIndexer indexer(*memory_, *summarizer_, o);
  auto report = indexer.update(manuscript, cancel, [&](const IndexProgress &p) {
    if (progress)
      progress(p.stage, p.done, p.total);
  });
  if (!report)
    return report.error();
  return okStatus();
}

Result<IndexReport> StorySession::indexMemory(const Manuscript &manuscript, const CancelToken &cancel,
                                             const std::function<void(const IndexProgress &)> &progress) {
  std::lock_guard op(operation_);
  MemoryIndexer::Options o;
  o.language = state().language;
  MemoryIndexer indexer(*memory_, *summarizer_, o);
  return indexer.update(manuscript, cancel, progress);
}

// --- Init and adopt ------------------------------------------------------------------------

Result<PendingInit> StorySession::prepareInit(const InitInput &input, const CancelToken &cancel,
                                              const StreamCallbacks &stream) {
  std::lock_guard op(operation_);
  auto prepared = makeInitRequest(input, promptOptions());
  if (!prepared)
    return prepared.error();
  auto result = call(*prepared, cancel, stream, nullptr);
  if (!result)
    return result.error();
  auto answer = parseInitAnswer(result->text, input.language.empty() ? "English" : input.language);
  if (!answer)
    return answer.error();
  PendingInit out;
  out.markdown = "# " + answer->title + "\n";
  for (const auto &p : answer->paragraphs)
    out.markdown += "\n" + p + "\n";
  out.answer = std::move(*answer);
  out.model = result->model;
  out.offline = model_->isOffline();
  return out;
}

Status StorySession::commitInit(const PendingInit &init, const InitInput &input, const Manuscript &manuscript,
                                const CancelToken &cancel) {
  std::lock_guard op(operation_);
  StoryState next = state();
  next.title = init.answer.title;
  next.genre = input.genre;
  next.topic = input.topic;
  next.premise = input.premise;
  next.language = input.language.empty() ? "English" : input.language;
  next.mode = input.mode;
  next.outline = init.answer.outline;
  next.shortTermMemory = init.answer.shortTermMemory;
  next.rationale.clear();
  next.plans = init.answer.plans;
  next.step = 0;
  next.seed = input.seed;
  next.model = init.model;
  next.offline = init.offline;
  next.manuscript = markOf(manuscript);
  next.journal.reset();
  if (auto s = saveLocked(std::move(next)); !s)
    return s;
  return refreshMemory(manuscript, cancel);
}

Status StorySession::adopt(const Manuscript &manuscript, const std::string &genre, const std::string &language,
                           StoryMode mode, const CancelToken &cancel, const ProgressFn &progress) {
  std::lock_guard op(operation_);
  if (manuscript.paragraphs().empty())
    return Error{ErrorKind::InvalidArgument, "the manuscript has no prose paragraphs to adopt"};
  if (auto s = reloadLocked(); !s)
    return s;
  StoryState next = state();
  if (!language.empty()) {
    next.language = language;
  } else if (next.language.empty()) {
    std::string sample;
    for (const auto &p : manuscript.paragraphs()) {
      sample += std::string(manuscript.paragraphText(p)) + "\n";
      if (sample.size() > 20000)
        break;
    }
    next.language = detectLanguage(sample);
  }
  if (!genre.empty())
    next.genre = genre;
  next.mode = mode;
  {
    std::lock_guard lock(stateMutex_);
    state_.language = next.language; // the summarizer writes in it
  }
  if (auto s = refreshMemory(manuscript, cancel, progress); !s)
    return s;

  AdoptInput in;
  in.language = next.language;
  in.genre = next.genre;
  in.mode = mode;
  // The writer's own H1 is the title, whatever the model answers; else the model proposes one.
  if (auto own = writersTitle(manuscript)) {
    in.title = *own;
    in.keepTitle = true;
  } else {
    in.title = next.title;
  }
  auto entries = memory_->entries();
  for (const auto &e : entries)
    in.summaries.push_back({e.summary, paragraphLabel(e.paragraph)});
  in.recent = recentContext(manuscript, std::nullopt, options_.recentParagraphs).recent;
  if (model_->isOffline())
    in.corpus = std::make_shared<const std::string>(manuscript.text());
  in.seed = stepSeed(0, 'a');
  auto prepared = makeAdoptRequest(in, promptOptions());
  if (!prepared)
    return prepared.error();
  auto result = call(*prepared, cancel, {}, nullptr);
  if (!result)
    return result.error();
  auto answer = parseAdoptAnswer(result->text, next.language, in.keepTitle ? in.title : std::string());
  if (!answer)
    return answer.error();
  next.title = answer->title.empty() ? in.title : answer->title;
  if (next.genre.empty())
    next.genre = answer->genre;
  next.synopsis = answer->synopsis;
  next.outline = answer->outline;
  next.shortTermMemory = answer->shortTermMemory;
  next.rationale = answer->rationale;
  next.plans = answer->plans;
  next.model = result->model;
  next.offline = model_->isOffline();
  next.manuscript = markOf(manuscript);
  next.journal.reset();
  return saveLocked(std::move(next));
}

// --- The step -----------------------------------------------------------------------------------

Result<PendingStep> StorySession::prepareStep(const Manuscript &manuscript, const StepRequest &request,
                                              const CancelToken &cancel, const StreamCallbacks &stream) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s.error();
  StoryState current = state();
  if (!current.initialised())
    return Error{ErrorKind::InvalidArgument,
                 "this manuscript has no story state yet: start a new story or adopt the manuscript first"};
  std::string plan = trimmed(request.plan);
  if (plan.empty() && !current.plans.empty())
    plan = current.plans.front();
  if (plan.empty())
    return Error{ErrorKind::InvalidArgument, "no plan for the next paragraph: write one, or ask for suggestions"};

  PendingStep pending;
  pending.step = current.step + 1;
  pending.plan = plan;

  ContextRequest wanted;
  wanted.cursor = request.cursor;
  wanted.query = plan;
  wanted.recentParagraphs = options_.recentParagraphs;
  wanted.topK = options_.topK;
  wanted.previously = request.previously;
  auto context = gatherContext(manuscript, memory_.get(), wanted, cancel);
  if (!context)
    return context.error();
  auto bible = request.bible ? request.bible : request.cursor ? nullptr : bibleAtEnd();
  BibleSelection entries;
  if (bible)
    entries = selectBibleEntries(*bible, bibleScanInput(plan, context->recent, &*context, manuscript),
                                 bibleSelectOptions(options_.prompt));
  StepInput in;
  in.state = &current;
  in.plan = plan;
  in.recent = std::move(context->recent);
  in.retrieved = std::move(context->retrieved);
  in.previously = std::move(context->previously);
  pending.insertAt = context->insertAt;
  if (bible)
    in.bible = &entries;
  std::mt19937_64 rng(stepSeed(pending.step, 'c'));
  in.inviteNewCharacter = std::bernoulli_distribution(options_.newCharacterProbability)(rng);
  pending.newCharacterInvited = in.inviteNewCharacter;
  if (model_->isOffline())
    in.corpus = std::make_shared<const std::string>(manuscript.text());
  in.seed = stepSeed(pending.step, 'w');

  auto prepared = makeStepRequest(in, promptOptions());
  if (!prepared)
    return prepared.error();
  warnAboutCutEntries(prepared->payload->budget);
  auto result = call(*prepared, cancel, stream, "paragraph");
  if (!result)
    return result.error();
  auto answer = parseStepAnswer(result->text, current.language);
  if (!answer)
    return answer.error();
  pending.paragraph = std::move(answer->paragraph);
  pending.rationale = std::move(answer->rationale);
  pending.shortTermMemory = std::move(answer->shortTermMemory);
  pending.summary = std::move(answer->summary);
  pending.plans = std::move(answer->plans);
  pending.model = result->model;
  pending.offline = model_->isOffline();
  pending.budget = prepared->payload->budget;
  return pending;
}

Status StorySession::applyCommitLocked(long step, const std::string &plan, const std::string &applied,
                                       const std::string &summary, const std::string &memory,
                                       const std::string &rationale, const std::vector<std::string> &plans,
                                       const std::string &model, bool offline, const Manuscript &after,
                                       const CancelToken &cancel) {
  StoryState current = state();
  current.journal.reset();
  if (auto s = store_.snapshot(current); !s)
    return s;
  if (!summary.empty())
    memory_->remember(hashParagraphText(applied), summary, "step:" + model);
  StoryState next = current;
  next.step = step;
  next.lastPlan = plan;
  next.shortTermMemory = memory;
  next.rationale = rationale;
  next.plans = plans;
  next.model = model;
  next.offline = offline;
  next.manuscript = markOf(after);
  next.journal.reset();
  if (auto s = saveLocked(std::move(next)); !s)
    return s;
  return refreshMemory(after, cancel);
}

Result<StepCommit> StorySession::commitStep(const PendingStep &pending, std::string_view applied,
                                            const Manuscript &after, const CancelToken &cancel) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s.error();
  StoryState current = state();
  std::string text = trimmed(applied);
  if (text.empty())
    return StepCommit{current.step, 0};
  if (pending.step != current.step + 1)
    return Error{ErrorKind::InvalidArgument, "the story moved on since this paragraph was written (now at step " +
                                                 std::to_string(current.step) + "); write it again"};
  // The step's summary describes the paragraph as written; text the writer changed is
  // summarised afresh by the indexer.
  std::string summary = text == trimmed(pending.paragraph) ? pending.summary : std::string();
  if (auto s = applyCommitLocked(pending.step, pending.plan, text, summary, pending.shortTermMemory, pending.rationale,
                                 pending.plans, pending.model, pending.offline, after, cancel);
      !s)
    return s.error();
  return StepCommit{pending.step, offline::countWords(text)};
}

Result<long> StorySession::undoStep() {
  std::lock_guard op(operation_);
  auto restored = store_.restoreSnapshot();
  if (!restored)
    return restored.error();
  if (!*restored)
    return Error{ErrorKind::InvalidArgument, "there is no step to undo"};
  std::lock_guard lock(stateMutex_);
  state_ = std::move(**restored);
  return state_.step;
}

// --- Plans -------------------------------------------------------------------------------------

Result<std::vector<std::string>> StorySession::suggestPlans(const Manuscript &manuscript, const CancelToken &cancel) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s.error();
  StoryState current = state();
  PlansInput in;
  in.state = &current;
  in.recent = recentContext(manuscript, std::nullopt, options_.recentParagraphs).recent;
  BibleSelection entries;
  if (auto bible = bibleAtEnd()) {
    entries = selectBibleEntries(*bible, bibleScanInput({}, in.recent, nullptr, manuscript),
                                 bibleSelectOptions(options_.prompt));
    in.bible = &entries;
  }
  if (model_->isOffline())
    in.corpus = std::make_shared<const std::string>(manuscript.text());
  in.seed = stepSeed(current.step + 1, 'p' + static_cast<std::uint64_t>(model_->totals().calls));
  auto prepared = makePlansRequest(in, promptOptions());
  if (!prepared)
    return prepared.error();
  warnAboutCutEntries(prepared->payload->budget);
  auto result = call(*prepared, cancel, {}, nullptr);
  if (!result)
    return result.error();
  auto plans = parsePlansAnswer(result->text, current.language);
  if (!plans)
    return plans.error();
  current.plans = *plans;
  if (auto s = saveLocked(std::move(current)); !s)
    return s.error();
  return plans;
}

Status StorySession::setPlans(std::vector<std::string> plans) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s;
  StoryState next = state();
  next.plans.clear();
  for (auto &p : plans)
    if (auto t = trimmed(p); !t.empty())
      next.plans.push_back(t);
  return saveLocked(std::move(next));
}

Status StorySession::setShortTermMemory(std::string memory) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s;
  StoryState next = state();
  next.shortTermMemory = trimmed(memory);
  return saveLocked(std::move(next));
}

Result<std::size_t> StorySession::renameInState(const std::string &oldName, const std::string &newName) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s.error();
  StoryState next = state();
  std::size_t changed = 0;
  auto rename = [&](std::string &text) {
    std::string renamed = replaceName(text, oldName, newName);
    changed += renamed != text;
    text = std::move(renamed);
  };
  for (std::string *text : {&next.title, &next.topic, &next.premise, &next.outline, &next.synopsis,
                            &next.shortTermMemory, &next.rationale, &next.lastPlan})
    rename(*text);
  for (auto &plan : next.plans)
    rename(plan);
  // The last step's undo record too, or undoing it would bring the old name back.
  if (auto &journal = next.journal) {
    for (std::string *text : {&journal->plan, &journal->summary, &journal->shortTermMemory, &journal->rationale})
      rename(*text);
    for (auto &plan : journal->plans)
      rename(plan);
  }
  if (changed > 0)
    if (auto s = saveLocked(std::move(next)); !s)
      return s.error();
  auto summaries = memory_->rewriteSummaries([&](std::string_view s) { return replaceName(s, oldName, newName); });
  if (!summaries)
    return summaries.error();
  return changed + *summaries;
}

Result<SelectedPlan> StorySession::selectPlan(SelectMode mode, const Manuscript &manuscript, const CancelToken &cancel) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s.error();
  StoryState current = state();
  if (current.plans.empty())
    return Error{ErrorKind::InvalidArgument, "there are no plans to choose from"};
  SelectedPlan out;
  if (current.plans.size() == 1 || mode == SelectMode::First) {
    out.reason = current.plans.size() == 1 ? "the only plan" : "the first plan";
  } else if (mode == SelectMode::Random) {
    std::mt19937_64 rng(stepSeed(current.step + 1, 's'));
    out.index = static_cast<int>(std::uniform_int_distribution<std::size_t>(0, current.plans.size() - 1)(rng));
    out.reason = "picked at random";
  } else {
    SelectInput in;
    in.state = &current;
    in.recent = recentContext(manuscript, std::nullopt, options_.recentParagraphs).recent;
    if (in.recent.size() > 2)
      in.recent.erase(in.recent.begin(), in.recent.end() - 2);
    in.plans = current.plans;
    std::string candidates;
    for (const auto &p : in.plans)
      candidates += p + "\n";
    BibleSelection entries;
    if (auto bible = bibleAtEnd()) {
      entries = selectBibleEntries(
          *bible, bibleScanInput(candidates, in.recent, nullptr, manuscript),
          bibleSelectOptions(options_.prompt));
      in.bible = &entries;
    }
    in.seed = stepSeed(current.step + 1, 's');
    auto prepared = makeSelectRequest(in, promptOptions());
    if (!prepared)
      return prepared.error();
    warnAboutCutEntries(prepared->payload->budget);
    auto result = call(*prepared, cancel, {}, nullptr);
    if (!result)
      return result.error();
    auto answer = parseSelectAnswer(result->text, static_cast<int>(current.plans.size()));
    if (!answer)
      return answer.error();
    out.index = answer->choice;
    out.reason = answer->reason;
  }
  out.plan = current.plans[static_cast<std::size_t>(out.index)];
  return out;
}

// --- The story bible ----------------------------------------------------------------------------

void StorySession::setBibleSource(BibleSource source) {
  std::lock_guard lock(bibleMutex_);
  bibleSource_ = std::move(source);
}

std::shared_ptr<const BibleContext> StorySession::bibleAtEnd() const {
  std::lock_guard lock(bibleMutex_);
  return bibleSource_ ? bibleSource_() : nullptr;
}

void StorySession::warnAboutCutEntries(const BudgetReport &report) {
  std::vector<const BudgetItem *> cut;
  for (const auto &item : report.trimmed)
    if (item.kind == SourceKind::BibleEntry && item.reason == kBibleAlwaysReason && !item.truncated)
      cut.push_back(&item);
  if (cut.empty() || !options_.onWarning)
    return;
  std::string names;
  for (std::size_t i = 0; i < cut.size(); ++i)
    names += (i == 0 ? "" : i + 1 == cut.size() ? " and " : ", ") + cut[i]->label;
  std::string message = "the story bible's 'always' entr" + std::string(cut.size() == 1 ? "y " : "ies ") + names +
                        (cut.size() == 1 ? " was" : " were") + " left out of the prompt: " + cut.front()->cutReason +
                        "; raise recurrent.bibleShare (recurrent write --bible-share) or shorten " +
                        (cut.size() == 1 ? "it" : "them");
  {
    std::lock_guard lock(stateMutex_);
    if (!warned_.insert(message).second)
      return;
  }
  options_.onWarning(message);
}

// --- Crash safety -------------------------------------------------------------------------------

Status StorySession::recordJournal(const PendingStep &pending, const ManuscriptMark &before,
                                   const ManuscriptMark &after) {
  std::lock_guard op(operation_);
  StoryState next = state();
  StepJournal j;
  j.step = pending.step;
  j.plan = pending.plan;
  j.paragraph = trimmed(pending.paragraph);
  j.summary = pending.summary;
  j.shortTermMemory = pending.shortTermMemory;
  j.rationale = pending.rationale;
  j.plans = pending.plans;
  j.before = before;
  j.after = after;
  next.journal = std::move(j);
  // Only story.json changes: the Markdown files keep the state before the step.
  if (auto s = store_.saveStoryJson(next); !s)
    return s;
  std::lock_guard lock(stateMutex_);
  state_ = std::move(next);
  return okStatus();
}

Result<ReconcileReport> StorySession::reconcile(const Manuscript &manuscript, const CancelToken &cancel) {
  std::lock_guard op(operation_);
  if (auto s = reloadLocked(); !s)
    return s.error();
  StoryState current = state();
  ReconcileReport report;
  ManuscriptMark now = markOf(manuscript);
  if (current.journal) {
    const StepJournal j = *current.journal;
    if (now == j.after) {
      if (auto s = applyCommitLocked(j.step, j.plan, j.paragraph, j.summary, j.shortTermMemory, j.rationale, j.plans,
                                     current.model, current.offline, manuscript, cancel);
          !s)
        return s.error();
      report.journalCompleted = true;
      report.message = "finished step " + std::to_string(j.step) + ", which was interrupted after its paragraph was saved";
      return report;
    }
    current.journal.reset();
    if (auto s = saveLocked(current); !s)
      return s.error();
    if (now == j.before) {
      report.journalDropped = true;
      report.message = "step " + std::to_string(j.step) + " was interrupted before its paragraph was saved; it will be written again";
      return report;
    }
    report.journalDropped = true;
    report.message = "an interrupted step was dropped: the manuscript has changed since";
  }
  if (current.manuscript.bytes != 0 && !(current.manuscript == now)) {
    report.manuscriptChanged = true;
    if (auto s = refreshMemory(manuscript, cancel); !s)
      return s.error();
    StoryState next = state();
    next.manuscript = now;
    if (auto s = saveLocked(std::move(next)); !s)
      return s.error();
    if (report.message.empty())
      report.message = "the manuscript changed since the last step; its memory is up to date again";
  }
  return report;
}

} // namespace recurrent::engine
