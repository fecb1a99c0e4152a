#include "ann/ann_configs.h"

#include <fmt/format.h>

#include "common/error.h"
#include "index/index_factory.h"

namespace qiss::bench {
namespace {

const std::vector<int> kEfSearch = {16, 24, 32, 48, 64, 128};
const std::vector<int> kNprobe = {8, 16, 32, 64};
const std::vector<float> kKFactor = {4.0f, 10.0f};

std::vector<SearchOptions> ef_runs() {
    std::vector<SearchOptions> runs;
    for (int ef : kEfSearch) runs.push_back({.ef_search = ef});
    return runs;
}

std::vector<SearchOptions> nprobe_runs(const std::vector<float>& k_factors) {
    std::vector<SearchOptions> runs;
    for (int nprobe : kNprobe)
        for (float kf : k_factors) runs.push_back({.nprobe = nprobe, .k_factor = kf});
    return runs;
}

}  // namespace

std::vector<AnnConfig> ann_configs(std::size_t n, int dim) {
    // The engine's choices: HNSW32 for mid-size collections, and for large ones
    // "IVF{nlist}_HNSW32,PQ{m}x8np" (re-ranked by the collection with the stored vectors), here
    // with this n's nlist; re-ranking is measured with FAISS's own refine step (",RFlat").
    const std::string hnsw = default_index_factory(kFlatMaxVectors, dim);
    const std::string large = default_index_factory(kHnswMaxVectors + 1, dim);
    QISS_CHECK(large.starts_with("IVF") && large.find(',') != std::string::npos,
               "unexpected default index factory '{}'", large);
    const std::string pq = large.substr(large.find(',') + 1);
    const std::string ivf = fmt::format("IVF{}", default_ivf_nlist(n));
    return {
        {"Flat", Knobs::kNone, {SearchOptions{}}},
        {hnsw, Knobs::kEfSearch, ef_runs()},
        {ivf + ",Flat", Knobs::kNprobe, nprobe_runs({1.0f})},
        {ivf + "_HNSW32," + pq, Knobs::kNprobe, nprobe_runs({1.0f})},
        {ivf + "," + pq + ",RFlat", Knobs::kNprobeKFactor, nprobe_runs(kKFactor)},
    };
}

nlohmann::json knobs_json(Knobs knobs, const SearchOptions& run) {
    nlohmann::json j = nlohmann::json::object();
    switch (knobs) {
        case Knobs::kNone:
            break;
        case Knobs::kEfSearch:
            j["efSearch"] = run.ef_search;
            break;
        case Knobs::kNprobe:
            j["nprobe"] = run.nprobe;
            break;
        case Knobs::kNprobeKFactor:
            j["nprobe"] = run.nprobe;
            j["k_factor"] = run.k_factor;
            break;
    }
    return j;
}

nlohmann::json config_json(const AnnConfig& config) {
    nlohmann::json runs = nlohmann::json::array();
    for (const SearchOptions& run : config.runs) runs.push_back(knobs_json(config.knobs, run));
    return {{"factory", config.factory}, {"runs", runs}};
}

}  // namespace qiss::bench
