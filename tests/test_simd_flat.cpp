// SIMD inner products for the flat parts of FAISS indexes (src/index/simd_flat.h): the kernel
// against a double-precision sum, the flat search and the HNSW graph walk against FAISS's own
// code on the same vectors, and which parts use_simd_flat swaps.
#include <gtest/gtest.h>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <typeinfo>
#include <vector>

#include "index/simd_flat.h"

namespace {

using idx_t = faiss::Index::idx_t;

std::vector<float> random_vectors(std::size_t n, int d, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    std::vector<float> x(n * d);
    for (std::size_t i = 0; i < n; ++i) {
        float norm = 0;
        for (int j = 0; j < d; ++j) norm += (x[i * d + j] = normal(rng)) * x[i * d + j];
        for (int j = 0; j < d; ++j) x[i * d + j] /= std::sqrt(norm);
    }
    return x;
}

/// A copy of `index` through FAISS's own file format (what a load does).
std::unique_ptr<faiss::Index> copy_of(const faiss::Index& index) {
    faiss::VectorIOWriter writer;
    faiss::write_index(&index, &writer);
    faiss::VectorIOReader reader;
    reader.data = writer.data;
    return std::unique_ptr<faiss::Index>(faiss::read_index(&reader));
}

TEST(SimdFlat, InnerProductMatchesDoublePrecisionSum) {
    for (int d : {1, 3, 7, 8, 9, 31, 32, 33, 37, 64, 256, 1001}) {
        const auto a = random_vectors(1, d, 1 + d), b = random_vectors(1, d, 2 + d);
        double exact = 0;
        for (int i = 0; i < d; ++i) exact += static_cast<double>(a[i]) * b[i];
        EXPECT_NEAR(qiss::simd_inner_product(a.data(), b.data(), d), exact, 1e-5) << "d=" << d;
    }
}

TEST(SimdFlat, SearchMatchesFaissFlatWithAndWithoutSelector) {
    constexpr int d = 37;  // not a multiple of 8: the tail loop counts
    constexpr std::size_t n = 3000;
    const auto xb = random_vectors(n, d, 7);
    faiss::IndexFlatIP plain(d);
    qiss::SimdFlatIP simd(d);
    plain.add(n, xb.data());
    simd.add(n, xb.data());
    faiss::IDSelectorRange odd_half(n / 2, n);
    faiss::SearchParameters params;
    params.sel = &odd_half;
    for (const idx_t nq : {idx_t{1}, idx_t{5}, idx_t{40}}) {  // 40: FAISS's BLAS path
        const auto xq = random_vectors(nq, d, 100 + nq);
        for (const faiss::SearchParameters* p :
             {static_cast<faiss::SearchParameters*>(nullptr), &params}) {
            constexpr idx_t k = 10;
            std::vector<float> dp(nq * k), ds(nq * k);
            std::vector<idx_t> lp(nq * k), ls(nq * k);
            plain.search(nq, xq.data(), k, dp.data(), lp.data(), p);
            simd.search(nq, xq.data(), k, ds.data(), ls.data(), p);
            for (idx_t i = 0; i < nq * k; ++i) {
                EXPECT_EQ(ls[i], lp[i]) << "nq=" << nq << " rank " << i;
                EXPECT_NEAR(ds[i], dp[i], 1e-5);
                if (p) {
                    EXPECT_GE(ls[i], static_cast<idx_t>(n / 2));
                }
            }
        }
    }
}

TEST(SimdFlat, SwapsOwnedFlatPartsAndKeepsTheFileFormat) {
    constexpr int d = 16;
    const auto xb = random_vectors(600, d, 3);
    std::unique_ptr<faiss::Index> hnsw(
        faiss::index_factory(d, "HNSW8", faiss::METRIC_INNER_PRODUCT));
    faiss::IndexIDMap2 map(hnsw.get());
    map.own_fields = true;
    hnsw.release();
    qiss::use_simd_flat(&map);
    const auto& storage = *dynamic_cast<faiss::IndexHNSW&>(*map.index).storage;
    EXPECT_EQ(typeid(storage), typeid(qiss::SimdFlatIP));

    std::unique_ptr<faiss::Index> ivf(
        faiss::index_factory(d, "IVF8_HNSW8,Flat", faiss::METRIC_INNER_PRODUCT));
    qiss::use_simd_flat(ivf.get());
    const auto& quantizer =
        dynamic_cast<faiss::IndexHNSW&>(*dynamic_cast<faiss::IndexIVF&>(*ivf).quantizer);
    EXPECT_EQ(typeid(*quantizer.storage), typeid(qiss::SimdFlatIP));

    std::unique_ptr<faiss::Index> flat_ivf(
        faiss::index_factory(d, "IVF8,Flat", faiss::METRIC_INNER_PRODUCT));
    qiss::use_simd_flat(flat_ivf.get());
    EXPECT_EQ(typeid(*dynamic_cast<faiss::IndexIVF&>(*flat_ivf).quantizer),
              typeid(qiss::SimdFlatIP));

    faiss::IndexFlatIP storage_not_owned(d);
    faiss::IndexHNSW borrowed(&storage_not_owned, 8);
    qiss::use_simd_flat(&borrowed);
    EXPECT_EQ(borrowed.storage, &storage_not_owned);

    // Vectors added after the swap are found; the file reads back as a plain FAISS index.
    std::vector<idx_t> ids(600);
    std::iota(ids.begin(), ids.end(), 1000);
    map.add_with_ids(600, xb.data(), ids.data());
    auto copy = copy_of(map);
    const auto& copied =
        *dynamic_cast<faiss::IndexHNSW&>(*dynamic_cast<faiss::IndexIDMap2&>(*copy).index).storage;
    EXPECT_EQ(typeid(copied), typeid(faiss::IndexFlatIP));
    EXPECT_EQ(copied.ntotal, 600);
}

TEST(SimdFlat, HnswWalkOverSimdStorageMatchesFaiss) {
    constexpr int d = 64;
    constexpr std::size_t n = 5000;
    constexpr idx_t nq = 50, k = 10;
    const auto xb = random_vectors(n, d, 11);
    const auto xq = random_vectors(nq, d, 12);
    faiss::IndexHNSWFlat plain(d, 16, faiss::METRIC_INNER_PRODUCT);
    plain.add(n, xb.data());
    auto simd = copy_of(plain);  // the same graph and vectors
    qiss::use_simd_flat(simd.get());
    ASSERT_EQ(typeid(*dynamic_cast<faiss::IndexHNSW&>(*simd).storage), typeid(qiss::SimdFlatIP));

    std::vector<float> dp(nq * k), ds(nq * k);
    std::vector<idx_t> lp(nq * k), ls(nq * k);
    plain.search(nq, xq.data(), k, dp.data(), lp.data());
    simd->search(nq, xq.data(), k, ds.data(), ls.data());
    std::size_t same = 0;
    for (idx_t q = 0; q < nq; ++q) {
        const std::set<idx_t> want(lp.begin() + q * k, lp.begin() + (q + 1) * k);
        for (idx_t j = 0; j < k; ++j) same += want.count(ls[q * k + j]);
        EXPECT_NEAR(ds[q * k], dp[q * k], 1e-5);
    }
    // Float rounding may reorder a near tie in the walk; the neighbours are the same.
    EXPECT_GE(same, static_cast<std::size_t>(nq * k * 99 / 100));

    // A graph built with the SIMD kernel is as good as FAISS's own: recall against an exact
    // search, both walked with efSearch 128. The builds run on several threads, so the graphs
    // differ by more than rounding: a margin of 3 % of the neighbours.
    faiss::IndexHNSWFlat built(d, 16, faiss::METRIC_INNER_PRODUCT);
    qiss::use_simd_flat(&built);
    built.add(n, xb.data());
    faiss::IndexFlatIP exact(d);
    exact.add(n, xb.data());
    std::vector<float> de(nq * k);
    std::vector<idx_t> le(nq * k);
    exact.search(nq, xq.data(), k, de.data(), le.data());
    auto hits_of = [&](faiss::IndexHNSW& index) {
        index.hnsw.efSearch = 128;
        std::vector<float> dist(nq * k);
        std::vector<idx_t> labels(nq * k);
        index.search(nq, xq.data(), k, dist.data(), labels.data());
        std::size_t hits = 0;
        for (idx_t q = 0; q < nq; ++q) {
            const std::set<idx_t> truth(le.begin() + q * k, le.begin() + (q + 1) * k);
            for (idx_t j = 0; j < k; ++j) hits += truth.count(labels[q * k + j]);
        }
        return hits;
    };
    const std::size_t hits_built = hits_of(built), hits_plain = hits_of(plain);
    std::cout << "recall@10 at efSearch 128: SIMD-built " << hits_built / double(nq * k)
              << ", FAISS-built " << hits_plain / double(nq * k) << "\n";
    EXPECT_GE(hits_built + nq * k * 3 / 100, hits_plain);
}

}  // namespace
