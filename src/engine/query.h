#pragma once
/// @file query.h
/// One search, as the CLI (`qiss search`) and the HTTP API run it: validation, embedding,
/// language detection and the index look-up. The answer is typed; its JSON forms belong to the
/// callers (server/answer_json.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "engine/fusion.h"
#include "engine/query_spec.h"
#include "text/language.h"

namespace qiss {

/// One term of a query as it ran: what it asked (without the pixels) and its weight.
struct TermAsRun {
    QueryTerm::Kind kind = QueryTerm::Kind::Text;
    std::string text;                          ///< Kind::Text
    std::optional<DetectedLanguage> language;  ///< Kind::Text: the language of `text`
    std::string image_name;                    ///< Kind::Image
    int image_width = 0, image_height = 0;     ///< Kind::Image
    std::uint64_t id = 0;                      ///< Kind::Id
    float weight = 1;
};

/// A query as it ran and its hits.
struct QueryResult {
    Query::Kind kind = Query::Kind::Text;
    /// What was searched for: the one term of a text, image or id query (weight 1), or the
    /// terms of a combined one, in the order given.
    std::vector<TermAsRun> terms;
    /// A text query whose words were searched on their own (engine/word_search.h): those
    /// words and their weight; Hit::word says which word gave a hit its score.
    std::vector<std::string> words;
    float word_weight = 0;
    int k = kDefaultK, offset = 0;
    std::vector<Hit> hits;          ///< best first
    std::optional<float> collapse;  ///< the query's collapse threshold, if it asked for one
    /// With collapse: per hit, the ids of the near-duplicates folded into it, best first.
    std::vector<std::vector<std::uint64_t>> similar;
    /// With a calibrated model: per hit, the probability that it is relevant (in [0, 1]);
    /// empty otherwise.
    std::vector<float> relevance;
    std::optional<float> min_relevance;  ///< the query's, if it gave one
    /// The `after` token of the next page when this page is full (k hits) and not collapsed,
    /// and, for the searches whose pages continue by rank, when the next page starts within
    /// QueryLimits::max_offset; empty otherwise (engine/cursor.h).
    std::string next;
    std::string after;  ///< the query's `after`, if it gave one
    Filter filter;      ///< the query's filter (empty: none)
    /// With a filter: how many images of the collection pass it.
    std::optional<std::size_t> filter_matches;
    SearchMode mode = SearchMode::Semantic;  ///< as it ran (the query's, or the default)
    /// Hybrid and keyword searches: per hit, where it ranked on each side; empty otherwise.
    std::vector<FusedRank> ranks;
    double took_ms = 0;
};

/// The calibration map (score -> log-likelihood ratio of relevance) of a query with a text
/// term (`text`) or of image terms only; nullopt for a model without calibration.
std::optional<PlattScaling> relevance_map(const Collection& collection, bool text);

/// Validates (validate_query) and runs a query. Throws qiss::Error for empty or over-long text,
/// invalid UTF-8, k or offset out of bounds, an unknown id, or terms whose weighted sum is zero
/// ("the terms cancel out"); the message says which. A combined query searches for the
/// normalised weighted sum of its terms' unit embeddings and excludes the ids it names. With
/// `collapse`, kCollapseFetch × (offset + k) nearest images are folded (collapse_hits) and the
/// page is taken from the folded list. With `after`, the page after that cursor
/// (Collection::search_after); an invalid cursor, or one of another query, throws. A text
/// query of two or more words with a word weight above 0 also searches its words
/// (engine/word_search.h). Hybrid, keyword and such worded searches continue their pages by
/// rank, up to QueryLimits::max_offset (a deeper cursor throws). With a
/// calibrated model each hit gets its relevance (the text calibration when a term is a text,
/// else the image one); `min_relevance` drops the hits below it and throws for a model without
/// calibration. With a filter, only the images it keeps (Collection::select) are searched; a
/// filter that keeps none throws qiss::Error (not_found). A text query runs in its mode
/// (default: hybrid when the collection has text, else semantic): hybrid and keyword searches
/// fuse or take the keyword side's results (engine/fusion.h); their pages continue by rank.
QueryResult run_query(const Collection& collection, const Query& query,
                      const QueryLimits& limits = {});

}  // namespace qiss
