// The embedder interface: text in, unit-length vectors out.
//
// Implementations: HashedEmbedder (built in, deterministic, no network) and
// OpenAiEmbedder (`/v1/embeddings`, batched). Every vector is tagged with the
// embedder's id(): a change of embedder makes stored vectors stale and the
// index is rebuilt.
//
// Thread-safety: embed() may be called from several threads at once.
#pragma once

#include "support/Cancellation.h"
#include "support/Error.h"

#include <string>
#include <vector>

namespace recurrent::engine {

using Vector = std::vector<float>;

class Embedder {
public:
  virtual ~Embedder() = default;
  /// One normalised vector per text, in order.
  virtual Result<std::vector<Vector>> embed(const std::vector<std::string> &texts,
                                            const CancelToken &cancel) = 0;
  virtual int dimension() const = 0;
  /// Identifies the embedder and its parameters, e.g. "hashed-v1-512" or "openai:text-embedding-3-small".
  virtual std::string id() const = 0;
  /// How much its ranking counts beside the BM25 word ranking when the memory is
  /// searched (LongTermMemory::search); 1 is as much. A model's vectors carry meaning
  /// that words miss; vectors made of word statistics carry less than BM25 does.
  virtual float searchWeight() const { return 1.0f; }
};

} // namespace recurrent::engine
