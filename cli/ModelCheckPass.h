// The model's pass of `recurrent check`: one model call per batch of paragraphs, after the deterministic checks.
//
// Runs only when a model is configured (flags or environment, as for every command) and --no-model is not
// given; the offline stand-in cannot judge continuity, so without a model the command stays offline and
// instant. Cost safety as `recurrent index` does it: when a paid model would be sent more than
// --confirm-above paragraphs (default 40) not already in the check cache, it prints the estimate and waits for
// --yes or a typed y, else sends nothing. The results are cached in the story's state (model-checks.json) when
// the book is a story; a folder that is not one keeps nothing (nothing becomes a story without the writer's
// word). Ctrl-C stops the pass; what was checked stays cached.
#pragma once

#include "cli/Args.h"
#include "engine/book/BookLayout.h"
#include "engine/continuity/Finding.h"
#include "support/Error.h"

#include <string>
#include <vector>

namespace recurrent::cli {

/// The options the model pass adds to a command: the backend's, --no-model, --yes, --confirm-above.
std::vector<OptionSpec> modelPassOptionSpecs();

struct ModelPassOutcome {
  bool ran = false;                        ///< a model was configured and asked
  std::vector<engine::Finding> findings;   ///< chapter indices and offsets as the chapters read from disk
  std::vector<std::string> notices;        ///< one line each, for stderr ("model check: 12 paragraphs ...")
};

/// Checks `chapters` (indices into layout.chapters()) of the book at `layout` with the configured model.
/// Errors: Config (a bad backend setting), Cancelled (not confirmed, or Ctrl-C), the model's own errors.
Result<ModelPassOutcome> runModelPass(const engine::BookLayout &layout, const std::vector<std::size_t> &chapters,
                                      const Args &args);

} // namespace recurrent::cli
