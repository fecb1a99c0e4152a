#include "engine/query.h"

#include <chrono>

#include "common/error.h"

namespace qiss {

QueryResult run_query(const Collection& c, const Query& q, const QueryLimits& limits) {
    const auto t0 = std::chrono::steady_clock::now();
    validate_query(q, limits);
    QueryResult r;
    r.kind = q.kind;
    r.k = q.k;
    r.offset = q.offset;
    std::vector<float> vec;
    std::optional<std::uint64_t> exclude;
    switch (q.kind) {
        case Query::Kind::Text:
            r.text = q.text;
            r.language = detect_language(q.text);
            vec = c.embed_text(q.text);
            break;
        case Query::Kind::Image:
            r.image_name = q.image_name;
            r.image_width = q.image.cols;
            r.image_height = q.image.rows;
            vec = c.embed_image(q.image);
            break;
        case Query::Kind::Id: {
            auto v = c.vector_of(q.id);
            QISS_CHECK(v.has_value(), "no image with id {}", q.id);
            r.id = q.id;
            vec = std::move(*v);
            exclude = q.id;
            break;
        }
    }
    r.hits = c.search(vec.data(), q.k, q.offset, exclude);
    r.took_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace qiss
