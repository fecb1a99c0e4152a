#include "engine/dupes.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "common/error.h"
#include "index/simd_flat.h"

namespace qiss {
namespace {

/// Union-find over dense indices, with path halving and union by size.
class DisjointSets {
  public:
    explicit DisjointSets(std::size_t n) : parent_(n), size_(n, 1) {
        std::iota(parent_.begin(), parent_.end(), 0);
    }
    std::size_t find(std::size_t x) {
        while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
        return x;
    }
    void unite(std::size_t a, std::size_t b) {
        a = find(a);
        b = find(b);
        if (a == b) return;
        if (size_[a] < size_[b]) std::swap(a, b);
        parent_[b] = a;
        size_[a] += size_[b];
    }

  private:
    std::vector<std::size_t> parent_, size_;
};

void check_threshold(float threshold) {
    QISS_CHECK(threshold > 0 && threshold <= 1,
               "invalid near-duplicate threshold {}: expected a cosine in (0, 1]", threshold);
}

}  // namespace

std::vector<std::vector<std::uint64_t>> find_duplicate_groups(const Collection& collection,
                                                              const DupeOptions& options) {
    check_threshold(options.threshold);
    QISS_CHECK(options.neighbours >= 1 && options.neighbours <= 1000,
               "invalid neighbours {}: expected 1 to 1000", options.neighbours);
    std::vector<std::uint64_t> ids;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> edges;
    collection.store().for_each_vector([&](std::uint64_t id, const float* v) {
        ids.push_back(id);
        for (const Hit& h : collection.search(v, options.neighbours, 0, {&id, 1})) {
            if (h.score < options.threshold) break;  // best first
            edges.emplace_back(id, h.id);
        }
    });
    std::unordered_map<std::uint64_t, std::size_t> index;
    index.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) index.emplace(ids[i], i);
    DisjointSets sets(ids.size());
    for (const auto& [a, b] : edges) {
        const auto ib = index.find(b);
        if (ib != index.end()) sets.unite(index.at(a), ib->second);  // b may be newer than the walk
    }
    std::unordered_map<std::size_t, std::vector<std::uint64_t>> by_root;
    for (std::size_t i = 0; i < ids.size(); ++i) by_root[sets.find(i)].push_back(ids[i]);
    std::vector<std::vector<std::uint64_t>> groups;
    for (auto& [root, members] : by_root) {
        if (members.size() < 2) continue;
        std::sort(members.begin(), members.end());
        groups.push_back(std::move(members));
    }
    std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
        return a.size() != b.size() ? a.size() > b.size() : a.front() < b.front();
    });
    return groups;
}

Collapsed collapse_hits(const Collection& collection, std::vector<Hit> hits, float threshold,
                        std::size_t keep) {
    check_threshold(threshold);
    const auto d = static_cast<std::size_t>(collection.dim());
    Collapsed out;
    std::vector<std::vector<float>> kept;  // the vectors of out.hits
    std::vector<std::uint64_t> ids;
    ids.reserve(hits.size());
    for (const Hit& h : hits) ids.push_back(h.id);
    // One read snapshot for all candidates; the callback comes in the hits' order, skipping
    // images removed since the search.
    std::size_t next = 0;
    collection.store().for_vectors(ids, [&](std::uint64_t id, const float* v) {
        while (hits[next].id != id) ++next;
        Hit& h = hits[next++];
        const auto into = std::find_if(kept.begin(), kept.end(), [&](const auto& u) {
            return simd_inner_product(u.data(), v, d) >= threshold;
        });
        if (into != kept.end()) {
            out.similar[static_cast<std::size_t>(into - kept.begin())].push_back(h.id);
        } else if (out.hits.size() < keep) {
            out.hits.push_back(std::move(h));
            out.similar.emplace_back();
            kept.emplace_back(v, v + d);
        }
    });
    return out;
}

}  // namespace qiss
