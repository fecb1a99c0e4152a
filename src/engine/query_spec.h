#pragma once
/// @file query_spec.h
/// What a search asks (a text, an image, a stored id, or a weighted combination of them; k,
/// offset) and the limits it is checked against
/// before it runs (engine/query.h runs it). Kept apart from the model and the collection so that
/// request parsing can use it alone.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/filter.h"

namespace qiss {

/// Results when a query names no k: the default of the CLI's `-k` and of the API's `k`.
inline constexpr int kDefaultK = 20;

/// The cosine at or above which two images are near-duplicates, by default: `qiss dupes` and
/// collapsed searches (engine/dupes.h). Measured, not guessed: docs/dupes.md gives the
/// precision and recall of the grouping at this and other thresholds.
inline constexpr float kDefaultDupeThreshold = 0.97f;

/// Bounds on what a query may ask; each has a safe default.
struct QueryLimits {
    int max_k = 1000;
    int max_offset = 10000;
    std::size_t max_text_bytes = 2000;
    int max_terms = 8;  ///< terms of a combined query (Query::Kind::Terms)
};

/// The largest weight (in absolute value) a term of a combined query may have.
inline constexpr float kMaxTermWeight = 100;

/// One term of a combined query ("beach" + this photo − "people"): a text, an image or a
/// stored id, with a weight that may be negative (away from it).
struct QueryTerm {
    enum class Kind { Text, Image, Id };
    Kind kind = Kind::Text;
    std::string text;        ///< Kind::Text
    cv::Mat image;           ///< Kind::Image, RGB
    std::string image_name;  ///< Kind::Image, how the image is named in the answer
    std::uint64_t id = 0;    ///< Kind::Id (excluded from the results)
    float weight = 1;
};

/// How a text query is matched (docs/api.md, "Hybrid search"): by meaning (the model's
/// embedding), by words (the keyword index of captions, tags and file names), or both, fused by
/// reciprocal rank.
enum class SearchMode { Hybrid, Semantic, Keyword };

/// "hybrid", "semantic", "keyword".
const char* search_mode_name(SearchMode mode);
/// The mode of a name; throws qiss::Error for another name.
SearchMode parse_search_mode(const std::string& name);

/// Where a page of results ended. Results come best first, equal scores by ascending id; the
/// page after a cursor holds the results strictly after (score, id). `rank` counts the results
/// up to and including that one.
struct Cursor {
    float score = 0;
    std::uint64_t id = 0;
    std::int64_t rank = 0;
};

struct Query {
    /// Terms: the weighted sum of the terms' unit embeddings, normalised, is searched for.
    enum class Kind { Text, Image, Id, Terms };
    Kind kind = Kind::Text;
    std::string text;        ///< Kind::Text
    cv::Mat image;           ///< Kind::Image, RGB
    std::string image_name;  ///< Kind::Image, how the image is named in the answer
    std::uint64_t id = 0;    ///< Kind::Id: images similar to this stored one (itself excluded)
    std::vector<QueryTerm> terms;  ///< Kind::Terms
    int k = kDefaultK;
    int offset = 0;
    /// The page after this cursor token (the `next` of the previous page of the same query;
    /// engine/cursor.h) instead of `offset`. Empty: from the first result (or `offset`).
    std::string after;
    /// Fold near-duplicates into one result: a hit whose cosine with a better hit of the answer
    /// is at least this is listed under that hit ("+N similar") instead of taking a place
    /// (engine/dupes.h). Unset: every hit is a result.
    std::optional<float> collapse;
    /// Leave out the results whose calibrated relevance (model/calibration.h) is below this, in
    /// [0, 1]; needs a calibrated model. Unset: every result.
    std::optional<float> min_relevance;
    /// Only images that pass this filter (engine/filter.h); empty: every image.
    Filter filter;
    /// How a text query is matched. Unset: hybrid when the collection has text (captions,
    /// tags or file names), else semantic. Hybrid and keyword need a Kind::Text query.
    std::optional<SearchMode> mode;
};

/// The terms a query combines: its `terms` for Kind::Terms, else its one text, image or id with
/// weight 1.
std::vector<QueryTerm> terms_of(const Query& query);

/// Checks a query against the limits before it runs. Throws qiss::Error for empty or over-long
/// text, invalid UTF-8, an empty image, k or offset out of bounds, a collapse threshold outside
/// (0, 1], a collapsed search beyond result max_k, no or too many terms, a weight that is not
/// finite or beyond ±kMaxTermWeight, weights that are all zero, or `after` with an offset or a
/// collapsed search, a min_relevance outside [0, 1], or a filter over its limits or whose bounds
/// exclude everything (check_filter), or a hybrid or keyword mode for a query that is not one
/// text (the message says which).
void validate_query(const Query& query, const QueryLimits& limits = {});

}  // namespace qiss
