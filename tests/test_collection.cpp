// A collection with a compressed (IVF-PQ) index: candidates are re-ranked with the vectors the
// store holds, so scores are exact; the index is rebuilt from the store in chunks.
#include <gtest/gtest.h>
#include <lmdb.h>

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/collection.h"
#include "store/lmdb_env.h"
#include "test_support.h"

namespace {

/// `n` synthetic images with random unit vectors of dimension `dim`.
std::vector<qiss::NewImage> random_images(std::size_t n, int dim, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    std::vector<qiss::NewImage> images(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto& im = images[i];
        im.record.source = fmt::format("synthetic:{}", i);
        im.record.content_hash = fmt::format("hash-{}-{}", seed, i);
        im.record.width = im.record.height = 64;
        im.record.format = "synthetic";
        im.vector.resize(dim);
        double norm = 0;
        for (auto& v : im.vector) {
            v = normal(rng);
            norm += v * v;
        }
        for (auto& v : im.vector) v = static_cast<float>(v / std::sqrt(norm));
    }
    return images;
}

TEST(Collection, CompressedIndexIsReRankedWithStoredVectors) {
    qiss::test::TempDir dir("collection-ivfpq");
    qiss::CollectionOptions options;
    options.model = std::filesystem::path(QISS_TEST_DATA) / "tiny.qiss";
    int dim = 0;
    {
        auto c = qiss::Collection::open(dir.path(), options);
        dim = c->dim();
        ASSERT_EQ(dim % 8, 0);
        c->add(random_images(1500, dim, 1));
        c->save_index();
    }
    // Reopening with a fixed IVF-PQ factory rebuilds the index from the store (trained on it).
    options.index_factory = fmt::format("IVF8,PQ{}x8np", dim / 8);
    auto c = qiss::Collection::open(dir.path(), options);
    EXPECT_EQ(c->info().index_factory, options.index_factory);
    EXPECT_EQ(c->info().index_vectors, 1500u);

    qiss::SearchOptions all_lists;
    all_lists.nprobe = 8;
    std::size_t self_first = 0;
    for (std::uint64_t id = 1; id <= 100; ++id) {
        const auto v = c->vector_of(id);
        ASSERT_TRUE(v);
        const auto hits = c->search(v->data(), 5, 0, std::nullopt, all_lists);
        ASSERT_EQ(hits.size(), 5u);
        self_first += hits[0].id == id;
        // Exact inner products from the stored vectors, not PQ estimates.
        if (hits[0].id == id) {
            EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
        }
        for (const auto& h : hits) {
            const auto hv = c->vector_of(h.id);
            float dot = 0;
            for (int j = 0; j < dim; ++j) dot += (*v)[j] * (*hv)[j];
            EXPECT_NEAR(h.score, dot, 1e-5);
        }
        for (std::size_t j = 1; j < hits.size(); ++j) EXPECT_GE(hits[j - 1].score, hits[j].score);
    }
    EXPECT_EQ(self_first, 100u);

    // Removal takes the vector out of the IVF lists; new images are found.
    ASSERT_TRUE(c->remove(1));
    auto added = c->add(random_images(10, dim, 2));
    const auto v_new = c->vector_of(added[0].id);
    ASSERT_TRUE(v_new);
    EXPECT_EQ(c->search(v_new->data(), 1, 0, std::nullopt, all_lists).at(0).id, added[0].id);
    EXPECT_EQ(c->info().index_vectors, 1509u);
    c->save_index();
    c.reset();
    auto reopened = qiss::Collection::open(dir.path(), options);
    EXPECT_EQ(reopened->info().index_vectors, 1509u);
    EXPECT_EQ(reopened->search(v_new->data(), 1, 0, std::nullopt, all_lists).at(0).id, added[0].id);
}

/// Overwrites the stored record of image `id` with bytes that are not a record (a damaged
/// store), through LMDB itself while no collection has the store open.
void damage_record(const std::filesystem::path& store, std::uint64_t id) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    ASSERT_EQ(mdb_env_open(env, store.c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, "images", 0, &dbi), 0);
    std::string key = qiss::lmdb::be64(id), value = "{not json";
    MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

TEST(Collection, RemoveThatFailsInTheStoreLeavesTheIndexAgreeing) {
    qiss::test::TempDir dir("collection-remove");
    qiss::CollectionOptions options;
    options.model = std::filesystem::path(QISS_TEST_DATA) / "tiny.qiss";
    int dim = 0;
    {
        auto c = qiss::Collection::open(dir.path(), options);
        dim = c->dim();
        c->add(random_images(12, dim, 3));
        c->save_index();
    }
    damage_record(dir / "store", 5);
    auto c = qiss::Collection::open(dir.path(), options);
    // The store refuses the removal (it cannot read the record): the index must still hold 5.
    EXPECT_NE(qiss::test::error_of([&] { c->remove(5); }).find("corrupted (record 5"),
              std::string::npos);
    EXPECT_EQ(c->info().images, 12u);
    EXPECT_EQ(c->info().index_vectors, 12u);
    // Later removals go through to both.
    EXPECT_TRUE(c->remove(6));
    EXPECT_EQ(c->info().images, 11u);
    EXPECT_EQ(c->info().index_vectors, 11u);
    c->save_index();
    c.reset();
    auto reopened = qiss::Collection::open(dir.path(), options);
    EXPECT_EQ(reopened->info().index_vectors, 11u);
}

}  // namespace
