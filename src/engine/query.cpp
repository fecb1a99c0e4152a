#include "engine/query.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "common/error.h"
#include "engine/dupes.h"

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
    if (!q.collapse) {
        r.hits = c.search(vec.data(), q.k, q.offset, exclude);
    } else {
        // Fold the nearest kCollapseFetch·(offset + k), then take the page from the folded list,
        // so that paging walks one order of collapsed results.
        r.collapse = q.collapse;
        const int want = q.offset + q.k;
        Collapsed folded = collapse_hits(c, c.search(vec.data(), kCollapseFetch * want, 0, exclude),
                                         *q.collapse, static_cast<std::size_t>(want));
        const auto skip = std::min(folded.hits.size(), static_cast<std::size_t>(q.offset));
        r.hits.assign(std::make_move_iterator(folded.hits.begin() + static_cast<long>(skip)),
                      std::make_move_iterator(folded.hits.end()));
        r.similar.assign(std::make_move_iterator(folded.similar.begin() + static_cast<long>(skip)),
                         std::make_move_iterator(folded.similar.end()));
    }
    r.took_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace qiss
