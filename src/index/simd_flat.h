#pragma once
/// @file simd_flat.h
/// Exact inner products with the CPU's vector instructions for the flat (uncompressed) parts of
/// FAISS indexes. Debian's FAISS 1.7.3 is built for baseline x86-64 and computes them one float
/// at a time (`fvec_inner_product_ref`), which bounds HNSW search and build (docs/index.md,
/// "Distance kernels"). The files on disk are unchanged: FAISS reads and writes these indexes as
/// plain `IndexFlatIP`.

#include <cstddef>

#include <faiss/IndexFlat.h>

namespace qiss {

/// Inner product of two `d`-float vectors: AVX2+FMA when the CPU has them, else a portable loop
/// the compiler vectorises for the baseline instruction set.
float simd_inner_product(const float* a, const float* b, std::size_t d);
/// The kernel simd_inner_product uses on this CPU: "avx2+fma" or "portable".
const char* simd_kernel_name();

/// An `IndexFlatIP` whose distance computer (used by HNSW search and build, and by qiss's
/// re-ranking) and small-batch search (fewer than 20 queries; larger batches go through BLAS as
/// in FAISS) use simd_inner_product. Same fields, same results up to float rounding.
struct SimdFlatIP : faiss::IndexFlatIP {
    explicit SimdFlatIP(idx_t d) : faiss::IndexFlatIP(d) {}

    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const faiss::SearchParameters* params = nullptr) const override;

    faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

/// Replaces, in place, every inner-product `IndexFlat` that `index` owns (at the top, below an
/// IndexIDMap2, as HNSW storage, as an IVF coarse quantizer or its HNSW storage, as a refine
/// index) by a SimdFlatIP holding the same vectors. `index` itself and parts it does not own
/// are left as they are.
void use_simd_flat(faiss::Index* index);

}  // namespace qiss
