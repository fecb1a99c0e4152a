#include "index/faiss_ops.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/IDSelector.h>

namespace qiss::faiss_ops {
namespace {

constexpr int kDefaultEfConstruction = 80;

}  // namespace

std::string message(const faiss::FaissException& e) {
    const std::string& msg = e.msg;
    const auto at = msg.find(" at ");
    const auto colon = at == std::string::npos ? at : msg.find(": ", at);
    return colon == std::string::npos ? msg : msg.substr(colon + 2);
}

const faiss::Index* unwrap(const faiss::Index* index) {
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) return unwrap(pt->index);
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index)) return unwrap(rf->base_index);
    return index;
}

faiss::Index* unwrap(faiss::Index* index) {
    return const_cast<faiss::Index*>(unwrap(static_cast<const faiss::Index*>(index)));
}

bool supports_selector(const faiss::Index* index) {
    const faiss::Index* base = unwrap(index);
    return dynamic_cast<const faiss::IndexFlat*>(base) ||
           dynamic_cast<const faiss::IndexHNSW*>(base) ||
           dynamic_cast<const faiss::IndexIVF*>(base);
}

std::size_t min_training(const faiss::Index* index) {
    if (index->is_trained) return 0;
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index))
        return std::max<std::size_t>(1, min_training(pt->index));
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index))
        return std::max(min_training(rf->base_index), min_training(rf->refine_index));
    if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index))
        return hnsw->storage ? min_training(hnsw->storage) : 1;
    if (auto* ivfpq = dynamic_cast<const faiss::IndexIVFPQ*>(index))
        return std::max<std::size_t>(ivfpq->nlist, ivfpq->pq.ksub);
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index))
        return std::max<std::size_t>(1, ivf->nlist);
    if (auto* pq = dynamic_cast<const faiss::IndexPQ*>(index)) return pq->pq.ksub;
    return 1;
}

void set_defaults(faiss::Index* index) {
    if (auto* hnsw = hnsw_of(index)) hnsw->hnsw.efConstruction = kDefaultEfConstruction;
    store_search_options(index, SearchOptions{});
}

void store_search_options(faiss::Index* index, const SearchOptions& options) {
    if (auto* pt = dynamic_cast<faiss::IndexPreTransform*>(index))
        return store_search_options(pt->index, options);
    if (auto* rf = dynamic_cast<faiss::IndexRefine*>(index)) {
        rf->k_factor = std::max(1.0f, options.k_factor);
        return store_search_options(rf->base_index, options);
    }
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index))
        hnsw->hnsw.efSearch = std::max(1, options.ef_search);
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index)) {
        ivf->nprobe = std::clamp<std::size_t>(std::max(options.nprobe, 1), 1, ivf->nlist);
        if (auto* q = dynamic_cast<faiss::IndexHNSW*>(ivf->quantizer))
            q->hnsw.efSearch = std::max(q->hnsw.efSearch, 2 * static_cast<int>(ivf->nprobe));
    }
}

bool has_exact_scores(const faiss::Index* index) {
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index))
        return has_exact_scores(rf->refine_index);
    if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index))
        return hnsw->storage && has_exact_scores(hnsw->storage);
    return dynamic_cast<const faiss::IndexFlat*>(index) ||
           dynamic_cast<const faiss::IndexIVFFlat*>(index);
}

faiss::IndexHNSW* hnsw_of(faiss::Index* index) {
    return dynamic_cast<faiss::IndexHNSW*>(unwrap(index));
}

faiss::IndexHNSW* hnsw_quantizer_of(faiss::Index* index) {
    auto* ivf = dynamic_cast<faiss::IndexIVF*>(unwrap(index));
    return ivf ? dynamic_cast<faiss::IndexHNSW*>(ivf->quantizer) : nullptr;
}

void search(const faiss::Index* index, idx_t n, const float* x, idx_t k, float* distances,
            idx_t* labels, const SearchOptions& opt, const faiss::IDSelector* sel) {
    if (auto* rf = dynamic_cast<const faiss::IndexRefine*>(index)) {
        const float factor = std::max(1.0f, opt.k_factor);
        const idx_t kb = std::min<idx_t>(
            std::max<idx_t>(k, static_cast<idx_t>(std::ceil(k * factor))), rf->base_index->ntotal);
        std::vector<float> base_d(n * kb);
        std::vector<idx_t> base_l(n * kb);
        search(rf->base_index, n, x, kb, base_d.data(), base_l.data(), opt, sel);
        std::unique_ptr<faiss::DistanceComputer> dc(rf->refine_index->get_distance_computer());
        std::vector<std::pair<float, idx_t>> cand;
        for (idx_t q = 0; q < n; ++q) {
            dc->set_query(x + q * index->d);
            cand.clear();
            for (idx_t j = 0; j < kb; ++j) {
                const idx_t label = base_l[q * kb + j];
                if (label >= 0) cand.emplace_back((*dc)(label), label);
            }
            const auto keep = std::min<std::size_t>(k, cand.size());
            std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(),
                              [](const auto& a, const auto& b) { return a.first > b.first; });
            for (idx_t j = 0; j < k; ++j) {
                const bool has = static_cast<std::size_t>(j) < keep;
                distances[q * k + j] = has ? cand[j].first : 0.0f;
                labels[q * k + j] = has ? cand[j].second : -1;
            }
        }
        return;
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        const float* xt = pt->apply_chain(n, x);
        std::unique_ptr<const float[]> owned(xt != x ? xt : nullptr);
        return search(pt->index, n, xt, k, distances, labels, opt, sel);
    }
    if (dynamic_cast<const faiss::IndexHNSW*>(index)) {
        // FAISS 1.7.3 sizes the candidate list from the stored efSearch and only stops by the
        // per-call one: VectorIndex makes both equal before calling (see search()).
        faiss::SearchParametersHNSW params;
        params.efSearch = std::max<int>(opt.ef_search, static_cast<int>(k));
        params.sel = const_cast<faiss::IDSelector*>(sel);
        return index->search(n, x, k, distances, labels, &params);
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        faiss::SearchParametersIVF params;
        params.nprobe = std::clamp<std::size_t>(std::max(opt.nprobe, 1), 1, ivf->nlist);
        params.sel = const_cast<faiss::IDSelector*>(sel);
        return index->search(n, x, k, distances, labels, &params);
    }
    if (dynamic_cast<const faiss::IndexFlat*>(index)) {
        faiss::SearchParameters params;
        params.sel = const_cast<faiss::IDSelector*>(sel);
        return index->search(n, x, k, distances, labels, &params);
    }
    index->search(n, x, k, distances, labels);
}

}  // namespace qiss::faiss_ops
