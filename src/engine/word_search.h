#pragma once
/// @file word_search.h
/// The words of a text query as queries of their own (docs/api.md, "The words of a query"): a
/// text of two or more words also searches for each of its words, and an image's score is the
/// best of its cosine with the query and word_weight x its cosine with each word. A sentence
/// the model reads poorly as a whole ("a cat that sleeps on the sofa") still finds what one of
/// its words names, while an image that matches the whole query keeps its place: the weight
/// (below 1) keeps one word from outscoring a query that matches well. ModelConfig::word_weight
/// sets it per model (0 = off); CollectionOptions::word_weight overrides it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/collection.h"

namespace qiss {

/// The most words of one query searched on their own (its first distinct words).
inline constexpr std::size_t kMaxQueryWords = 16;

/// What a semantic search looks for: the query's unit embedding and, for a text query whose
/// words are searched on their own, the words, their unit embeddings and their weight.
struct SemanticQuery {
    std::vector<float> query;
    std::vector<std::string> words;
    std::vector<std::vector<float>> word_vectors;  ///< parallel to `words`
    float word_weight = 0;

    bool worded() const { return !words.empty(); }
    /// The score of an image whose vector is `v` (query.size() floats): the best of its cosine
    /// with the query and word_weight x its cosine with each word; in `word` the index of the
    /// word that gave it, -1 for the query.
    float score(const float* v, int& word) const;
};

/// The words that a text query searches on their own with weight `word_weight`: none when the
/// weight is 0 or the text has fewer than two words (words_of, a run of a script written
/// without spaces being one word); else its distinct words, the first kMaxQueryWords.
std::vector<std::string> searched_words(const std::string& text, float word_weight);

/// The semantic query of a text with the collection's word weight: the embeddings of the text
/// and of its searched words, in one batch.
SemanticQuery semantic_query(const Collection& collection, const std::string& text);

/// The best images for `q` by SemanticQuery::score, best first (equal scores by ascending id),
/// from result `start` on, at most `count` of them; leaves out the ids in `exclude` and, with
/// `allowed`, every id not in it. A query without words is Collection::search. A worded one
/// takes the nearest start + count images of the query and of each word and scores each with
/// its stored vector: as exact as the index, since an image among the best n is among the
/// nearest n of the vector that gives its score. With `exact` below start + count, the words
/// are searched to that depth only: the first `exact` results are still the exact ranking's,
/// the later ones the best of fewer candidates (hybrid search's semantic side, whose tail only
/// lends reciprocal-rank weight). Without `records`, the hits' records are left empty (an
/// image removed meanwhile may be among them: read its record before showing it).
std::vector<Hit> semantic_search(const Collection& collection, const SemanticQuery& q, int start,
                                 int count, std::span<const std::uint64_t> exclude = {},
                                 const IdSet* allowed = nullptr, bool records = true,
                                 int exact = -1);

}  // namespace qiss
