#include "engine/memory/ExtractiveSummarizer.h"
#include "engine/memory/HashedEmbedder.h"
#include "engine/memory/TextFeatures.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace recurrent;
using namespace recurrent::engine;

namespace {
float dot(const Vector &a, const Vector &b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}
float norm(const Vector &a) { return std::sqrt(dot(a, a)); }
} // namespace

TEST_CASE("HashedEmbedder is deterministic, unit-length, and names its version and dimension") {
  HashedEmbedder e(256);
  CHECK(e.id() == "hashed-v1-256");
  CHECK(e.dimension() == 256);
  auto a = e.embedOne("Prince Andrew looked at the sky above Austerlitz.");
  auto b = HashedEmbedder(256).embedOne("Prince Andrew looked at the sky above Austerlitz.");
  REQUIRE(a.size() == 256);
  CHECK(a == b);
  CHECK(norm(a) == doctest::Approx(1.0f).epsilon(1e-4));
  CHECK(norm(e.embedOne("")) == 0.0f);
  auto batch = e.embed({"one", "two"}, {});
  REQUIRE(batch.ok());
  CHECK(batch->size() == 2);
}

TEST_CASE("HashedEmbedder puts related text closer than unrelated text") {
  HashedEmbedder e;
  auto query = e.embedOne("the battle of Austerlitz and the wounded prince");
  auto related = e.embedOne("At Austerlitz the prince fell wounded in battle, holding the standard.");
  auto unrelated = e.embedOne("Natasha sang at the ball while the guests drank champagne in Moscow.");
  CHECK(dot(query, related) > dot(query, unrelated) + 0.1f);
  // Inflections meet through character n-grams.
  CHECK(dot(e.embedOne("fighting soldiers"), e.embedOne("the soldiers fought")) >
        dot(e.embedOne("fighting soldiers"), e.embedOne("a quiet garden")));
}

TEST_CASE("HashedEmbedder handles CJK text without spaces") {
  HashedEmbedder e;
  auto query = e.embedOne("孙悟空大闹天宫");
  auto related = e.embedOne("那猴王孙悟空在天宫里大闹了一场，众神都拦他不住。");
  auto unrelated = e.embedOne("唐僧师徒来到一条大河边，河水滔滔，无船可渡。");
  CHECK(norm(query) == doctest::Approx(1.0f).epsilon(1e-4));
  CHECK(dot(query, related) > dot(query, unrelated) + 0.1f);
}

TEST_CASE("HashedEmbedder stops when cancelled") {
  HashedEmbedder e;
  CancelSource source;
  source.cancel();
  auto r = e.embed({"a"}, source.token());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::Cancelled);
}

TEST_CASE("words: scripts, apostrophes, CJK characters as words") {
  auto ws = text::words("Don't PANIC, Anna Pávlovna! 你好 Войны");
  REQUIRE(ws.size() == 7);
  CHECK(ws[0].text == "don't");
  CHECK(ws[1].text == "panic");
  CHECK(ws[2].capitalised);
  CHECK(ws[3].text == "pávlovna");
  CHECK(ws[4].cjk);
  CHECK(ws[4].text == "你");
  CHECK(ws[6].text == "войны");
  CHECK(text::isStopword("the"));
  CHECK(text::isStopword("it's"));
  CHECK_FALSE(text::isStopword("prince"));
}

TEST_CASE("sentences: ASCII and CJK terminators, closing quotes, abbreviations") {
  auto s = text::sentences("Mr. Darcy bowed. \"Is it you?\" she asked... 3.5 percent! 他来了。她走了！");
  REQUIRE(s.size() == 6);
  CHECK(s[0] == "Mr. Darcy bowed.");
  CHECK(s[1] == "\"Is it you?\"");
  CHECK(s[2] == "she asked...");
  CHECK(s[3] == "3.5 percent!");
  CHECK(s[4] == "他来了。");
  CHECK(s[5] == "她走了！");
}

TEST_CASE("ExtractiveSummarizer keeps one informative sentence, verbatim") {
  ExtractiveSummarizer summarizer;
  std::string paragraph =
      "It was late. Prince Andrew Bolkonsky rode across the field at Austerlitz toward the French guns, "
      "carrying the regimental standard. He fell.";
  auto summary = summarizer.summarizeOne(paragraph);
  CHECK(summary.find("Austerlitz") != std::string::npos);
  CHECK(paragraph.find(summary) != std::string::npos); // nothing invented
  CHECK(summarizer.summarizeOne("“Yes,” said he.") == "“Yes,” said he.");
  CHECK(summarizer.summarizeOne("") == "");

  auto cjk = summarizer.summarizeOne("天色已晚。孙悟空驾起筋斗云，一去十万八千里，来到花果山水帘洞。众猴欢喜。");
  CHECK(cjk == "孙悟空驾起筋斗云，一去十万八千里，来到花果山水帘洞。");

  // A long sentence is cut at a word boundary and the cut is marked.
  std::string longSentence;
  for (int i = 0; i < 100; ++i)
    longSentence += "word" + std::to_string(i) + " ";
  auto clipped = ExtractiveSummarizer({.maxWords = 10}).summarizeOne(longSentence);
  CHECK(clipped == "word0 word1 word2 word3 word4 word5 word6 word7 word8 word9…");

  auto batch = summarizer.summarize({{"One sentence here.", ""}, {"Another one there.", "Chapter 1"}}, "", {});
  REQUIRE(batch.ok());
  CHECK(*batch == std::vector<std::string>{"One sentence here.", "Another one there."});
  CHECK(summarizer.id() == "extractive-v1");
}
