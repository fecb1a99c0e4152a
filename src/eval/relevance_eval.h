#pragma once
/// @file relevance_eval.h
/// How well the relevance calibration holds on a gallery: for a few `min_relevance` cuts, the
/// share of the returned results (top 10) that are right and the share of queries whose target
/// is still returned (issue 13, "Relevance that means the same across queries").

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "model/calibration.h"

namespace qiss {

/// The cuts reported: 0.1, 0.25, 0.5, 0.75, 0.9.
const std::vector<double>& relevance_cuts();

/// Figures of one cut over a set of queries (top 10 results each).
struct CutStats {
    double min_relevance = 0;
    double precision = 0;  ///< returned results at or above the cut that are relevant (0 if none)
    double survival = 0;   ///< queries with a relevant result in the top 10 at or above the cut
    double shown = 0;      ///< results per query at or above the cut (0..10)
    std::size_t queries = 0, returned = 0;
};

/// One CutStats per relevance_cuts() entry, the relevance taken for a collection of the
/// gallery's size (collection_prior). Labels as in relevant_ranks().
std::vector<CutStats> cut_stats(const PlattScaling& calibration, const torch::Tensor& queries,
                                const std::vector<int64_t>& query_labels,
                                const torch::Tensor& gallery,
                                const std::vector<int64_t>& gallery_labels);

/// Pools the figures of several query sets (precision over all returned results, survival and
/// shown over all queries).
std::vector<CutStats> pool_cut_stats(const std::vector<std::vector<CutStats>>& parts);

struct RelevanceReport {
    std::map<std::string, std::vector<CutStats>> text;  ///< per locale
    std::vector<CutStats> text_all;                     ///< every locale's queries pooled
    std::vector<CutStats> image;                        ///< image->image queries
    nlohmann::json to_json() const;
};

}  // namespace qiss
