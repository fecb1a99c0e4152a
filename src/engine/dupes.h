#pragma once
/// @file dupes.h
/// Near-duplicate images: the same picture resized, re-encoded, slightly cropped or colour
/// shifted (bursts, re-exports, the same emoji drawn twice). Two images are near-duplicates when
/// the cosine of their vectors is at least a threshold; a group is a connected component of that
/// relation (so a chain of small edits stays one group).

#include <cstdint>
#include <vector>

#include "engine/collection.h"

namespace qiss {

/// The default threshold of `qiss dupes`. Measured, not guessed:
/// docs/dupes.md gives the precision and recall of the grouping at this and other thresholds.
inline constexpr float kDefaultDupeThreshold = 0.97f;

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

}  // namespace qiss
