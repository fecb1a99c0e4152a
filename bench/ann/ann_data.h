#pragma once
/// @file ann_data.h
/// The vectors of the ANN benchmark (docs/benchmarks.md, "ANN quality vs speed"): a seeded,
/// clustered synthetic set shaped like the model's real embeddings, the exact ground truth, and
/// the TEXMEX `.fvecs`/`.ivecs` files the Python peers read.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace qiss::bench {

/// How the synthetic vectors are drawn. Each vector belongs to one of n/cluster_size "concepts"
/// (chosen uniformly); in a frame where the dimensions are ordered by variance, a concept's
/// centre has per-dimension variance ∝ (1 + j/centre_knee)^-3 and a vector adds noise of
/// variance ∝ (1 + j/noise_knee)^-3 scaled by the concept's spread (spread·U[0.5, 1]); a fixed
/// random rotation then mixes the dimensions and every vector is scaled to unit length.
struct DataSpec {
    std::size_t n = 1'000'000;   ///< base vectors
    std::size_t queries = 1000;  ///< held-out queries, drawn from the same concepts
    int dim = 256;
    std::size_t cluster_size = 10;  ///< mean number of base vectors per concept
    float centre_knee = 24.0f;
    float noise_knee = 32.0f;
    float spread = 0.6f;
    uint64_t seed = 42;
};

/// Row-major float32 vectors.
struct Matrix {
    std::size_t rows = 0;
    int dim = 0;
    std::vector<float> data;
    const float* row(std::size_t i) const { return data.data() + i * dim; }
};

/// Base and query vectors drawn as DataSpec describes.
struct Dataset {
    Matrix base;
    Matrix queries;
};

/// Draws the data set (deterministic for a given spec).
Dataset generate_dataset(const DataSpec& spec);

/// The exact k nearest base vectors (inner product) of every query, row-major (queries × k),
/// with their scores.
struct GroundTruth {
    int k = 0;
    std::vector<int64_t> ids;
    std::vector<float> scores;
};

/// Exact search with a plain faiss::IndexFlatIP (batched, all threads).
GroundTruth exact_knn(const Matrix& base, const Matrix& queries, int k);

/// Writes `m` as .fvecs: per vector an int32 dimension, then the float32 components.
void write_fvecs(const std::filesystem::path& path, const Matrix& m);

/// Writes the ground-truth ids as .ivecs: per query an int32 k, then k int32 ids.
void write_ivecs(const std::filesystem::path& path, const GroundTruth& gt);

/// Summary of the geometry of the data, to compare with real embeddings.
struct DataStats {
    double nn1_cosine = 0;     ///< mean cosine of a query with its nearest base vector
    double nn10_cosine = 0;    ///< ... with its 10th nearest
    double random_cosine = 0;  ///< mean cosine of a query with random base vectors
    double random_cosine_sd = 0;
};

DataStats data_stats(const Dataset& data, const GroundTruth& gt);

}  // namespace qiss::bench
