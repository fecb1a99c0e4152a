// Collection::search (the nearest images of a vector, through the index) and select (the ids
// a filter keeps). A filtered search scans the kept images' vectors when they are few, else
// restricts the index's search to them (docs/api.md, "Filters"; bench/filter.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "engine/collection.h"
#include "index/simd_flat.h"

namespace qiss {

namespace {

/// The widest HNSW candidate list a filtered search asks for (a wider one costs more than it
/// finds); when the capped list still finds too few, the scan answers.
constexpr double kMaxFilteredEfSearch = 4096;

/// Within each run of equal scores, ascending ids: the order deep paging continues
/// (search_after), whatever order the index gave.
void order_ties_by_id(SearchResult& r) {
    for (std::size_t i = 0; i < r.ids.size();) {
        std::size_t j = i + 1;
        while (j < r.ids.size() && r.scores[j] == r.scores[i]) ++j;
        std::sort(r.ids.begin() + static_cast<long>(i), r.ids.begin() + static_cast<long>(j));
        i = j;
    }
}

}  // namespace

IdSet Collection::select(const Filter& filter) const {
    {
        // Selections run side by side while the table is up to date.
        std::shared_lock shared(table_mutex_);
        if (table_ && table_->synced_to() == store_->last_seq()) return table_->select(filter);
    }
    std::unique_lock lock(table_mutex_);
    if (!table_) table_ = std::make_unique<RecordTable>();
    table_->sync(*store_);
    return table_->select(filter);
}

std::vector<Hit> Collection::search(const float* query, int k, int offset,
                                    std::span<const std::uint64_t> exclude,
                                    const std::optional<SearchOptions>& given,
                                    const IdSet* allowed) const {
    return nearest(query, k, offset, exclude, given, allowed, true);
}

std::vector<Hit> Collection::search_ids(const float* query, int k, int offset,
                                        std::span<const std::uint64_t> exclude,
                                        const IdSet* allowed) const {
    return nearest(query, k, offset, exclude, std::nullopt, allowed, false);
}

std::vector<Hit> Collection::nearest(const float* query, int k, int offset,
                                     std::span<const std::uint64_t> exclude,
                                     const std::optional<SearchOptions>& given,
                                     const IdSet* allowed, bool records) const {
    QISS_ASSERT(k >= 1 && offset >= 0);
    const int want = k + offset + static_cast<int>(exclude.size());
    // A narrow filter: an exact scan of its images' vectors is cheaper and never misses.
    const auto scan = [&] {
        const Cursor first{std::numeric_limits<float>::infinity(), 0, 0};
        std::vector<Hit> hits = scan_after(query, k + offset, first, exclude, allowed);
        hits.erase(hits.begin(),
                   hits.begin() +
                       std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(hits.size())));
        return hits;
    };
    std::shared_lock lock(index_mutex_);
    if (allowed && (allowed->size() <= filter_scan_max_ || !index_->can_restrict())) {
        lock.unlock();
        return scan();
    }
    SearchOptions options = given ? *given : search_defaults_;
    // Compressed codes (IVF-PQ) only rank candidates: k·k_factor of them are re-scored with
    // the vectors the store holds (on disk, memory-mapped), so the index needs no full copy.
    const bool rerank = !index_->has_exact_scores();
    const int fetch =
        rerank ? static_cast<int>(std::ceil(want * std::max(1.0f, options.k_factor))) : want;
    if (allowed) {
        // HNSW walks past the vectors a filter rejects: widen its candidate list by the share
        // the filter keeps, so that about as many accepted ones are found as without a filter.
        const double share = static_cast<double>(allowed->size()) /
                             static_cast<double>(std::max<std::size_t>(1, index_->size()));
        const double wanted = std::max(options.ef_search, fetch) / std::max(share, 1e-3);
        options.ef_search = static_cast<int>(std::min(kMaxFilteredEfSearch, std::ceil(wanted)));
    }
    auto found = index_->search(query, 1, fetch, options, allowed);
    SearchResult& r = found.front();
    if (allowed && r.ids.size() < std::min<std::size_t>(fetch, allowed->size())) {
        lock.unlock();
        return scan();  // the restricted index missed some: the scan does not
    }
    if (rerank) r = rerank_with_store(query, r, want);
    order_ties_by_id(r);
    std::vector<Hit> hits;
    int skipped = 0;
    for (std::size_t i = 0; i < r.ids.size() && static_cast<int>(hits.size()) < k; ++i) {
        auto id = static_cast<std::uint64_t>(r.ids[i]);
        if (std::find(exclude.begin(), exclude.end(), id) != exclude.end()) continue;
        if (skipped < offset) {
            ++skipped;
            continue;
        }
        if (!records) {
            hits.push_back({id, r.scores[i], {}});
            continue;
        }
        auto rec = store_->get(id);
        if (!rec) continue;  // removed by another process since the index was loaded
        hits.push_back({id, r.scores[i], std::move(*rec)});
    }
    return hits;
}

SearchResult Collection::rerank_with_store(const float* query, const SearchResult& candidates,
                                           int keep) const {
    const std::size_t d = static_cast<std::size_t>(dim());
    std::vector<std::uint64_t> ids(candidates.ids.begin(), candidates.ids.end());
    std::vector<std::pair<float, std::int64_t>> scored;
    scored.reserve(ids.size());
    store_->for_vectors(ids, [&](std::uint64_t id, const float* v) {
        scored.emplace_back(simd_inner_product(query, v, d), static_cast<std::int64_t>(id));
    });
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (scored.size() > static_cast<std::size_t>(keep)) scored.resize(keep);
    SearchResult out;
    for (const auto& [score, id] : scored) {
        out.ids.push_back(id);
        out.scores.push_back(score);
    }
    return out;
}

}  // namespace qiss
