#include "ann/ann_data.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include <faiss/IndexFlat.h>
#include <faiss/VectorTransform.h>
#include <faiss/utils/distances.h>
#include <faiss/utils/random.h>

#include "common/error.h"

namespace qiss::bench {
namespace {

constexpr std::size_t kChunkRows = 16384;

/// Standard deviations (1 + j/knee)^-1.5, j = 1..dim, scaled so that the variances sum to 1.
std::vector<float> spectrum(int dim, float knee) {
    std::vector<double> var(dim);
    double total = 0;
    for (int j = 0; j < dim; ++j) total += var[j] = std::pow(1.0 + (j + 1) / knee, -3.0);
    std::vector<float> sd(dim);
    for (int j = 0; j < dim; ++j) sd[j] = static_cast<float>(std::sqrt(var[j] / total));
    return sd;
}

/// The concepts every vector is drawn around.
struct Concepts {
    Matrix centres;
    std::vector<float> spreads;
    std::vector<float> noise_sd;
};

Concepts make_concepts(const DataSpec& spec) {
    const std::size_t count = std::max<std::size_t>(1, spec.n / spec.cluster_size);
    Concepts c;
    c.centres = {count, spec.dim, std::vector<float>(count * spec.dim)};
    faiss::float_randn(c.centres.data.data(), c.centres.data.size(), spec.seed * 4);
    const std::vector<float> sd = spectrum(spec.dim, spec.centre_knee);
    for (std::size_t i = 0; i < count; ++i)
        for (int j = 0; j < spec.dim; ++j) c.centres.data[i * spec.dim + j] *= sd[j];
    std::mt19937_64 rng(spec.seed * 4 + 1);
    std::uniform_real_distribution<float> half(0.5f, 1.0f);
    c.spreads.resize(count);
    for (float& s : c.spreads) s = spec.spread * half(rng);
    c.noise_sd = spectrum(spec.dim, spec.noise_knee);
    return c;
}

/// Draws `rows` vectors around random concepts, rotated and unit-normalised.
Matrix draw(const Concepts& c, const faiss::RandomRotationMatrix& rotation, std::size_t rows,
            uint64_t seed) {
    const int dim = c.centres.dim;
    Matrix out{rows, dim, std::vector<float>(rows * dim)};
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, c.centres.rows - 1);
    std::vector<float> chunk(kChunkRows * dim);
    for (std::size_t start = 0; start < rows; start += kChunkRows) {
        const std::size_t m = std::min(kChunkRows, rows - start);
        faiss::float_randn(chunk.data(), m * dim, static_cast<int64_t>(seed + start));
        for (std::size_t i = 0; i < m; ++i) {
            const std::size_t k = pick(rng);
            const float* centre = c.centres.row(k);
            float* x = chunk.data() + i * dim;
            for (int j = 0; j < dim; ++j) x[j] = centre[j] + c.spreads[k] * c.noise_sd[j] * x[j];
        }
        float* dst = out.data.data() + start * dim;
        rotation.apply_noalloc(static_cast<faiss::Index::idx_t>(m), chunk.data(), dst);
        faiss::fvec_renorm_L2(dim, m, dst);
    }
    return out;
}

void write_or_throw(std::ofstream& out, const void* data, std::size_t bytes,
                    const std::filesystem::path& path) {
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    QISS_CHECK(out.good(), "cannot write {}", path.string());
}

}  // namespace

Dataset generate_dataset(const DataSpec& spec) {
    QISS_CHECK(spec.n > 0 && spec.queries > 0, "--n and --queries must be positive");
    QISS_CHECK(spec.dim > 0, "--dim must be positive, got {}", spec.dim);
    QISS_CHECK(spec.cluster_size > 0, "--cluster-size must be positive");
    const Concepts concepts = make_concepts(spec);
    faiss::RandomRotationMatrix rotation(spec.dim, spec.dim);
    rotation.init(static_cast<int>(spec.seed * 4 + 2));
    Dataset d;
    d.base = draw(concepts, rotation, spec.n, spec.seed * 1'000'003 + 7);
    d.queries = draw(concepts, rotation, spec.queries, spec.seed * 1'000'003 + 1'000'000'007);
    return d;
}

GroundTruth exact_knn(const Matrix& base, const Matrix& queries, int k) {
    faiss::IndexFlatIP flat(base.dim);
    flat.add(static_cast<faiss::Index::idx_t>(base.rows), base.data.data());
    GroundTruth gt;
    gt.k = k;
    gt.ids.resize(queries.rows * k);
    gt.scores.resize(queries.rows * k);
    flat.search(static_cast<faiss::Index::idx_t>(queries.rows), queries.data.data(), k,
                gt.scores.data(), gt.ids.data());
    return gt;
}

void write_fvecs(const std::filesystem::path& path, const Matrix& m) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    QISS_CHECK(out.is_open(), "cannot create {}", path.string());
    const int32_t dim = m.dim;
    for (std::size_t i = 0; i < m.rows; ++i) {
        write_or_throw(out, &dim, sizeof(dim), path);
        write_or_throw(out, m.row(i), sizeof(float) * m.dim, path);
    }
}

void write_ivecs(const std::filesystem::path& path, const GroundTruth& gt) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    QISS_CHECK(out.is_open(), "cannot create {}", path.string());
    const int32_t k = gt.k;
    std::vector<int32_t> row(gt.k);
    for (std::size_t q = 0; q < gt.ids.size() / gt.k; ++q) {
        for (int j = 0; j < gt.k; ++j) row[j] = static_cast<int32_t>(gt.ids[q * gt.k + j]);
        write_or_throw(out, &k, sizeof(k), path);
        write_or_throw(out, row.data(), sizeof(int32_t) * gt.k, path);
    }
}

DataStats data_stats(const Dataset& data, const GroundTruth& gt) {
    constexpr std::size_t kRandomPerQuery = 100;
    const std::size_t nq = data.queries.rows;
    DataStats s;
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<std::size_t> pick(0, data.base.rows - 1);
    double sum = 0, sum_sq = 0;
    for (std::size_t q = 0; q < nq; ++q) {
        s.nn1_cosine += gt.scores[q * gt.k];
        s.nn10_cosine += gt.scores[q * gt.k + std::min(gt.k, 10) - 1];
        for (std::size_t r = 0; r < kRandomPerQuery; ++r) {
            const double c =
                faiss::fvec_inner_product(data.queries.row(q), data.base.row(pick(rng)),
                                          static_cast<std::size_t>(data.base.dim));
            sum += c;
            sum_sq += c * c;
        }
    }
    const double m = static_cast<double>(nq * kRandomPerQuery);
    s.nn1_cosine /= static_cast<double>(nq);
    s.nn10_cosine /= static_cast<double>(nq);
    s.random_cosine = sum / m;
    s.random_cosine_sd = std::sqrt(std::max(0.0, sum_sq / m - s.random_cosine * s.random_cosine));
    return s;
}

}  // namespace qiss::bench
