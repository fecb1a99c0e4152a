#pragma once
/// @file query_spec.h
/// What a search asks (text, image or stored id; k, offset) and the limits it is checked against
/// before it runs (engine/query.h runs it). Kept apart from the model and the collection so that
/// request parsing can use it alone.

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace qiss {

/// Results when a query names no k: the default of the CLI's `-k` and of the API's `k`.
inline constexpr int kDefaultK = 20;

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
    int k = kDefaultK;
    int offset = 0;
};

/// Checks a query against the limits before it runs. Throws qiss::Error for empty or over-long
/// text, invalid UTF-8, an empty image, k or offset out of bounds (the message says which).
void validate_query(const Query& query, const QueryLimits& limits = {});

}  // namespace qiss
