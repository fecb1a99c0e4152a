// The layout check of an index file's FAISS part (src/index/faiss_layout): every index type qiss
// makes passes it and loads back; lengths and fields that FAISS would act on before checking
// them (fuzz findings 3 and 10) make the file "corrupted" instead; factory strings of types it
// does not know are refused when the index is created.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "index/vector_index.h"
#include "test_support.h"

namespace {

using qiss::VectorIndex;
using qiss::test::error_of;

constexpr int kDim = 32;
constexpr std::size_t kCount = 1000;

std::vector<float> random_vectors(std::size_t n) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> x(n * kDim);
    for (float& v : x) v = normal(rng);
    return x;
}

VectorIndex filled_index(const std::string& factory, const std::vector<float>& x) {
    VectorIndex index = VectorIndex::create(factory, kDim);
    if (!index.is_trained()) index.train(x.data(), kCount);
    std::vector<int64_t> ids(kCount);
    for (std::size_t i = 0; i < kCount; ++i) ids[i] = 5 + 3 * static_cast<int64_t>(i);
    index.add(x.data(), ids.data(), kCount);
    return index;
}

/// Replaces the file's CRC (its last 4 bytes) with the CRC of the rest, as someone crafting the
/// file would.
void fix_crc(std::string& bytes) {
    const auto crc = static_cast<std::uint32_t>(
        crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4));
    bytes.replace(bytes.size() - 4, 4, reinterpret_cast<const char*>(&crc), sizeof crc);
}

/// Where the first FAISS index of type `fourcc` starts in `bytes`.
std::size_t find_fourcc(const std::string& bytes, const char* fourcc) {
    const std::size_t at = bytes.find(fourcc);
    EXPECT_NE(at, std::string::npos) << fourcc;
    return at;
}

/// The size of an index header after its fourcc: d, ntotal, two unused, is_trained, metric.
constexpr std::size_t kHeader = 4 + 8 + 8 + 8 + 1 + 4;

class LayoutOfType : public ::testing::TestWithParam<std::string> {};

