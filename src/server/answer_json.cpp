#include "server/answer_json.h"

#include <filesystem>

namespace qiss {

std::string shown_source(const ImageRecord& r, PathDisplay display) {
    namespace fs = std::filesystem;
    const fs::path source(r.source);
    if (display == PathDisplay::Absolute || !source.is_absolute()) return r.source;
    if (!r.root.empty()) {
        const fs::path relative = source.lexically_relative(r.root);
        if (!relative.empty() && *relative.begin() != "..") return relative.string();
    }
    return source.filename().string();
}

nlohmann::json to_json(const DetectedLanguage& l) {
    return {{"code", l.code}, {"name", l.name}, {"reliable", l.reliable}};
}

nlohmann::json to_json(const QueryResult& r, PathDisplay display) {
    nlohmann::json query;
    switch (r.kind) {
        case Query::Kind::Text:
            query = {{"type", "text"}, {"text", r.text}};
            if (r.language) query["language"] = to_json(*r.language);
            break;
        case Query::Kind::Image:
            query = {{"type", "image"},
                     {"image", r.image_name},
                     {"width", r.image_width},
                     {"height", r.image_height}};
            break;
        case Query::Kind::Id:
            query = {{"type", "id"}, {"id", r.id}};
            break;
    }
    query["k"] = r.k;
    query["offset"] = r.offset;
    if (r.collapse) query["collapse"] = *r.collapse;
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < r.hits.size(); ++i) {
        const Hit& h = r.hits[i];
        nlohmann::json j = {{"id", h.id},
                            {"score", h.score},
                            {"source", shown_source(h.record, display)},
                            {"width", h.record.width},
                            {"height", h.record.height}};
        if (!h.record.caption.empty()) j["caption"] = h.record.caption;
        if (r.collapse)
            j["similar"] = i < r.similar.size() ? r.similar[i] : std::vector<std::uint64_t>{};
        results.push_back(std::move(j));
    }
    return {{"query", std::move(query)}, {"results", std::move(results)}};
}

}  // namespace qiss
