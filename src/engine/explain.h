#pragma once
/// @file explain.h
/// Why a stored image answers a text query: its score and calibrated relevance, the score of
/// each word that the search also searched on its own, how much each word of the query
/// contributes (the cosine lost when the word is left out of the query), and which words of the
/// query its caption holds. `GET /api/images/{id}/explain`, `qiss explain`,
/// and the page's detail view show it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "text/language.h"

namespace qiss {

/// The most words of a query explained; later words are listed without an influence.
inline constexpr std::size_t kMaxExplainedWords = 32;

/// One word of the query.
struct WordInfluence {
    std::string word;
    /// The image's cosine with the whole query minus its cosine with the query without this
    /// word: positive when the word draws the query towards the image. Unset beyond
    /// kMaxExplainedWords, and for a query of one word (leaving it out leaves nothing).
    std::optional<float> influence;
    /// Whether the image's caption holds this word (compared without case).
    bool in_caption = false;
};

/// A word that the search also searched on its own (engine/word_search.h).
struct SearchedWord {
    std::string word;
    float score = 0;  ///< word_weight x the cosine of the word and the image
};

struct Explanation {
    std::uint64_t id = 0;
    std::string text;
    DetectedLanguage language;
    /// The image's score as a search gives it: query_score, or the best of `searched`'s when
    /// one is higher (then `scored_by` names its word).
    float score = 0;
    float query_score = 0;           ///< cosine of the whole query and the image
    std::optional<float> relevance;  ///< with a calibrated model, of `score`
    /// The words searched on their own, in the order of the query, and their weight (none and
    /// 0 when the query's words are not: engine/word_search.h).
    std::vector<SearchedWord> searched;
    float word_weight = 0;
    std::optional<std::string> scored_by;
    /// In the order of the query; each word's influence on query_score.
    std::vector<WordInfluence> words;
    std::string caption;  ///< the image's, if it has one
    /// The words of the query that match the image's indexed words (caption, tags, file name)
    /// as written or by their stem, lower-cased: what the keyword side of a hybrid search
    /// matched (Collection::keyword_matches).
    std::vector<std::string> keyword_matches;
};

/// The words of a text as explain_text() weighs them: runs of letters, digits and marks between
/// spaces and punctuation; in scripts written without spaces (Han, Hiragana, Katakana, Thai, …)
/// each character is a word.
std::vector<std::string> query_words(const std::string& text);

/// Explains why image `id` answers the text query. Throws qiss::Error for a text that a search
/// refuses (validate_query's checks) and not_found for an unknown id.
Explanation explain_text(const Collection& collection, const std::string& text, std::uint64_t id,
                         const QueryLimits& limits = {});

}  // namespace qiss