TEST_P(LayoutOfType, SavedIndexPassesTheCheckAndLoadsBack) {
    qiss::test::TempDir dir("layout-types");
    const auto x = random_vectors(kCount);
    const VectorIndex index = filled_index(GetParam(), x);
    index.save(dir / "index");
    const VectorIndex loaded = VectorIndex::load(dir / "index");
    EXPECT_EQ(loaded.size(), kCount);
    const auto before = index.search(x.data() + 17 * kDim, 1, 5)[0].ids;
    EXPECT_EQ(loaded.search(x.data() + 17 * kDim, 1, 5)[0].ids, before);
    EXPECT_EQ(before.size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(
    FaissLayout, LayoutOfType,
    ::testing::Values("Flat", "SQ8", "SQ4", "SQfp16", "PQ8x8", "PQ8x4np", "HNSW16",
                      "HNSW16_SQ8", "HNSW16,RFlat", "IVF16,Flat", "IVF16_HNSW32,Flat",
                      "IVF16,SQ8", "IVF16,PQ8x8np", "IVF16_HNSW32,PQ8x8np", "IVF16,PQ8x8np,RFlat",
                      "PCA16,Flat", "OPQ8_32,IVF16,PQ8x8np", "RR32,Flat", "L2norm,Flat"),
    [](const auto& info) {
        std::string name = info.param;
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

TEST(FaissLayout, ProductQuantizerOfZeroSubVectorsIsCorruptedNotSigfpe) {
    // Fuzz finding 10: FAISS computes d % M while it reads a product quantizer.
    qiss::test::TempDir dir("layout-pq");
    filled_index("PQ8x8", random_vectors(kCount)).save(dir / "index");
    std::string bytes = qiss::read_file_bytes(dir / "index");
    const std::size_t m_at = find_fourcc(bytes, "IxPq") + 4 + kHeader + 8;
    std::uint64_t m = 0;
    std::memcpy(&m, bytes.data() + m_at, sizeof m);
    ASSERT_EQ(m, 8u);
    for (const std::uint64_t bad_m : {std::uint64_t{0}, std::uint64_t{5}}) {
        std::memcpy(bytes.data() + m_at, &bad_m, sizeof bad_m);
        fix_crc(bytes);
        qiss::write_file_atomic(dir / "bad", bytes);
        const std::string msg = error_of([&] { VectorIndex::load(dir / "bad"); });
        EXPECT_NE(msg.find("is corrupted (a product quantizer of " + std::to_string(bad_m) +
                           " sub-vectors for dimension 32)"),
                  std::string::npos)
            << msg;
    }
}

TEST(FaissLayout, ProductQuantizerSearchTypeOtherThanPqIsCorruptedNotAnAbort) {
    // Fuzz finding 11: a Hamming search type made FAISS's first search assert on its code size.
    qiss::test::TempDir dir("layout-pq-search");
    filled_index("PQ8x8", random_vectors(kCount)).save(dir / "index");
    std::string bytes = qiss::read_file_bytes(dir / "index");
    // After the header: d, M, nbits, the centroids (d · 256 floats), the codes (n · M bytes).
    const std::size_t at = find_fourcc(bytes, "IxPq") + 4 + kHeader + 3 * 8 + 8 +
                           kDim * 256 * sizeof(float) + 8 + kCount * 8;
    std::int32_t search_type = -1;
    std::memcpy(&search_type, bytes.data() + at, sizeof search_type);
    ASSERT_EQ(search_type, 0) << "ST_PQ";
    search_type = 2;  // ST_generalized_HE
    std::memcpy(bytes.data() + at, &search_type, sizeof search_type);
    fix_crc(bytes);
    qiss::write_file_atomic(dir / "bad", bytes);
    EXPECT_NE(error_of([&] { VectorIndex::load(dir / "bad"); })
                  .find("is corrupted (a product quantizer search type other than PQ)"),
              std::string::npos);
}

TEST(FaissLayout, LengthsBeyondTheFileAreCorruptedBeforeFaissAllocates) {
    // Fuzz finding 3: FAISS allocates what a length says before reading what it counts.
    qiss::test::TempDir dir("layout-length");
    filled_index("IVF16,Flat", random_vectors(kCount)).save(dir / "index");
    const std::string good = qiss::read_file_bytes(dir / "index");
    const auto load_error = [&](std::size_t at, std::uint64_t value) {
        std::string bytes = good;
        std::memcpy(bytes.data() + at, &value, sizeof value);
        fix_crc(bytes);
        qiss::write_file_atomic(dir / "bad", bytes);
        return error_of([&] { VectorIndex::load(dir / "bad"); });
    };
    // The coarse quantizer's centroids: 2^39 floats (2 TB) in a file of 140 KB.
    const std::size_t codes_at = find_fourcc(good, "IxF") + 4 + kHeader;
    EXPECT_NE(load_error(codes_at, std::uint64_t{1} << 39).find("flat codes longer than the file"),
              std::string::npos);
    // One inverted list claims 2^40 vectors.
    const std::size_t lists_at = find_fourcc(good, "ilar") + 4 + 8 + 8 + 4 + 8;
    const std::string msg = load_error(lists_at, std::uint64_t{1} << 40);
    EXPECT_NE(msg.find("is corrupted (IVF lists longer than the file)"), std::string::npos)
        << msg;
    // Unchanged, it loads.
    qiss::write_file_atomic(dir / "good", good);
    EXPECT_EQ(VectorIndex::load(dir / "good").size(), kCount);
}

TEST(FaissLayout, DamageIsNamedAsCrcMismatchFirst) {
    qiss::test::TempDir dir("layout-crc");
    filled_index("Flat", random_vectors(kCount)).save(dir / "index");
    std::string bytes = qiss::read_file_bytes(dir / "index");
    bytes[find_fourcc(bytes, "IxFI")] = 'X';  // an unknown type, without fixing the CRC
    qiss::write_file_atomic(dir / "bad", bytes);
    EXPECT_NE(error_of([&] { VectorIndex::load(dir / "bad"); }).find("(CRC mismatch)"),
              std::string::npos);
    fix_crc(bytes);
    qiss::write_file_atomic(dir / "bad", bytes);
    EXPECT_NE(error_of([&] { VectorIndex::load(dir / "bad"); })
                  .find("is corrupted (an index type qiss does not read (XxFI))"),
              std::string::npos);
}

TEST(FaissLayout, FactoryOfATypeItCannotCheckIsRefusedAtCreation) {
    for (const char* factory : {"RQ4x4", "IVF16,LSQ4x4", "NSG16"}) {
        const std::string msg = error_of([&] { VectorIndex::create(factory, kDim); });
        EXPECT_NE(msg.find(std::string("index factory string '") + factory + "'"),
                  std::string::npos)
            << msg;
    }
    EXPECT_NE(error_of([] { VectorIndex::create("RQ4x4", kDim); })
                  .find("is not supported: an index type qiss does not read"),
              std::string::npos);
}

}  // namespace
