#include "engine/fusion.h"

#include <algorithm>
#include <unordered_map>

namespace qiss {

std::vector<FusedId> fuse_ranks(std::span<const std::uint64_t> semantic,
                                std::span<const std::uint64_t> keyword) {
    std::vector<FusedId> fused;
    std::unordered_map<std::uint64_t, std::size_t> at;
    const auto add = [&](std::span<const std::uint64_t> list, int FusedRank::*side) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto [it, fresh] = at.try_emplace(list[i], fused.size());
            if (fresh) fused.push_back({list[i], 0, {}});
            FusedId& f = fused[it->second];
            const int rank = static_cast<int>(i) + 1;
            f.rank.*side = rank;
            f.score += 1.0 / (kRrfK + rank);
        }
    };
    add(semantic, &FusedRank::semantic);
    add(keyword, &FusedRank::keyword);
    const auto semantic_order = [](const FusedId& f) {
        return f.rank.semantic > 0 ? f.rank.semantic : INT32_MAX;
    };
    std::sort(fused.begin(), fused.end(), [&](const FusedId& a, const FusedId& b) {
        if (a.score != b.score) return a.score > b.score;
        if (semantic_order(a) != semantic_order(b)) return semantic_order(a) < semantic_order(b);
        return a.id < b.id;
    });
    return fused;
}

std::vector<Hit> fused_search(const Collection& c, SearchMode mode, const std::string& text,
                              const std::string& language, const SemanticQuery& query, int start,
                              int count, const IdSet* allowed, std::vector<FusedRank>& ranks) {
    const int depth = std::max(kFusionDepth, 2 * (start + count));
    std::vector<Hit> semantic;
    std::vector<std::uint64_t> semantic_ids;
    if (mode == SearchMode::Hybrid) {
        // Exact where the page is taken; the tail only lends reciprocal-rank weight.
        semantic =
            semantic_search(c, query, 0, depth, {}, allowed, false, 2 * (start + count));
        for (const Hit& h : semantic) semantic_ids.push_back(h.id);
    }
    std::vector<std::uint64_t> keyword_ids;
    for (const KeywordHit& k :
         c.keyword_search(text, language, static_cast<std::size_t>(depth), allowed))
        keyword_ids.push_back(k.id);
    const std::vector<FusedId> fused = fuse_ranks(semantic_ids, keyword_ids);

    std::vector<Hit> hits;
    ranks.clear();
    const auto d = query.query.size();
    for (std::size_t i = static_cast<std::size_t>(start);
         i < fused.size() && hits.size() < static_cast<std::size_t>(count); ++i) {
        const FusedId& f = fused[i];
        Hit hit;
        if (f.rank.semantic > 0) {
            hit = semantic[static_cast<std::size_t>(f.rank.semantic - 1)];
        } else {
            // Found by its words only: its score from its stored vector.
            auto vector = c.vector_of(f.id);
            if (!vector || vector->size() != d) continue;  // removed meanwhile
            hit.id = f.id;
            hit.score = query.score(vector->data(), hit.word);
        }
        // The records of the page only (the semantic side reads none).
        auto record = c.store().get(f.id);
        if (!record) continue;  // removed meanwhile
        hit.record = std::move(*record);
        hits.push_back(std::move(hit));
        ranks.push_back(f.rank);
    }
    return hits;
}

}  // namespace qiss
