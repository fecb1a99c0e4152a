// The vector index with real FAISS: every index type, tombstones, persistence, file errors,
// concurrent searches, and the default factory chosen by collection size.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "index/index_factory.h"
#include "index/vector_index.h"
#include "test_support.h"

namespace {

using qiss::SearchOptions;
using qiss::SearchResult;
using qiss::VectorIndex;

constexpr int kDim = 32;
constexpr std::size_t kCount = 2000;

/// `n` random unit vectors of dimension kDim (fixed seed).
std::vector<float> unit_vectors(std::size_t n, unsigned seed = 42) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    std::vector<float> x(n * kDim);
    for (std::size_t i = 0; i < n; ++i) {
        float norm = 0;
        for (int j = 0; j < kDim; ++j) {
            x[i * kDim + j] = normal(rng);
            norm += x[i * kDim + j] * x[i * kDim + j];
        }
        for (int j = 0; j < kDim; ++j) x[i * kDim + j] /= std::sqrt(norm);
    }
    return x;
}

/// Sparse, non-contiguous caller ids.
std::vector<int64_t> make_ids(std::size_t n) {
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = 1000 + 7 * static_cast<int64_t>(i);
    return ids;
}

using qiss::test::error_of;

/// A trained index of `factory` holding `n` of the test vectors.
VectorIndex filled_index(const std::string& factory, const std::vector<float>& x,
                         const std::vector<int64_t>& ids, std::size_t n) {
    VectorIndex index = VectorIndex::create(factory, kDim);
    if (!index.is_trained()) index.train(x.data(), kCount);
    index.add(x.data(), ids.data(), n);
    return index;
}

class VectorIndexTypes : public ::testing::TestWithParam<std::string> {
  protected:
    std::vector<float> x_ = unit_vectors(kCount);
    std::vector<int64_t> ids_ = make_ids(kCount);
};

TEST_P(VectorIndexTypes, StoredVectorFindsItself) {
    VectorIndex index = filled_index(GetParam(), x_, ids_, kCount);
    EXPECT_EQ(index.size(), kCount);
    EXPECT_EQ(index.dim(), kDim);
    EXPECT_EQ(index.factory(), GetParam());
    const auto results = index.search(x_.data(), 100, 10);
    ASSERT_EQ(results.size(), 100u);
    for (std::size_t q = 0; q < results.size(); ++q) {
        const SearchResult& r = results[q];
        ASSERT_EQ(r.ids.size(), 10u);
        EXPECT_EQ(r.ids[0], ids_[q]);
        EXPECT_NEAR(r.scores[0], 1.0f, 1e-4);
        for (std::size_t j = 1; j < r.scores.size(); ++j) EXPECT_GE(r.scores[j - 1], r.scores[j]);
    }
}

TEST_P(VectorIndexTypes, RemovedIdsNeverReturned) {
    VectorIndex index = filled_index(GetParam(), x_, ids_, kCount);
    std::set<int64_t> removed;
    for (std::size_t i = 0; i < kCount; i += 3) removed.insert(ids_[i]);
    const std::vector<int64_t> to_remove(removed.begin(), removed.end());
    EXPECT_EQ(index.remove(to_remove.data(), to_remove.size()), removed.size());
    EXPECT_EQ(index.remove(to_remove.data(), 1), 0u);
    EXPECT_EQ(index.size(), kCount - removed.size());
    EXPECT_FALSE(index.contains(to_remove[0]));
    EXPECT_TRUE(index.contains(ids_[1]));

    const auto results = index.search(x_.data(), kCount, 20);
    for (std::size_t q = 0; q < kCount; ++q) {
        for (int64_t id : results[q].ids) EXPECT_FALSE(removed.count(id)) << id;
        if (!removed.count(ids_[q])) {
            EXPECT_EQ(results[q].ids.at(0), ids_[q]);
        }
    }
    // Asking for everything returns only live vectors (all of them for exhaustive types).
    SearchOptions all;
    all.ef_search = static_cast<int>(kCount);
    const auto everything = index.search(x_.data(), 1, static_cast<int>(kCount), all);
    for (int64_t id : everything[0].ids) EXPECT_FALSE(removed.count(id));
    EXPECT_LE(everything[0].ids.size(), index.size());
    if (GetParam() != "HNSW32") {
        EXPECT_EQ(everything[0].ids.size(), index.size());
    }

    if (index.has_native_ids()) {
        // IVF removed the vector for real: the id may come back.
        EXPECT_EQ(index.tombstone_count(), 0u);
        index.add(x_.data(), to_remove.data(), 1);
        EXPECT_TRUE(index.contains(to_remove[0]));
        EXPECT_EQ(index.search(x_.data(), 1, 1)[0].ids.at(0), to_remove[0]);
    } else {
        EXPECT_EQ(index.tombstone_count(), removed.size());
        EXPECT_NE(error_of([&] { index.add(x_.data(), to_remove.data(), 1); }).find("was removed"),
                  std::string::npos);
    }
}

