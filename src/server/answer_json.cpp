#include "server/answer_json.h"

#include <cmath>

namespace qiss {

std::string shown_source(const ImageRecord& r, PathDisplay display) {
    return display == PathDisplay::Absolute ? r.source : relative_source(r);
}

nlohmann::json to_json(const DetectedLanguage& l) {
    return {{"code", l.code}, {"name", l.name}, {"reliable", l.reliable}};
}

namespace {

/// {"type", "text"/"image"/"id", "language"?, "width"?, "height"?} of one term.
nlohmann::json term_json(const TermAsRun& t) {
    switch (t.kind) {
        case QueryTerm::Kind::Text: {
            nlohmann::json j = {{"type", "text"}, {"text", t.text}};
            if (t.language) j["language"] = to_json(*t.language);
            return j;
        }
        case QueryTerm::Kind::Image:
            return {{"type", "image"},
                    {"image", t.image_name},
                    {"width", t.image_width},
                    {"height", t.image_height}};
        case QueryTerm::Kind::Id:
            return {{"type", "id"}, {"id", t.id}};
    }
    return {};
}

/// A float setting as it was written (0.85, not 0.8500000238418579).
double shown_weight(float w) {
    return std::round(static_cast<double>(w) * 1e6) / 1e6;
}

}  // namespace

nlohmann::json to_json(const QueryResult& r, PathDisplay display) {
    nlohmann::json query;
    if (r.kind != Query::Kind::Terms && r.terms.size() == 1) {
        query = term_json(r.terms.front());
    } else {
        nlohmann::json terms = nlohmann::json::array();
        for (const TermAsRun& t : r.terms) {
            nlohmann::json j = term_json(t);
            j["weight"] = t.weight;
            terms.push_back(std::move(j));
        }
        query = {{"type", "terms"}, {"terms", std::move(terms)}};
    }
    query["k"] = r.k;
    query["offset"] = r.offset;
    if (!r.after.empty()) query["after"] = r.after;
    if (r.collapse) query["collapse"] = *r.collapse;
    if (r.min_relevance) query["min_relevance"] = *r.min_relevance;
    if (!r.filter.empty()) query["filter"] = filter_to_json(r.filter);
    query["mode"] = search_mode_name(r.mode);
    if (!r.words.empty()) {
        query["words"] = r.words;
        query["word_weight"] = shown_weight(r.word_weight);
    }
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < r.hits.size(); ++i) {
        const Hit& h = r.hits[i];
        nlohmann::json j = {{"id", h.id},
                            {"score", h.score},
                            {"source", shown_source(h.record, display)},
                            {"width", h.record.width},
                            {"height", h.record.height}};
        if (i < r.relevance.size()) j["relevance"] = r.relevance[i];
        // The word of the query whose weighted cosine is the score.
        if (h.word >= 0 && static_cast<std::size_t>(h.word) < r.words.size())
            j["word"] = r.words[static_cast<std::size_t>(h.word)];
        if (i < r.ranks.size()) {
            // Where the result ranked on each side of a hybrid or keyword search (null: not
            // found there).
            const auto rank = [](int v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(); };
            j["ranks"] = {{"semantic", rank(r.ranks[i].semantic)},
                          {"keyword", rank(r.ranks[i].keyword)}};
        }
        if (!h.record.caption.empty()) j["caption"] = h.record.caption;
        if (r.collapse)
            j["similar"] = i < r.similar.size() ? r.similar[i] : std::vector<std::uint64_t>{};
        results.push_back(std::move(j));
    }
    nlohmann::json answer = {{"query", std::move(query)}, {"results", std::move(results)}};
    if (r.filter_matches) answer["filter_matches"] = *r.filter_matches;
    if (!r.next.empty()) answer["next"] = r.next;
    return answer;
}

nlohmann::json to_json(const Explanation& e) {
    nlohmann::json words = nlohmann::json::array();
    for (const WordInfluence& w : e.words) {
        nlohmann::json j = {{"word", w.word}, {"in_caption", w.in_caption}};
        if (w.influence) j["influence"] = *w.influence;
        words.push_back(std::move(j));
    }
    nlohmann::json j = {{"id", e.id},
                        {"query", {{"text", e.text}, {"language", to_json(e.language)}}},
                        {"score", e.score},
                        {"query_score", e.query_score},
                        {"words", std::move(words)}};
    if (e.relevance) j["relevance"] = *e.relevance;
    if (!e.searched.empty()) {
        nlohmann::json searched = nlohmann::json::array();
        for (const SearchedWord& w : e.searched)
            searched.push_back({{"word", w.word}, {"score", w.score}});
        j["searched_words"] = std::move(searched);
        j["word_weight"] = shown_weight(e.word_weight);
    }
    if (e.scored_by) j["scored_by"] = *e.scored_by;
    if (!e.caption.empty()) j["caption"] = e.caption;
    j["keyword_matches"] = e.keyword_matches;
    return j;
}

}  // namespace qiss
