// Search quality, latency and memory of a large collection, through the engine's own search path
// (Collection::search: the index, then re-ranking with the stored vectors when the index holds
// compressed codes). docs/benchmarks.md, "Scale".
//   build/bench/scale_search --data out/bench/collections/c10000000 --like data/demo
// Queries are held-out vectors drawn like synth_collection's (a seed collection's real vector
// plus noise, another random seed); the ground truth is an exact scan of every stored vector.
// Prints one JSON object per (nprobe, k_factor) setting.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <faiss/IndexFlat.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ann/ann_measure.h"
#include "common/error.h"
#include "engine/collection.h"

namespace {

struct Options {
    std::string data, like;
    std::size_t queries = 300;
    std::size_t k = 10;
    double noise = 0.03;  ///< as synth_collection
    std::uint64_t seed = 20261124;
    std::vector<int> nprobe = {16, 32, 64, 128};
    std::vector<float> k_factor = {1, 4, 10, 25, 50};
    std::size_t gt_depth = 100;  ///< exact neighbours kept per query (data statistics)
};

using qiss::bench::heap_bytes;
using qiss::bench::thread_cpu_ms;

/// Held-out queries: real vectors of the seed collection plus noise, re-normalised.
std::vector<float> make_queries(const Options& o, std::size_t dim) {
    qiss::CollectionOptions read_only;
    read_only.read_only = true;
    auto like = qiss::Collection::open(o.like, read_only);
    std::vector<std::vector<float>> seeds;
    like->store().for_each_vector(
        [&](std::uint64_t, const float* v) { seeds.emplace_back(v, v + dim); });
    QISS_CHECK(!seeds.empty(), "{}: the seed collection holds no vectors", o.like);
    std::mt19937_64 rng(o.seed);
    std::normal_distribution<float> noise(0.0f, static_cast<float>(o.noise));
    std::uniform_int_distribution<std::size_t> pick(0, seeds.size() - 1);
    std::vector<float> q(o.queries * dim);
    for (std::size_t i = 0; i < o.queries; ++i) {
        float* v = q.data() + i * dim;
        const auto& s = seeds[pick(rng)];
        double norm = 0;
        for (std::size_t j = 0; j < dim; ++j) {
            v[j] = s[j] + noise(rng);
            norm += static_cast<double>(v[j]) * v[j];
        }
        for (std::size_t j = 0; j < dim; ++j) v[j] = static_cast<float>(v[j] / std::sqrt(norm));
    }
    return q;
}

/// The exact `k` best (score, id) per query, best first: every stored vector scanned in chunks
/// (FAISS Flat + BLAS).
std::vector<std::vector<std::pair<float, std::int64_t>>> exact_neighbours(
    const qiss::Collection& c, const std::vector<float>& queries, std::size_t nq, std::size_t k) {
    const std::size_t dim = static_cast<std::size_t>(c.dim());
    constexpr std::size_t kChunk = 65536;
    std::vector<std::vector<std::pair<float, std::int64_t>>> best(nq);
    std::vector<float> chunk;
    std::vector<std::int64_t> ids;
    std::vector<float> d(nq * k);
    std::vector<faiss::Index::idx_t> l(nq * k);
    auto flush = [&] {
        if (ids.empty()) return;
        faiss::IndexFlatIP flat(static_cast<int>(dim));
        flat.add(static_cast<faiss::Index::idx_t>(ids.size()), chunk.data());
        const auto kk = std::min(k, ids.size());
        flat.search(static_cast<faiss::Index::idx_t>(nq), queries.data(),
                    static_cast<faiss::Index::idx_t>(kk), d.data(), l.data());
        for (std::size_t q = 0; q < nq; ++q) {
            for (std::size_t j = 0; j < kk; ++j)
                if (l[q * kk + j] >= 0) best[q].emplace_back(d[q * kk + j], ids[l[q * kk + j]]);
            std::sort(best[q].begin(), best[q].end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
            if (best[q].size() > k) best[q].resize(k);
        }
        chunk.clear();
        ids.clear();
    };
    c.store().for_each_vector([&](std::uint64_t id, const float* v) {
        ids.push_back(static_cast<std::int64_t>(id));
        chunk.insert(chunk.end(), v, v + dim);
        if (ids.size() == kChunk) flush();
    });
    flush();
    return best;
}

int run(const Options& o) {
    const std::filesystem::path dir = o.data;
    // The index's memory: heap growth while loading it alone (what a server holds for it).
    std::size_t index_heap = 0;
    {
        const std::size_t h0 = heap_bytes();
        auto index = qiss::VectorIndex::load(dir / "index.qiss-index");
        index_heap = heap_bytes() - h0;
    }
    qiss::CollectionOptions read_only;
    read_only.read_only = true;
    const auto t0 = std::chrono::steady_clock::now();
    auto c = qiss::Collection::open(dir, read_only);
    const double open_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto info = c->info();
    const std::size_t n = info.index_vectors;
    const std::size_t dim = static_cast<std::size_t>(c->dim());
    std::cerr << fmt::format("{}: {} vectors, {}, opened in {:.1f} s\n", o.data, n,
                             info.index_factory, open_s);
    const auto queries = make_queries(o, dim);
    const auto g0 = std::chrono::steady_clock::now();
    const auto exact = exact_neighbours(*c, queries, o.queries, std::max(o.k + 1, o.gt_depth));
    std::vector<std::set<std::int64_t>> truth(o.queries);
    // How far apart the neighbours are: mean cosine at a few ranks (1-based).
    nlohmann::json cosines = nlohmann::json::object();
    for (std::size_t rank : {std::size_t{1}, o.k, o.k + 1, o.gt_depth}) {
        double sum = 0;
        std::size_t count = 0;
        for (const auto& e : exact)
            if (e.size() >= rank) sum += e[rank - 1].first, ++count;
        if (count) cosines[std::to_string(rank)] = sum / static_cast<double>(count);
    }
    for (std::size_t q = 0; q < o.queries; ++q)
        for (std::size_t j = 0; j < std::min(o.k, exact[q].size()); ++j)
            truth[q].insert(exact[q][j].second);
    std::cerr << fmt::format(
        "ground truth by exact scan in {:.1f} s; mean cosine by neighbour rank {}\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count(),
        cosines.dump());

    const bool compressed =
        !info.index_factory.empty() && info.index_factory.find("PQ") != std::string::npos;
    {
        // One untimed pass at the deepest setting brings the store pages the runs read into the
        // page cache as far as it holds them, so the order of the runs matters less.
        qiss::SearchOptions deepest;
        deepest.nprobe = *std::max_element(o.nprobe.begin(), o.nprobe.end());
        deepest.k_factor = *std::max_element(o.k_factor.begin(), o.k_factor.end());
        for (std::size_t q = 0; q < o.queries; ++q)
            c->search(queries.data() + q * dim, static_cast<int>(o.k), 0, {}, deepest);
    }
    for (int nprobe : o.nprobe) {
        for (float kf : o.k_factor) {
            qiss::SearchOptions opt;
            opt.nprobe = nprobe;
            opt.k_factor = kf;
            const int k = static_cast<int>(o.k);
            for (std::size_t q = 0; q < std::min<std::size_t>(o.queries, 20); ++q)
                c->search(queries.data() + q * dim, k, 0, {}, opt);  // warm-up
            std::vector<double> wall, cpu;
            std::size_t hits = 0;
            for (std::size_t q = 0; q < o.queries; ++q) {
                const double c0 = thread_cpu_ms();
                const auto w0 = std::chrono::steady_clock::now();
                const auto found = c->search(queries.data() + q * dim, k, 0, {}, opt);
                wall.push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w0)
                        .count());
                cpu.push_back(thread_cpu_ms() - c0);
                for (const auto& h : found) hits += truth[q].count(static_cast<std::int64_t>(h.id));
            }
            const auto latency = qiss::bench::summarize(wall);
            const double cpu_mean = qiss::bench::summarize(cpu).mean_ms;
            const nlohmann::json line = {
                {"size", n},
                {"index", info.index_factory},
                {"nprobe", nprobe},
                {"k_factor", kf},
                {"reranked_from_store", compressed},
                {"queries", o.queries},
                {"recall10", static_cast<double>(hits) / static_cast<double>(o.queries * o.k)},
                {"p50_ms", latency.p50_ms},
                {"p99_ms", latency.p99_ms},
                {"cpu_mean_ms", cpu_mean},
                {"index_heap_bytes_per_vector", static_cast<double>(index_heap) / n},
                {"index_file_bytes_per_vector", static_cast<double>(info.index_bytes) / n},
                {"store_bytes_per_vector", static_cast<double>(info.store_bytes) / n},
                {"open_s", open_s},
                {"neighbour_cosine_by_rank", cosines}};
            std::cout << line.dump() << std::endl;
            if (!compressed) break;  // k_factor only matters with re-ranking
        }
        if (!info.index_factory.starts_with("IVF")) break;  // nor nprobe without IVF
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Search quality, latency and memory of a large collection"};
    Options o;
    app.add_option("--data", o.data, "Collection folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--like", o.like, "Seed collection the collection was synthesised from")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--queries", o.queries, "Number of queries")->check(CLI::PositiveNumber);
    app.add_option("--noise", o.noise, "Noise standard deviation per coordinate (queries)");
    app.add_option("--nprobe", o.nprobe, "IVF lists visited (one run each)")->delimiter(',');
    app.add_option("--gt-depth", o.gt_depth, "Exact neighbours kept per query (statistics)");
    app.add_option("--k-factor", o.k_factor, "Re-ranked candidates per result (one run each)")
        ->delimiter(',');
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const qiss::Error& e) {
        std::cerr << "scale_search: " << e.what() << "\n";
        return 1;
    }
}
