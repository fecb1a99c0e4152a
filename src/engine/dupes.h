#pragma once
/// @file dupes.h
/// Near-duplicate images: the same picture resized, re-encoded, slightly cropped or colour
/// shifted (bursts, re-exports, the same emoji drawn twice). Two images are near-duplicates when
/// the cosine of their vectors is at least a threshold; a group is a connected component of that
/// relation (so a chain of small edits stays one group).

#include <cstdint>
#include <vector>

#include "engine/collection.h"
#include "engine/query_spec.h"

namespace qiss {

struct DupeOptions {
    float threshold = kDefaultDupeThreshold;  ///< cosine; in (0, 1]
    /// Nearest neighbours examined per image (the group is their transitive closure, so a
    /// larger group is still found whole as long as each member has a near-duplicate among its
    /// `neighbours` nearest).
    int neighbours = 16;
};

/// Every group of at least two near-duplicate images of the collection: each group's ids in
/// ascending order, groups by decreasing size, then by their first id. Throws qiss::Error for
/// options out of range.
std::vector<std::vector<std::uint64_t>> find_duplicate_groups(const Collection& collection,
                                                              const DupeOptions& options = {});

/// How many nearest images a collapsed search examines per result it returns.
inline constexpr int kCollapseFetch = 4;

/// Hits (best first) folded into near-duplicate groups: each hit whose cosine with an earlier
/// kept hit is at least `threshold` is listed under the first such hit instead of being kept.
/// Returns at most `keep` kept hits and, per kept hit, the ids folded into it (best first).
/// Hits whose vector is no longer stored are dropped.
struct Collapsed {
    std::vector<Hit> hits;
    std::vector<std::vector<std::uint64_t>> similar;
};
Collapsed collapse_hits(const Collection& collection, std::vector<Hit> hits, float threshold,
                        std::size_t keep);

}  // namespace qiss
