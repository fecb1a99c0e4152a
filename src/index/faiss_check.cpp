#include "index/faiss_check.h"

#include <cstring>

#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/VectorTransform.h>
#include <faiss/invlists/InvertedLists.h>

#include <fmt/format.h>

namespace qiss::faiss_ops {
namespace {

using idx_t = faiss::Index::idx_t;

/// FAISS reads its flags as raw bytes: a damaged file can hold a byte that is neither 0 nor 1,
/// which must not be loaded as a bool (undefined behaviour; fuzz finding 9). Whether `flag`'s
/// byte is a valid bool, read without loading it as one.
bool is_flag(const bool& flag) {
    static_assert(sizeof(bool) == 1);
    unsigned char byte = 0;
    std::memcpy(&byte, &flag, 1);
    return byte <= 1;
}

/// Whether every flag FAISS 1.7.3 reads from a file for this node is a valid bool.
bool flags_valid(const faiss::Index* index) {
    if (!is_flag(index->is_trained)) return false;
    if (const auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(index);
        pq && !is_flag(pq->by_residual))
        return false;
    if (const auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index);
        sq && !is_flag(sq->by_residual))
        return false;
    if (const auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        for (const faiss::VectorTransform* vt : pre->chain) {
            if (!vt || !is_flag(vt->is_trained)) return false;
            const auto* lt = dynamic_cast<const faiss::LinearTransform*>(vt);
            if (lt && (!is_flag(lt->have_bias) || !is_flag(lt->is_orthonormal))) return false;
        }
    }
    return true;
}

std::string check_hnsw(const faiss::IndexHNSW& index) {
    const faiss::HNSW& g = index.hnsw;
    const auto n = static_cast<std::size_t>(index.ntotal);
    if (!index.storage) return "an HNSW index without storage";
    if (index.storage->ntotal != index.ntotal) return "HNSW storage of another size";
    if (g.levels.size() != n || g.offsets.size() != n + 1 || g.offsets[0] != 0)
        return "HNSW levels or offsets of another size";
    if (g.cum_nneighbor_per_level.empty() || g.cum_nneighbor_per_level[0] != 0)
        return "HNSW neighbour counts per level";
    const int levels = static_cast<int>(g.cum_nneighbor_per_level.size()) - 1;
    if (g.max_level >= levels || (n > 0 && g.max_level < 0)) return "HNSW maximum level";
    for (std::size_t l = 0; l < static_cast<std::size_t>(levels); ++l)
        if (g.cum_nneighbor_per_level[l + 1] < g.cum_nneighbor_per_level[l])
            return "HNSW neighbour counts per level";
    for (std::size_t i = 0; i < n; ++i) {
        const int level = g.levels[i];
        if (level < 1 || level - 1 > g.max_level) return fmt::format("HNSW level of vector {}", i);
        const auto expected = static_cast<std::size_t>(g.cum_nneighbor_per_level[level]);
        if (g.offsets[i + 1] < g.offsets[i] || g.offsets[i + 1] - g.offsets[i] != expected)
            return fmt::format("HNSW neighbour list of vector {}", i);
    }
    if (g.offsets[n] != g.neighbors.size()) return "HNSW neighbour lists of another size";
    for (const auto v : g.neighbors)
        if (v < -1 || v >= index.ntotal) return fmt::format("HNSW link to vector {}", v);
    // A link at level l leads to a vector that has level l: FAISS's search goes on at that
    // level from the vector it reached, and reads its list there (fuzz finding 13).
    for (std::size_t i = 0; i < n; ++i)
        for (int l = 0; l < g.levels[i]; ++l) {
            const std::size_t begin = g.offsets[i] + g.cum_nneighbor_per_level[l];
            const std::size_t end = g.offsets[i] + g.cum_nneighbor_per_level[l + 1];
            for (std::size_t j = begin; j < end; ++j) {
                const auto v = g.neighbors[j];
                if (v >= 0 && g.levels[static_cast<std::size_t>(v)] <= l)
                    return fmt::format("HNSW link at level {} to vector {} of a lower level", l,
                                       v);
            }
        }
    if (n == 0 ? g.entry_point != -1
               : g.entry_point < 0 || g.entry_point >= index.ntotal ||
                     g.levels[static_cast<std::size_t>(g.entry_point)] - 1 != g.max_level)
        return "HNSW entry point";
    return find_inconsistency(index.storage);
}

std::string check_ivf(const faiss::IndexIVF& index) {
    if (!index.quantizer || !index.invlists) return "an IVF index without quantizer or lists";
    if (index.invlists->nlist != index.nlist ||
        (index.is_trained && index.quantizer->ntotal != static_cast<idx_t>(index.nlist)))
        return "IVF lists of another number";
    if (auto why = find_inconsistency(index.quantizer); !why.empty()) return why;
    std::size_t total = 0;
    for (std::size_t l = 0; l < index.nlist; ++l) total += index.invlists->list_size(l);
    if (total != static_cast<std::size_t>(index.ntotal)) return "IVF lists of another size";
    if (const auto* a = dynamic_cast<const faiss::ArrayInvertedLists*>(index.invlists)) {
        if (a->codes.size() != index.nlist || a->ids.size() != index.nlist)
            return "IVF lists of another number";
        for (std::size_t l = 0; l < index.nlist; ++l)
            if (a->codes[l].size() != a->ids[l].size() * a->code_size)
                return fmt::format("IVF list {} of another size", l);
    }
    return "";
}

}  // namespace

std::string find_inconsistency(const faiss::Index* index) {
    if (!index) return "a missing index";
    if (index->ntotal < 0 || index->d <= 0) return "a negative size or dimension";
    if (!flags_valid(index)) return "a flag that is neither 0 nor 1";
    // FAISS reads the metric as a raw int: a damaged file can hold a value of no enumerator,
    // which must not be loaded as a MetricType (undefined behaviour; fuzz finding 7).
    static_assert(sizeof(faiss::MetricType) == sizeof(int));
    int metric = 0;
    std::memcpy(&metric, &index->metric_type, sizeof metric);
    if (metric != faiss::METRIC_INNER_PRODUCT && metric != faiss::METRIC_L2)
        return "an unknown metric";
    if (const auto* map = dynamic_cast<const faiss::IndexIDMap*>(index)) {
        if (!map->index || map->index->ntotal != map->ntotal ||
            map->id_map.size() != static_cast<std::size_t>(map->ntotal))
            return "an id map of another size";
        return find_inconsistency(map->index);
    }
    if (const auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        if (!pre->index || pre->index->ntotal != pre->ntotal) return "a transform of another size";
        return find_inconsistency(pre->index);
    }
    if (const auto* refine = dynamic_cast<const faiss::IndexRefine*>(index)) {
        if (!refine->base_index || !refine->refine_index ||
            refine->base_index->ntotal != refine->ntotal ||
            refine->refine_index->ntotal != refine->ntotal)
            return "a refine index of another size";
        if (auto why = find_inconsistency(refine->base_index); !why.empty()) return why;
        return find_inconsistency(refine->refine_index);
    }
    if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index)) return check_hnsw(*hnsw);
    if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) return check_ivf(*ivf);
    if (const auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(index)) {
        if (flat->codes.size() != static_cast<std::size_t>(flat->ntotal) * flat->code_size)
            return "flat codes of another size";
    }
    return "";
}

}  // namespace qiss::faiss_ops
