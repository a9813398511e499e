// The offline model's prose: a word-level trigram model learnt from the manuscript itself.
//
// It learns sentences from the story's own paragraphs and writes new ones by walking
// trigrams, backing off to bigrams now and then so it does not only recite. Each
// sentence of a paragraph is the best of a few dozen candidates, scored for the
// plan's words (steering), for sharing a word with the previous sentence (a thread
// of sense), against verbatim copies of the story and against repeating recent
// sentences, and for sane length and balanced quotes. It is a stand-in that keeps
// the story's voice and names, not a writer.
//
// Thread-safety: learn() mutates; paragraph() is const and may run concurrently
// with other const calls. OfflineChatModel serialises learning.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace recurrent::engine::offline {

class MarkovProse {
public:
  MarkovProse();

  /// Learns the sentences of one prose paragraph.
  void learn(std::string_view paragraph);
  std::size_t sentencesLearnt() const { return sentences_; }

  struct Steering {
    std::vector<std::string> boost;   ///< lower-case words to favour (the plan's, the names it mentions)
    std::vector<std::string> avoid;   ///< sentences not to repeat (the latest paragraphs')
  };
  /// A paragraph of `sentences` sentences; empty when nothing has been learnt.
  std::string paragraph(const Steering &steering, int sentences, std::mt19937_64 &rng) const;

private:
  using Id = std::uint32_t;
  static constexpr Id kBegin = 0, kEnd = 1;
  struct Next {
    Id id;
    std::uint32_t count;
  };
  Id intern(const std::string &word);
  static void bump(std::vector<Next> &list, Id id);
  std::vector<Id> sentence(const std::unordered_set<Id> &boost, std::mt19937_64 &rng) const;
  static std::uint64_t hashIds(const std::vector<Id> &ids);

  std::unordered_map<std::string, Id> ids_;
  std::vector<std::string> words_;
  std::vector<std::string> lowerWords_;
  std::unordered_map<std::uint64_t, std::vector<Next>> trigrams_;
  std::unordered_map<Id, std::vector<Next>> bigrams_;
  std::unordered_set<std::uint64_t> learntSentences_;
  std::size_t sentences_ = 0;
};

} // namespace recurrent::engine::offline
