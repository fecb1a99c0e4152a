// Deep paging: Collection::search_after, the page of results after a cursor. Shallow pages
// come from the index (its nearest rank + k, those after the cursor); deeper ones from an exact
// scan of every stored vector with the cursor as a ceiling, whose cost does not depend on how
// deep the page is (docs/api.md, "Deep paging"; bench/paging.cpp).
#include <algorithm>

#include "common/error.h"
#include "engine/collection.h"
#include "index/simd_flat.h"

namespace qiss {
namespace {

/// Whether (score, id) comes strictly after the cursor in search()'s order.
bool is_after(float score, std::uint64_t id, const Cursor& c) {
    return score < c.score || (score == c.score && id > c.id);
}

/// search()'s order: higher score first, equal scores by ascending id.
bool comes_before(const std::pair<float, std::uint64_t>& a,
                  const std::pair<float, std::uint64_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
}

bool excluded(std::uint64_t id, std::span<const std::uint64_t> exclude) {
    return std::find(exclude.begin(), exclude.end(), id) != exclude.end();
}

}  // namespace

std::vector<Hit> Collection::search_after(const float* query, int k, const Cursor& after,
                                          std::span<const std::uint64_t> exclude,
                                          const IdSet* allowed) const {
    QISS_ASSERT(k >= 1 && after.rank >= 0);
    // Half as deep again, and twice the page: an approximate index (HNSW) asked for more
    // neighbours finds some it missed before, which rank above the cursor and are dropped; the
    // deeper the cursor, the more of them (measured: bench/paging.cpp).
    const std::int64_t depth =
        after.rank + after.rank / 2 + 2 * k + static_cast<std::int64_t>(exclude.size());
    if (depth <= cursor_index_depth_) {
        const int want = static_cast<int>(depth);
        std::vector<Hit> hits = search(query, want, 0, exclude, std::nullopt, allowed);
        const bool exhausted = static_cast<int>(hits.size()) < want;  // nothing more to find
        std::erase_if(hits, [&](const Hit& h) { return !is_after(h.score, h.id, after); });
        // Ties or an approximate index can still leave fewer than k after the cursor among
        // the nearest `depth`: then the scan decides.
        if (static_cast<int>(hits.size()) >= k || exhausted) {
            if (static_cast<int>(hits.size()) > k) hits.resize(static_cast<std::size_t>(k));
            return hits;
        }
    }
    return scan_after(query, k, after, exclude, allowed);
}

std::vector<Hit> Collection::scan_after(const float* query, int k, const Cursor& after,
                                        std::span<const std::uint64_t> exclude,
                                        const IdSet* allowed) const {
    const std::size_t d = static_cast<std::size_t>(dim());
    // The k best after the cursor: a heap whose front is the worst kept.
    std::vector<std::pair<float, std::uint64_t>> best;
    best.reserve(static_cast<std::size_t>(k) + 1);
    // One snapshot of the store; no lock of the index, so writers go on meanwhile.
    const auto consider = [&](std::uint64_t id, const float* v) {
        const float score = simd_inner_product(query, v, d);
        if (!is_after(score, id, after) || excluded(id, exclude)) return;
        const std::pair<float, std::uint64_t> hit{score, id};
        if (best.size() == static_cast<std::size_t>(k)) {
            if (!comes_before(hit, best.front())) return;
            std::pop_heap(best.begin(), best.end(), comes_before);
            best.back() = hit;
        } else {
            best.push_back(hit);
        }
        std::push_heap(best.begin(), best.end(), comes_before);
    };
    if (allowed) {
        store_->for_vectors(allowed->ids(), consider);
    } else {
        store_->for_each_vector(consider);
    }
    std::sort_heap(best.begin(), best.end(), comes_before);
    std::vector<Hit> hits;
    for (const auto& [score, id] : best) {
        auto rec = store_->get(id);
        if (!rec) continue;  // removed by another process meanwhile
        hits.push_back({id, score, std::move(*rec)});
    }
    return hits;
}

}  // namespace qiss
