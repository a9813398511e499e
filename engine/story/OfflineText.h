// Text analysis for the offline model: tokens, sentences, names, keywords, extracts.
//
// The offline stand-in has no model, so everything it "understands" comes from
// these heuristics: a tokenizer that keeps case and punctuation (so prose can be
// reassembled), a sentence splitter, the story's names (capitalised words seen
// mid-sentence), keywords (frequent content words), and extractive summaries.
// Works for any script; CJK characters are tokens of their own. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace recurrent::engine::offline {

enum class TokenKind { Word, Punct, Cjk };
struct Token {
  std::string text;
  TokenKind kind = TokenKind::Word;
};

std::vector<Token> tokenize(std::string_view text);
/// Reassembles tokens with English-style spacing (none before , . ! ? ; : and closing
/// quotes, none after opening quotes; none at all between CJK tokens).
std::string detokenize(const std::vector<std::string> &tokens);

/// True for a token that ends a sentence (. ! ? … 。！？).
bool endsSentence(std::string_view token);

/// Sentences of `text`, trimmed, closing quotes kept with their sentence.
std::vector<std::string> splitSentences(std::string_view text);

/// The prose paragraphs of a Markdown manuscript: headings, scene breaks, HTML comments,
/// fenced code and front matter left out.
std::vector<std::string> proseParagraphs(std::string_view manuscript);

std::string lowerAscii(std::string_view s);
/// English function words and a few very common verbs.
bool isStopword(std::string_view lowerWord);

/// Lower-cased content words of `text` (no stopwords, at least 3 letters; CJK characters kept).
std::vector<std::string> contentWords(std::string_view text);

/// Names: capitalised words seen at least once mid-sentence, most frequent first.
std::vector<std::string> names(std::string_view text, std::size_t max);
/// Frequent content words that are not names, most frequent first.
std::vector<std::string> keywords(std::string_view text, std::size_t max);

/// The most informative sentence of `paragraph` (names and content words, early sentences
/// preferred), cut to about `maxWords` words.
std::string extractiveSummary(std::string_view paragraph, std::size_t maxWords = 32);

/// Words in `text`, counting each CJK character as one.
std::size_t countWords(std::string_view text);

} // namespace recurrent::engine::offline
