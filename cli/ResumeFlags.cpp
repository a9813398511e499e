#include "cli/ResumeFlags.h"

#include "engine/manuscript/Manuscript.h"

#include <algorithm>
#include <cctype>

namespace recurrent::cli {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string inQuotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// The --from text's paragraphs open the story (it was copied in, then continued).
bool opensWith(std::string_view manuscript, std::string_view from) {
  engine::Manuscript story{std::string(manuscript)}, start{std::string(from)};
  const auto &ps = story.paragraphs(), &fs = start.paragraphs();
  if (fs.size() > ps.size())
    return false;
  for (std::size_t i = 0; i < fs.size(); ++i)
    if (story.paragraphText(ps[i]) != start.paragraphText(fs[i]))
      return false;
  return true;
}

} // namespace

std::vector<std::string> resumeConflicts(const Args &args, const engine::StoryState &story,
                                         std::string_view manuscript, const std::optional<std::string> &fromText,
                                         bool fromInPlace) {
  std::vector<std::string> out;
  auto text = [&](const char *flag, const std::string &saved, const char *what, bool ignoreCase) {
    auto given = args.get(flag);
    if (!given)
      return;
    bool same = ignoreCase ? lower(*given) == lower(saved) : *given == saved;
    if (!same)
      out.push_back("--" + std::string(flag) + " " + inQuotes(*given) + " differs from the story's " + what + " " +
                    (saved.empty() ? std::string("(none)") : inQuotes(saved)));
  };
  text("topic", story.topic, "topic", false);
  text("type", story.genre, "genre", true);
  text("premise", story.premise, "premise", false);
  text("language", story.language, "language", true);
  if (auto given = args.get("mode")) {
    auto mode = engine::parseStoryMode(*given);
    if (!mode || *mode != story.mode)
      out.push_back("--mode " + inQuotes(*given) + " differs from the story's mode " +
                    inQuotes(engine::storyModeName(story.mode)));
  }
  if (auto given = args.get("seed"); given && *given != std::to_string(story.seed))
    out.push_back("--seed " + *given + " differs from the story's seed " + std::to_string(story.seed));
  if (auto given = args.get("from"); given && !fromInPlace && !(fromText && opensWith(manuscript, *fromText)))
    out.push_back("--from " + *given + (fromText ? " is not the text the story starts with" : " cannot be read"));
  return out;
}

} // namespace recurrent::cli
