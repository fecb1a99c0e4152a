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
#include "text/language.h"

namespace qiss {

/// Bounds on what a query may ask; each has a safe default.
struct QueryLimits {
    int max_k = 1000;
    int max_offset = 10000;
    std::size_t max_text_bytes = 2000;
};

struct Query {
    enum class Kind { Text, Image, Id };
    Kind kind = Kind::Text;
    std::string text;        ///< Kind::Text
    cv::Mat image;           ///< Kind::Image, RGB
    std::string image_name;  ///< Kind::Image, how the image is named in the answer
    std::uint64_t id = 0;    ///< Kind::Id: images similar to this stored one (itself excluded)
    int k = 20;
    int offset = 0;
};

struct QueryResult {
    nlohmann::json query;  ///< {"type":…, "text"/"image"/"id":…, "language":{…}, "k":…, "offset":…}
    std::vector<Hit> hits;
    double took_ms = 0;
};

/// Validates and runs a query. Throws qiss::Error for empty or over-long text, invalid UTF-8,
/// k or offset out of bounds, or an unknown id (the message says which).
QueryResult run_query(const Collection& collection, const Query& query,
                      const QueryLimits& limits = {});

/// The documented answer: {"query":{…}, "results":[{"id","score","source","width","height",
/// "caption"?}…]}.
nlohmann::json to_json(const QueryResult& result);

/// {"code","name","reliable"} of a detected language.
nlohmann::json to_json(const DetectedLanguage& language);

}  // namespace qiss
