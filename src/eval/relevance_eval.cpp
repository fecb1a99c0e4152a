#include "eval/relevance_eval.h"

#include "common/error.h"

namespace qiss {

const std::vector<double>& relevance_cuts() {
    static const std::vector<double> cuts = {0.1, 0.25, 0.5, 0.75, 0.9};
    return cuts;
}

std::vector<CutStats> cut_stats(const PlattScaling& cal, const torch::Tensor& queries,
                                const std::vector<int64_t>& query_labels,
                                const torch::Tensor& gallery,
                                const std::vector<int64_t>& gallery_labels) {
    QISS_ASSERT(queries.size(0) == static_cast<int64_t>(query_labels.size()));
    torch::NoGradGuard no_grad;
    const auto& cuts = relevance_cuts();
    std::vector<CutStats> out(cuts.size());
    std::vector<double> min_score;
    for (std::size_t c = 0; c < cuts.size(); ++c) {
        out[c].min_relevance = cuts[c];
        min_score.push_back(cal.score_for(cuts[c], collection_prior(gallery_labels.size())));
    }
    std::vector<std::size_t> right(cuts.size(), 0), survived(cuts.size(), 0);
    const int64_t k = std::min<int64_t>(10, gallery.size(0));
    for (int64_t s = 0; s < queries.size(0); s += 1024) {
        const int64_t e = std::min(queries.size(0), s + 1024);
        auto [best, idx] = queries.slice(0, s, e).matmul(gallery.t()).topk(k, 1);
        auto b = best.accessor<float, 2>();
        auto ix = idx.accessor<int64_t, 2>();
        for (int64_t q = 0; q < b.size(0); ++q) {
            const int64_t label = query_labels[static_cast<std::size_t>(s + q)];
            for (std::size_t c = 0; c < cuts.size(); ++c) {
                bool hit = false;
                for (int64_t j = 0; j < k && b[q][j] >= min_score[c]; ++j) {
                    const bool rel = gallery_labels[static_cast<std::size_t>(ix[q][j])] == label;
                    ++out[c].returned;
                    right[c] += rel;
                    hit = hit || rel;
                }
                survived[c] += hit;
            }
        }
    }
    for (std::size_t c = 0; c < cuts.size(); ++c) {
        CutStats& o = out[c];
        o.queries = query_labels.size();
        o.precision =
            o.returned ? static_cast<double>(right[c]) / static_cast<double>(o.returned) : 0;
        const double n = static_cast<double>(std::max<std::size_t>(1, o.queries));
        o.survival = static_cast<double>(survived[c]) / n;
        o.shown = static_cast<double>(o.returned) / n;
    }
    return out;
}

std::vector<CutStats> pool_cut_stats(const std::vector<std::vector<CutStats>>& parts) {
    std::vector<CutStats> out(relevance_cuts().size());
    std::vector<double> right(out.size(), 0), survived(out.size(), 0);
    for (std::size_t c = 0; c < out.size(); ++c) out[c].min_relevance = relevance_cuts()[c];
    for (const auto& p : parts)
        for (std::size_t c = 0; c < out.size(); ++c) {
            out[c].queries += p[c].queries;
            out[c].returned += p[c].returned;
            right[c] += p[c].precision * static_cast<double>(p[c].returned);
            survived[c] += p[c].survival * static_cast<double>(p[c].queries);
        }
    for (std::size_t c = 0; c < out.size(); ++c) {
        CutStats& o = out[c];
        const double n = static_cast<double>(std::max<std::size_t>(1, o.queries));
        o.precision = o.returned ? right[c] / static_cast<double>(o.returned) : 0;
        o.survival = survived[c] / n;
        o.shown = static_cast<double>(o.returned) / n;
    }
    return out;
}

namespace {
nlohmann::json cuts_json(const std::vector<CutStats>& cuts) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : cuts)
        a.push_back({{"min_relevance", c.min_relevance},
                     {"precision", c.precision},
                     {"survival", c.survival},
                     {"shown", c.shown}});
    return a;
}
}  // namespace

nlohmann::json RelevanceReport::to_json() const {
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [loc, cuts] : text) per[loc] = cuts_json(cuts);
    return {{"text", per}, {"text_all", cuts_json(text_all)}, {"image", cuts_json(image)}};
}

}  // namespace qiss
