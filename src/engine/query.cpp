#include "engine/query.h"

#include <chrono>

#include "common/error.h"

namespace qiss {

nlohmann::json to_json(const DetectedLanguage& l) {
    return {{"code", l.code}, {"name", l.name}, {"reliable", l.reliable}};
}

QueryResult run_query(const Collection& c, const Query& q, const QueryLimits& limits) {
    const auto t0 = std::chrono::steady_clock::now();
    validate_query(q, limits);
    QueryResult r;
    std::vector<float> vec;
    std::optional<std::uint64_t> exclude;
    switch (q.kind) {
        case Query::Kind::Text: {
            r.query = {
                {"type", "text"}, {"text", q.text}, {"language", to_json(detect_language(q.text))}};
            vec = c.embed_text(q.text);
            break;
        }
        case Query::Kind::Image:
            r.query = {{"type", "image"},
                       {"image", q.image_name},
                       {"width", q.image.cols},
                       {"height", q.image.rows}};
            vec = c.embed_image(q.image);
            break;
        case Query::Kind::Id: {
            auto v = c.vector_of(q.id);
            QISS_CHECK(v.has_value(), "no image with id {}", q.id);
            r.query = {{"type", "id"}, {"id", q.id}};
            vec = std::move(*v);
            exclude = q.id;
            break;
        }
    }
    r.query["k"] = q.k;
    r.query["offset"] = q.offset;
    r.hits = c.search(vec.data(), q.k, q.offset, exclude);
    r.took_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

nlohmann::json to_json(const QueryResult& r) {
    nlohmann::json results = nlohmann::json::array();
    for (const auto& h : r.hits) {
        nlohmann::json j = {{"id", h.id},
                            {"score", h.score},
                            {"source", h.record.source},
                            {"width", h.record.width},
                            {"height", h.record.height}};
        if (!h.record.caption.empty()) j["caption"] = h.record.caption;
        results.push_back(std::move(j));
    }
    return {{"query", r.query}, {"results", results}};
}

}  // namespace qiss
