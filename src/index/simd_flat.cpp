#include "index/simd_flat.h"

#include <cstdint>
#include <memory>
#include <typeinfo>
#include <utility>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace qiss {
namespace {

using Kernel = float (*)(const float*, const float*, std::size_t);

/// Eight independent partial sums: the compiler turns the inner loop into vector multiplies and
/// adds without reordering a single float sum (no -ffast-math needed).
float inner_product_portable(const float* a, const float* b, std::size_t d) {
    float acc[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= d; i += 8)
        for (std::size_t j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < d; ++i) sum += a[i] * b[i];
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float inner_product_avx2(const float* a, const float* b,
                                                             std::size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= d; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_hadd_ps(h, h);
    h = _mm_hadd_ps(h, h);
    float sum = _mm_cvtss_f32(h);
    for (; i < d; ++i) sum += a[i] * b[i];
    return sum;
}
#endif

Kernel pick_kernel() {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return inner_product_avx2;
#endif
    return inner_product_portable;
}

Kernel kernel() {
    static const Kernel chosen = pick_kernel();
    return chosen;
}

struct SimdIPDistance : faiss::FlatCodesDistanceComputer {
    explicit SimdIPDistance(const SimdFlatIP& storage)
        : faiss::FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
          d(static_cast<std::size_t>(storage.d)),
          ip(kernel()) {}

    void set_query(const float* x) override { query = x; }
    float distance_to_code(const std::uint8_t* code) override {
        return ip(query, reinterpret_cast<const float*>(code), d);
    }
    float symmetric_dis(idx_t i, idx_t j) override {
        const auto* xb = reinterpret_cast<const float*>(codes);
        return ip(xb + i * d, xb + j * d, d);
    }

    std::size_t d;
    const float* query = nullptr;
    Kernel ip;
};

bool is_plain_flat_ip(const faiss::Index* index) {
    return index && index->metric_type == faiss::METRIC_INNER_PRODUCT &&
           (typeid(*index) == typeid(faiss::IndexFlat) ||
            typeid(*index) == typeid(faiss::IndexFlatIP));
}

/// Swaps the index at `slot` for a SimdFlatIP with the same vectors when `owned` allows it.
void replace(faiss::Index*& slot, bool owned) {
    if (!owned || !is_plain_flat_ip(slot)) return;
    std::unique_ptr<faiss::Index> old(slot);
    auto& flat = static_cast<faiss::IndexFlat&>(*old);
    auto fresh = std::make_unique<SimdFlatIP>(flat.d);
    fresh->codes = std::move(flat.codes);
    fresh->ntotal = flat.ntotal;
    fresh->is_trained = flat.is_trained;
    slot = fresh.release();
}

}  // namespace

const char* simd_kernel_name() {
#if defined(__x86_64__)
    if (kernel() == inner_product_avx2) return "avx2+fma";
#endif
    return "portable";
}

float simd_inner_product(const float* a, const float* b, std::size_t d) {
    return kernel()(a, b, d);
}

void SimdFlatIP::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const faiss::SearchParameters* params) const {
    if (n >= faiss::distance_compute_blas_threshold)
        return faiss::IndexFlatIP::search(n, x, k, distances, labels, params);
    FAISS_THROW_IF_NOT(k > 0);
    const faiss::IDSelector* sel = params ? params->sel : nullptr;
    const Kernel ip = kernel();
    const auto dim = static_cast<std::size_t>(d);
    const float* xb = get_xb();
    for (idx_t q = 0; q < n; ++q) {
        float* dist = distances + q * k;
        idx_t* ids = labels + q * k;
        faiss::minheap_heapify(k, dist, ids);
        const float* query = x + q * d;
        for (idx_t i = 0; i < ntotal; ++i) {
            if (sel && !sel->is_member(i)) continue;
            const float v = ip(query, xb + i * dim, dim);
            if (v > dist[0]) faiss::minheap_replace_top(k, dist, ids, v, i);
        }
        faiss::minheap_reorder(k, dist, ids);
    }
}

faiss::FlatCodesDistanceComputer* SimdFlatIP::get_FlatCodesDistanceComputer() const {
    return new SimdIPDistance(*this);  // FAISS's interface: the caller owns it
}

void use_simd_flat(faiss::Index* index) {
    if (auto* map = dynamic_cast<faiss::IndexIDMap*>(index)) {
        replace(map->index, map->own_fields);
        return use_simd_flat(map->index);
    }
    if (auto* pt = dynamic_cast<faiss::IndexPreTransform*>(index)) {
        replace(pt->index, pt->own_fields);
        return use_simd_flat(pt->index);
    }
    if (auto* rf = dynamic_cast<faiss::IndexRefine*>(index)) {
        replace(rf->base_index, rf->own_fields);
        replace(rf->refine_index, rf->own_refine_index);
        return use_simd_flat(rf->base_index);
    }
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index))
        return replace(hnsw->storage, hnsw->own_fields);
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index)) {
        replace(ivf->quantizer, ivf->own_fields);
        use_simd_flat(ivf->quantizer);
    }
}

}  // namespace qiss
