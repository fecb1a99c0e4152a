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
#include "engine/query_spec.h"
#include "text/language.h"

namespace qiss {

/// A query as it ran (what it asked, without the pixels) and its hits.
struct QueryResult {
    Query::Kind kind = Query::Kind::Text;
    std::string text;                          ///< Kind::Text
    std::optional<DetectedLanguage> language;  ///< Kind::Text: the language of `text`
    std::string image_name;                    ///< Kind::Image
    int image_width = 0, image_height = 0;     ///< Kind::Image
    std::uint64_t id = 0;                      ///< Kind::Id
    int k = kDefaultK, offset = 0;
    std::vector<Hit> hits;          ///< best first
    std::optional<float> collapse;  ///< the query's collapse threshold, if it asked for one
    /// With collapse: per hit, the ids of the near-duplicates folded into it, best first.
    std::vector<std::vector<std::uint64_t>> similar;
    double took_ms = 0;
};

/// Validates (validate_query) and runs a query. Throws qiss::Error for empty or over-long text,
/// invalid UTF-8, k or offset out of bounds, or an unknown id (the message says which). With
/// `collapse`, kCollapseFetch × (offset + k) nearest images are folded (collapse_hits) and the
/// page is taken from the folded list.
QueryResult run_query(const Collection& collection, const Query& query,
                      const QueryLimits& limits = {});

}  // namespace qiss