TEST_P(VectorIndexTypes, AllowedIdsRestrictTheSearchInsideFaiss) {
    VectorIndex index = filled_index(GetParam(), x_, ids_, kCount);
    std::vector<int64_t> removed;
    for (std::size_t i = 0; i < kCount; i += 5) removed.push_back(ids_[i]);
    index.remove(removed.data(), removed.size());
    // Every third id is allowed; some of those are removed.
    std::vector<std::uint64_t> allowed_ids;
    for (std::size_t i = 0; i < kCount; i += 3)
        allowed_ids.push_back(static_cast<std::uint64_t>(ids_[i]));
    const qiss::IdSet allowed(allowed_ids);
    EXPECT_TRUE(allowed.contains(ids_[3]));
    EXPECT_FALSE(allowed.contains(ids_[1]));
    EXPECT_FALSE(allowed.contains(-1));
    EXPECT_FALSE(allowed.contains(1 << 30));
    EXPECT_TRUE(index.can_restrict());
    SearchOptions wide;
    wide.ef_search = 400;
    const auto results = index.search(x_.data(), 200, 10, wide, &allowed);
    std::size_t found_self = 0, expected_self = 0;
    for (std::size_t q = 0; q < 200; ++q) {
        EXPECT_EQ(results[q].ids.size(), 10u) << q;
        for (int64_t id : results[q].ids) {
            EXPECT_TRUE(allowed.contains(id)) << id;
            EXPECT_FALSE(std::count(removed.begin(), removed.end(), id)) << id;
        }
        // A live, allowed query vector finds itself first (approximate types: most of them).
        if (q % 3 == 0 && q % 5 != 0) {
            ++expected_self;
            found_self += !results[q].ids.empty() && results[q].ids[0] == ids_[q];
        }
    }
    EXPECT_GE(found_self, expected_self * 9 / 10) << GetParam();
    // An empty set allows nothing.
    const qiss::IdSet none;
    EXPECT_TRUE(index.search(x_.data(), 1, 10, wide, &none)[0].ids.empty());
}

TEST_P(VectorIndexTypes, FewerThanKWithoutPadding) {
    VectorIndex index = filled_index(GetParam(), x_, ids_, 5);
    const auto results = index.search(x_.data(), 1, 10);
    ASSERT_EQ(results[0].ids.size(), 5u);
    for (int64_t id : results[0].ids) EXPECT_GE(id, 1000);
    EXPECT_EQ(results[0].ids[0], ids_[0]);
}

TEST_P(VectorIndexTypes, SaveLoadRoundTrip) {
    qiss::test::TempDir dir("index-roundtrip");
    VectorIndex index = filled_index(GetParam(), x_, ids_, kCount - 100);
    const std::vector<int64_t> gone = {ids_[0], ids_[5], ids_[17]};
    index.remove(gone.data(), gone.size());
    index.set_applied_seq(77);
    const VectorIndex::StoreId store_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    index.set_store_id(store_id);
    index.save(dir / "a.qiss-index");

    VectorIndex loaded = VectorIndex::load(dir / "a.qiss-index");
    EXPECT_EQ(loaded.factory(), GetParam());
    EXPECT_EQ(loaded.dim(), kDim);
    EXPECT_EQ(loaded.size(), index.size());
    EXPECT_EQ(loaded.tombstone_count(), index.has_native_ids() ? 0u : 3u);
    EXPECT_EQ(loaded.has_native_ids(), index.has_native_ids());
    EXPECT_FALSE(loaded.contains(gone[1]));
    EXPECT_TRUE(loaded.contains(ids_[1]));
    EXPECT_EQ(loaded.applied_seq(), 77u);
    EXPECT_EQ(loaded.store_id(), store_id);
    const auto before = index.search(x_.data(), 200, 10);
    const auto after = loaded.search(x_.data(), 200, 10);
    for (std::size_t q = 0; q < before.size(); ++q) {
        EXPECT_EQ(before[q].ids, after[q].ids);
        EXPECT_EQ(before[q].scores, after[q].scores);
    }
    // The loaded index keeps accepting vectors, and refusing ids it holds (and, with tombstones,
    // removed ones).
    loaded.add(x_.data() + (kCount - 100) * kDim, ids_.data() + kCount - 100, 100);
    EXPECT_EQ(loaded.size(), kCount - 3);
    EXPECT_THROW(loaded.add(x_.data(), ids_.data() + 1, 1), qiss::Error);
    if (!loaded.has_native_ids()) {
        EXPECT_THROW(loaded.add(x_.data(), gone.data(), 1), qiss::Error);
    }
}

