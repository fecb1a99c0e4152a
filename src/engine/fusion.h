#pragma once
/// @file fusion.h
/// Hybrid search: the semantic side (the index's nearest images) and the keyword side (the
/// keyword index's best matches) fused by reciprocal rank (docs/api.md, "Hybrid search").

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "engine/word_search.h"

namespace qiss {

/// Reciprocal rank fusion's constant (Cormack, Clarke and Büttcher, SIGIR 2009): a result at
/// rank r of a list earns 1 / (kRrfK + r).
inline constexpr int kRrfK = 60;

/// Each side contributes at least this many results to a fusion (more when the page is deeper).
inline constexpr int kFusionDepth = 100;

/// Where a result ranked on each side (1 = first; 0 = not among that side's results).
struct FusedRank {
    int semantic = 0;
    int keyword = 0;
};

/// One fused result.
struct FusedId {
    std::uint64_t id = 0;
    double score = 0;  ///< Σ 1 / (kRrfK + rank) over the sides that found it
    FusedRank rank;
};

/// The union of two ranked lists of ids (best first, without repeats), by descending fused
/// score; equal scores by the better semantic rank (found there first), then ascending id.
std::vector<FusedId> fuse_ranks(std::span<const std::uint64_t> semantic,
                                std::span<const std::uint64_t> keyword);

/// The first `count` results of a hybrid or keyword search for `text` (its semantic query
/// `query`, its language `language` as a BCP 47 code) from result `start` on, among `allowed`
/// when given; per result its ranks on each side in `ranks`. The semantic side is
/// semantic_search(), and every hit's score is its SemanticQuery::score, as in a semantic
/// search. A keyword search lists only the keyword side's results, in its order.
std::vector<Hit> fused_search(const Collection& collection, SearchMode mode,
                              const std::string& text, const std::string& language,
                              const SemanticQuery& query, int start, int count,
                              const IdSet* allowed, std::vector<FusedRank>& ranks);

}  // namespace qiss
