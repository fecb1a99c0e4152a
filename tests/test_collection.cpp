// A collection with a compressed (IVF-PQ) index: candidates are re-ranked with the vectors the
// store holds, so scores are exact; the index is rebuilt from the store in chunks.
#include <gtest/gtest.h>
#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <future>
#include <map>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/collection.h"
#include "store/lmdb_env.h"
#include "test_support.h"

// Writes reach the store only through the collection (which keeps store and index in agreement),
// and its model is the const, concurrent one.
template <class C>
concept HandsOutItsModel = requires(C& c) {
    c.model();
};
static_assert(!HandsOutItsModel<qiss::Collection>);
static_assert(
    std::is_same_v<decltype(std::declval<qiss::Collection&>().store()), const qiss::ImageStore&>);

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
        const auto hits = c->search(v->data(), 5, 0, {}, all_lists);
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
    EXPECT_EQ(c->search(v_new->data(), 1, 0, {}, all_lists).at(0).id, added[0].id);
    EXPECT_EQ(c->info().index_vectors, 1509u);
    c->save_index();
    c.reset();
    auto reopened = qiss::Collection::open(dir.path(), options);
    EXPECT_EQ(reopened->info().index_vectors, 1509u);
    EXPECT_EQ(reopened->search(v_new->data(), 1, 0, {}, all_lists).at(0).id, added[0].id);
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

TEST(Collection, WritesGoOnWhileTheIndexIsReTypedAndReachTheNewIndex) {
    qiss::test::TempDir dir("collection-retype");
    qiss::CollectionOptions options;
    options.model = std::filesystem::path(QISS_TEST_DATA) / "tiny.qiss";
    auto c = qiss::Collection::open(dir.path(), options);
    const int dim = c->dim();
    c->add(random_images(10000, dim, 4));  // the size at which Flat gives way to HNSW
    ASSERT_EQ(c->info().index_factory, "Flat");

    auto retype = std::async(std::launch::async, [&] { return c->maintain_index(); });
    // Writes while the new index is trained and filled: they must not wait for it (before, the
    // rebuild held the write lock throughout) and must all be in it afterwards.
    auto fresh = random_images(2000, dim, 5);
    std::vector<std::uint64_t> added;
    std::size_t during = 0, removed = 0;
    for (auto& im : fresh) {
        const bool running = retype.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
        std::vector<qiss::NewImage> one;
        one.push_back(im);
        added.push_back(c->add(std::move(one)).at(0).id);
        if (running) ++during;
        if (!running && during > 0) break;
        if (added.size() % 10 == 0) {
            ASSERT_TRUE(c->remove(++removed));  // ids 1, 2, …
        }
    }
    ASSERT_TRUE(retype.get());
    EXPECT_GE(during, 20u) << "writes waited for the rebuild";
    const auto info = c->info();
    EXPECT_EQ(info.index_factory, "HNSW32");
    EXPECT_EQ(info.images, 10000 + added.size() - removed);
    EXPECT_EQ(info.index_vectors, info.images);
    for (std::size_t i = 0; i < added.size(); ++i) {
        const auto hits = c->search(fresh[i].vector.data(), 1);
        ASSERT_EQ(hits.size(), 1u);
        EXPECT_EQ(hits[0].id, added[i]);
    }
    const auto first = random_images(removed, dim, 4);  // the vectors of ids 1..removed
    for (std::size_t id = 1; id <= removed; ++id)
        EXPECT_NE(c->search(first[id - 1].vector.data(), 1).at(0).id, id);
}

TEST(Collection, ChurnAtASteadySizeIsCompactedSoTheIndexStaysBounded) {
    qiss::test::TempDir dir("collection-churn");
    qiss::CollectionOptions options;
    options.model = std::filesystem::path(QISS_TEST_DATA) / "tiny.qiss";
    std::map<std::uint64_t, std::vector<float>> live;  // id -> vector
    std::deque<std::uint64_t> order;                   // oldest first
    unsigned seed = 100;
    auto add = [&](qiss::Collection& c, std::size_t n) {
        auto images = random_images(n, c.dim(), seed++);
        std::vector<std::vector<float>> vectors;
        for (const auto& im : images) vectors.push_back(im.vector);
        const auto results = c.add(std::move(images));
        for (std::size_t i = 0; i < results.size(); ++i) {
            live[results[i].id] = vectors[i];
            order.push_back(results[i].id);
        }
    };
    auto remove_oldest = [&](qiss::Collection& c, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(c.remove(order.front()));
            live.erase(order.front());
            order.pop_front();
        }
    };
    const auto index_file = dir.path() / "index.qiss-index";
    {
        // Below the floor (default 1,000 tombstones) nothing is rebuilt, whatever the share.
        auto c = qiss::Collection::open(dir.path(), options);
        add(*c, 100);
        remove_oldest(*c, 60);
        EXPECT_FALSE(c->maintain_index());
        EXPECT_EQ(c->info().index_tombstones, 60u);
        c->save_index();
    }
    options.compact_min_tombstones = 50;
    auto c = qiss::Collection::open(dir.path(), options);
    EXPECT_EQ(c->info().index_tombstones, 60u);  // kept in the index file
    EXPECT_TRUE(c->maintain_index());            // 60 removed >= 50, and >= 40 live
    const auto compacted = c->info();
    EXPECT_EQ(compacted.index_tombstones, 0u);
    EXPECT_EQ(compacted.index_vectors, 40u);
    add(*c, 60);
    c->save_index();
    const auto live_size = std::filesystem::file_size(index_file);

    // Replace a fifth of the collection per round, as the soak's writers do, with the upkeep
    // after each round: tombstones never exceed the live count, the file never twice its size.
    std::size_t rebuilds = 0, largest = 0;
    for (int round = 0; round < 40; ++round) {
        remove_oldest(*c, 20);
        add(*c, 20);
        if (c->maintain_index()) ++rebuilds;
        const auto info = c->info();
        ASSERT_EQ(info.images, 100u);
        ASSERT_EQ(info.index_vectors, 100u);
        EXPECT_LT(info.index_tombstones, 100u) << "round " << round;
        EXPECT_EQ(info.index_factory, "Flat");
        c->save_index();
        largest = std::max<std::size_t>(largest, std::filesystem::file_size(index_file));
    }
    EXPECT_EQ(rebuilds, 8u);  // 800 removals, one compaction per 100 tombstones
    EXPECT_LE(largest, 2 * live_size);
    // Every live image is its own nearest neighbour; no removed one is ever returned.
    for (const auto& [id, vector] : live) {
        const auto hits = c->search(vector.data(), 100);
        ASSERT_EQ(hits.size(), 100u);
        EXPECT_EQ(hits[0].id, id);
        for (const auto& h : hits) ASSERT_TRUE(live.count(h.id)) << "removed id " << h.id;
    }
}

}  // namespace