TEST_P(VectorIndexTypes, ConcurrentSearchesMatchSequential) {
    VectorIndex index = filled_index(GetParam(), x_, ids_, kCount);
    const std::vector<int64_t> gone = {ids_[1], ids_[2]};
    index.remove(gone.data(), gone.size());
    constexpr std::size_t kQueries = 200;
    std::vector<SearchResult> expected;
    for (std::size_t q = 0; q < kQueries; ++q)
        expected.push_back(index.search(x_.data() + q * kDim, 1, 10)[0]);

    std::vector<std::vector<SearchResult>> got(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t q = 0; q < kQueries; ++q)
                got[t].push_back(index.search(x_.data() + q * kDim, 1, 10)[0]);
        });
    }
    for (auto& th : threads) th.join();
    for (const auto& results : got) {
        ASSERT_EQ(results.size(), kQueries);
        for (std::size_t q = 0; q < kQueries; ++q) {
            EXPECT_EQ(results[q].ids, expected[q].ids);
            EXPECT_EQ(results[q].scores, expected[q].scores);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(VectorIndex, VectorIndexTypes,
                         ::testing::Values("Flat", "HNSW32", "IVF16,Flat", "IVF16_HNSW32,Flat"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

TEST(VectorIndex, RefineAndOverFetchTypes) {
    const auto x = unit_vectors(kCount);
    const auto ids = make_ids(kCount);
    // IVF-PQ re-ranked exactly (per-call nprobe and k_factor), and SQ8 (no IDSelector: the
    // index over-fetches to skip tombstones).
    for (const std::string factory : {"IVF16,PQ8x8np,RFlat", "SQ8"}) {
        VectorIndex index = filled_index(factory, x, ids, kCount);
        std::vector<int64_t> gone;
        for (std::size_t i = 0; i < kCount; i += 2) gone.push_back(ids[i]);
        index.remove(gone.data(), gone.size());
        const std::set<int64_t> removed(gone.begin(), gone.end());
        SearchOptions options;
        options.nprobe = 16;
        options.k_factor = 8;
        const auto results = index.search(x.data(), 100, 10, options);
        for (std::size_t q = 0; q < results.size(); ++q) {
            ASSERT_EQ(results[q].ids.size(), 10u) << factory;
            for (int64_t id : results[q].ids) EXPECT_FALSE(removed.count(id)) << factory;
            if (q % 2 == 1) {
                EXPECT_EQ(results[q].ids[0], ids[q]) << factory;
                EXPECT_NEAR(results[q].scores[0], 1.0f, factory == "SQ8" ? 1e-2 : 1e-4);
            }
        }
    }
}

TEST(VectorIndex, IvfPqKeepsIdsInItsListsWithoutExactScores) {
    const auto x = unit_vectors(kCount);
    const auto ids = make_ids(kCount);
    VectorIndex index = filled_index("IVF16,PQ8x8np", x, ids, kCount);
    EXPECT_TRUE(index.has_native_ids());
    EXPECT_FALSE(index.has_exact_scores());
    std::vector<int64_t> gone;
    for (std::size_t i = 0; i < kCount; i += 4) gone.push_back(ids[i]);
    EXPECT_EQ(index.remove(gone.data(), gone.size()), gone.size());
    EXPECT_EQ(index.size(), kCount - gone.size());
    EXPECT_EQ(index.tombstone_count(), 0u);
    const std::set<int64_t> removed(gone.begin(), gone.end());
    SearchOptions options;
    options.nprobe = 16;
    const auto results = index.search(x.data(), 200, 10, options);
    std::size_t self_first = 0, live_queries = 0;
    for (std::size_t q = 0; q < results.size(); ++q) {
        ASSERT_EQ(results[q].ids.size(), 10u);
        for (int64_t id : results[q].ids) EXPECT_FALSE(removed.count(id));
        if (removed.count(ids[q])) continue;
        ++live_queries;
        self_first += results[q].ids[0] == ids[q];
    }
    // 8-byte codes of 32 dimensions rank well but not exactly.
    EXPECT_GE(self_first, live_queries * 9 / 10);

    // Which types give exact scores (and so need no re-ranking by the caller).
    for (const auto& [factory, exact] :
         std::vector<std::pair<std::string, bool>>{{"Flat", true},
                                                   {"HNSW32", true},
                                                   {"IVF16,Flat", true},
                                                   {"IVF16,PQ8x8np,RFlat", true},
                                                   {"IVF16_HNSW32,PQ8x8np", false},
                                                   {"SQ8", false}}) {
        EXPECT_EQ(VectorIndex::create(factory, kDim).has_exact_scores(), exact) << factory;
        EXPECT_EQ(VectorIndex::create(factory, kDim).has_native_ids(),
                  factory.starts_with("IVF") && !factory.ends_with("RFlat"))
            << factory;
    }
}

/// recall@10 of `index` against exact search, for 200 queries.
double recall_at_10(const VectorIndex& index, const VectorIndex& exact,
                    const std::vector<float>& queries, const SearchOptions& options) {
    const auto got = index.search(queries.data(), 200, 10, options);
    const auto truth = exact.search(queries.data(), 200, 10);
    std::size_t hits = 0;
    for (std::size_t q = 0; q < got.size(); ++q) {
        const std::set<int64_t> want(truth[q].ids.begin(), truth[q].ids.end());
        for (int64_t id : got[q].ids) hits += want.count(id);
    }
    return static_cast<double>(hits) / (10.0 * got.size());
}

TEST(VectorIndex, HnswHonoursEfSearchPerCall) {
    // Hard data (uniform directions in 32 dimensions) so that recall depends on ef_search.
    constexpr std::size_t n = 20'000;
    const auto x = unit_vectors(n, 7);
    const auto queries = unit_vectors(200, 8);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
    VectorIndex hnsw = VectorIndex::create("HNSW32", kDim);
    hnsw.add(x.data(), ids.data(), n);
    VectorIndex exact = VectorIndex::create("Flat", kDim);
    exact.add(x.data(), ids.data(), n);
    auto recall = [&](int ef) {
        SearchOptions options;
        options.ef_search = ef;
        return recall_at_10(hnsw, exact, queries, options);
    };
    const double r10 = recall(10), r64 = recall(64), r512 = recall(512);
    // Both directions from the stored value (64) change the work done.
    EXPECT_LT(r10, r64);
    EXPECT_LT(r64, r512);
    EXPECT_GE(r512, 0.99);
    EXPECT_EQ(recall(64), r64);  // the stored value was restored

    // Stored as the index's default, a value takes the concurrent path with the same results.
    SearchOptions ef10;
    ef10.ef_search = 10;
    const auto alone = hnsw.search(queries.data(), 200, 10, ef10);
    hnsw.set_search_defaults(ef10);
    const auto shared = hnsw.search(queries.data(), 200, 10, ef10);
    for (std::size_t q = 0; q < alone.size(); ++q) EXPECT_EQ(alone[q].ids, shared[q].ids);
    EXPECT_EQ(recall(64), r64);
}

TEST(VectorIndex, InvalidFactoryIsClearError) {
    EXPECT_NE(error_of([] {
                  VectorIndex::create("NotAnIndex", kDim);
              }).find("invalid index factory string 'NotAnIndex'"),
              std::string::npos);
    EXPECT_NE(error_of([] { VectorIndex::create("IDMap,Flat", kDim); }).find("IDMap"),
              std::string::npos);
    EXPECT_NE(error_of([] { VectorIndex::create("Flat", 0); }).find("dimension"),
              std::string::npos);
}

TEST(VectorIndex, TrainingAndIdErrors) {
    const auto x = unit_vectors(100);
    const auto ids = make_ids(100);
    VectorIndex ivf = VectorIndex::create("IVF16,Flat", kDim);
    EXPECT_FALSE(ivf.is_trained());
    EXPECT_EQ(ivf.min_training_vectors(), 16u);
    EXPECT_NE(error_of([&] { ivf.add(x.data(), ids.data(), 1); }).find("must be trained"),
              std::string::npos);
    EXPECT_NE(error_of([&] { ivf.train(x.data(), 10); }).find("at least 16 training vectors"),
              std::string::npos);

    VectorIndex flat = VectorIndex::create("Flat", kDim);
    EXPECT_TRUE(flat.is_trained());
    flat.add(x.data(), ids.data(), 10);
    EXPECT_NE(error_of([&] { flat.add(x.data(), ids.data(), 1); }).find("already in the index"),
              std::string::npos);
    const std::vector<int64_t> twice = {5, 5};
    EXPECT_NE(error_of([&] { flat.add(x.data(), twice.data(), 2); }).find("twice"),
              std::string::npos);
    const int64_t negative = -1;
    EXPECT_NE(error_of([&] { flat.add(x.data(), &negative, 1); }).find("negative"),
              std::string::npos);
    EXPECT_NE(error_of([&] { flat.search(x.data(), 1, 0); }).find("positive"), std::string::npos);
    EXPECT_EQ(flat.size(), 10u);
}

TEST(VectorIndex, BadFilesGiveClearErrors) {
    qiss::test::TempDir dir("index-files");
    const auto x = unit_vectors(kCount);
    const auto ids = make_ids(kCount);
    filled_index("Flat", x, ids, 300).save(dir / "good");
    const std::string good = qiss::read_file_bytes(dir / "good");

    auto load_error = [&](const std::string& bytes) {
        qiss::write_file_atomic(dir / "bad", bytes);
        return error_of([&] { VectorIndex::load(dir / "bad"); });
    };
    for (std::size_t cut :
         {std::size_t{4}, std::size_t{10}, std::size_t{30}, good.size() / 2, good.size() - 1}) {
        EXPECT_NE(load_error(good.substr(0, cut)).find("truncated"), std::string::npos) << cut;
    }
    std::string flipped = good;
    flipped[flipped.size() - 100] ^= 0x10;
    EXPECT_NE(load_error(flipped).find("corrupted"), std::string::npos);
    EXPECT_NE(load_error("PNG and some more bytes that are not an index").find("not a qiss index"),
              std::string::npos);
    std::string newer = good;
    newer[8] = 4;
    EXPECT_NE(load_error(newer).find("newer than this qiss supports"), std::string::npos);
    EXPECT_THROW(VectorIndex::load(dir / "missing"), qiss::Error);
    EXPECT_EQ(VectorIndex::load(dir / "good").size(), 300u);
}

// An HNSW index file with a correct CRC whose graph links to a vector beyond the last (found by
// fuzz/fuzz_index_file.cpp, which fixes each input's CRC): FAISS read it without complaint and the
// first search read out of bounds (SIGSEGV). The load now checks the graph, the sizes of flat
// codes, IVF lists and the id map.
TEST(VectorIndex, InconsistentFaissPartIsCorruptedNotACrash) {
    qiss::test::TempDir dir("index-inconsistent");
    std::string bytes =
        qiss::read_file_bytes(std::string(QISS_SOURCE_DIR) +
                              "/fuzz/corpus/index_file/finding-hnsw-link-out-of-range.qiss-index");
    ASSERT_GT(bytes.size(), 4u);
    const auto crc = static_cast<std::uint32_t>(
        crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4));
    bytes.replace(bytes.size() - 4, 4, reinterpret_cast<const char*>(&crc), sizeof(crc));
    qiss::write_file_atomic(dir / "bad", bytes);
    const std::string msg = error_of([&] { VectorIndex::load(dir / "bad"); });
    EXPECT_NE(msg.find("is corrupted (HNSW"), std::string::npos) << msg;

    // Consistent files still load (the other types: VectorIndexTypes.SaveLoadRoundTrip).
    const auto x = unit_vectors(kCount);
    const auto ids = make_ids(kCount);
    for (const char* factory : {"PQ8x4", "HNSW16,RFlat", "Flat"}) {
        filled_index(factory, x, ids, 300).save(dir / "good");
        EXPECT_EQ(VectorIndex::load(dir / "good").size(), 300u) << factory;
    }
}

TEST(VectorIndex, ReadsVersion2FilesWithoutStoreIdentity) {
    qiss::test::TempDir dir("index-v2");
    const auto x = unit_vectors(kCount);
    const auto ids = make_ids(kCount);
    VectorIndex index = filled_index("Flat", x, ids, 300);
    index.set_applied_seq(300);
    index.set_store_id({9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
    index.save(dir / "v3");
    const std::string v3 = qiss::read_file_bytes(dir / "v3");
    ASSERT_EQ(v3[8], 3);
    // Version 2: the same fields without the 16-byte store identity after applied_seq.
    std::string v2 = v3.substr(0, 24) + v3.substr(40, v3.size() - 44);
    v2[8] = 2;
    const uint32_t crc =
        static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(v2.data()), v2.size()));
    v2.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
    qiss::write_file_atomic(dir / "v2", v2);
    VectorIndex loaded = VectorIndex::load(dir / "v2");
    EXPECT_EQ(loaded.size(), 300u);
    EXPECT_EQ(loaded.applied_seq(), 300u);
    EXPECT_EQ(loaded.store_id(), VectorIndex::StoreId{});
    EXPECT_EQ(loaded.search(x.data() + 7 * kDim, 1, 1)[0].ids[0], ids[7]);
}

TEST(VectorIndex, LargeFilesRoundTripThroughTheStream) {
    // More than one read chunk (1 MB) of FAISS data: 20,000 vectors of 32 floats = 2.5 MB.
    qiss::test::TempDir dir("index-stream");
    const std::size_t n = 20'000;
    const auto x = unit_vectors(n, 5);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(3 * i + 1);
    VectorIndex index = VectorIndex::create("Flat", kDim);
    index.add(x.data(), ids.data(), n);
    index.save(dir / "big");
    EXPECT_GT(std::filesystem::file_size(dir / "big"), n * kDim * sizeof(float));
    VectorIndex loaded = VectorIndex::load(dir / "big");
    EXPECT_EQ(loaded.size(), n);
    for (std::size_t q : {0u, 9'999u, 19'999u})
        EXPECT_EQ(loaded.search(x.data() + q * kDim, 1, 1)[0].ids[0], ids[q]);
    std::string bytes = qiss::read_file_bytes(dir / "big");
    bytes[bytes.size() - 10] ^= 1;  // in the FAISS part, past the first chunk
    qiss::write_file_atomic(dir / "big", bytes);
    EXPECT_NE(error_of([&] { VectorIndex::load(dir / "big"); }).find("CRC mismatch"),
              std::string::npos);
}

TEST(IndexFactory, DefaultPicksTypeBySize) {
    EXPECT_EQ(qiss::default_index_factory(0, 256), "Flat");
    EXPECT_EQ(qiss::default_index_factory(9'999, 256), "Flat");
    EXPECT_EQ(qiss::default_index_factory(10'000, 256), "HNSW32");
    EXPECT_EQ(qiss::default_index_factory(5'000'000, 256), "HNSW32");
    EXPECT_EQ(qiss::default_index_factory(5'000'001, 256), "IVF8192_HNSW32,PQ32x8np");
    EXPECT_EQ(qiss::default_index_factory(100'000'000, 256), "IVF32768_HNSW32,PQ32x8np");
    EXPECT_EQ(qiss::default_index_factory(10'000'000'000, 256), "IVF65536_HNSW32,PQ32x8np");
    EXPECT_EQ(qiss::default_index_factory(6'000'000, 100), "IVF8192_HNSW32,PQ10x8np");
    EXPECT_THROW(qiss::default_index_factory(10, 0), qiss::Error);
    for (std::size_t n : {std::size_t{1}, std::size_t{1000}, std::size_t{123'456'789}}) {
        const int nlist = qiss::default_ivf_nlist(n);
        EXPECT_EQ(nlist & (nlist - 1), 0) << n;
    }
    // Every default string is a valid factory string.
    for (std::size_t n : {std::size_t{10}, std::size_t{100'000}, std::size_t{6'000'000}})
        EXPECT_NO_THROW(VectorIndex::create(qiss::default_index_factory(n, 64), 64));
}

}  // namespace
