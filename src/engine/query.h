#pragma once
/// @file query.h
/// One search, as the CLI (`qiss search`) and the HTTP API run it: validation, embedding,
/// language detection, the index look-up and the documented JSON answer.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "engine/collection.h"
#include "engine/query_spec.h"
#include "text/language.h"

namespace qiss {

struct QueryResult {
    nlohmann::json query;  ///< {"type":…, "text"/"image"/"id":…, "language":{…}, "k":…, "offset":…}
    std::vector<Hit> hits;
    double took_ms = 0;
};

/// Validates (validate_query) and runs a query. Throws qiss::Error for empty or over-long text,
/// invalid UTF-8, k or offset out of bounds, or an unknown id (the message says which).
QueryResult run_query(const Collection& collection, const Query& query,
                      const QueryLimits& limits = {});

/// The documented answer: {"query":{…}, "results":[{"id","score","source","width","height",
/// "caption"?}…]}.
nlohmann::json to_json(const QueryResult& result);

/// {"code","name","reliable"} of a detected language.
nlohmann::json to_json(const DetectedLanguage& language);

}  // namespace qiss
