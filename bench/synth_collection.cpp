// Fills a collection with synthetic images for the scale benchmarks (docs/benchmarks.md): N
// records whose vectors are the real vectors of a seed collection (e.g. the demo collection of
// the emoji corpus) plus Gaussian noise, re-normalised. Queries embedded by the real model then
// meet a realistic neighbourhood structure at any size.
//   build/bench/synth_collection --data out/bench/c100k --like data/demo --count 100000
// The new collection uses the seed collection's model; its index type follows its size
// (docs/index.md) unless --index is given.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "common/error.h"
#include "engine/collection.h"

namespace {

struct Options {
    std::string data, like, index;
    std::size_t count = 100'000;
    double noise = 0.03;  ///< standard deviation per coordinate (unit vectors of dimension 256)
    std::uint64_t seed = 1;
    std::size_t batch = 10'000;
};

std::vector<std::vector<float>> seed_vectors(const qiss::Collection& like) {
    std::vector<std::vector<float>> seeds;
    const std::size_t dim = like.store().dim();
    like.store().for_each_vector(
        [&](std::uint64_t, const float* v) { seeds.emplace_back(v, v + dim); });
    QISS_CHECK(!seeds.empty(), "{}: the seed collection holds no vectors", like.dir().string());
    return seeds;
}

int run(const Options& o) {
    const auto t0 = std::chrono::steady_clock::now();
    qiss::CollectionOptions read_only;
    read_only.read_only = true;
    auto like = qiss::Collection::open(o.like, read_only);
    const auto seeds = seed_vectors(*like);
    qiss::CollectionOptions co;
    co.model = like->dir() / "model.qiss";
    co.index_factory = o.index;
    auto c = qiss::Collection::open(o.data, co);  // binds the collection to the model
    c.reset();
    // Straight into the store (the collection's source of truth, docs/format.md): the index is
    // built once at the end (below), instead of growing a Flat index to the full size in memory
    // first.
    auto store = std::make_unique<qiss::ImageStore>(
        qiss::ImageStore::open(std::filesystem::path(o.data) / "store"));
    const std::size_t dim = seeds.front().size();
    const std::size_t start = store->count();
    std::mt19937_64 rng(o.seed + start);
    std::normal_distribution<float> noise(0.0f, static_cast<float>(o.noise));
    std::uniform_int_distribution<std::size_t> pick(0, seeds.size() - 1);
    for (std::size_t done = start; done < o.count;) {
        const std::size_t n = std::min(o.batch, o.count - done);
        std::vector<qiss::NewImage> batch(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t seed = pick(rng);
            auto& im = batch[i];
            im.record.source = fmt::format("synthetic:{}/{}", done + i, seed);
            im.record.content_hash = fmt::format("synthetic-{}-{}", o.seed, done + i);
            im.record.width = im.record.height = 64;
            im.record.format = "synthetic";
            // A field for the filter benchmark (bench/filter.cpp): the image's number modulo
            // 100, so that "bucket < s" keeps s % of the collection, spread evenly.
            im.record.metadata = {{"bucket", (done + i) % 100}};
            im.vector = seeds[seed];
            double norm = 0;
            for (auto& x : im.vector) {
                x += noise(rng);
                norm += static_cast<double>(x) * x;
            }
            for (auto& x : im.vector) x = static_cast<float>(x / std::sqrt(norm));
        }
        store->add(std::move(batch));
        done += n;
        std::cerr << fmt::format("\r{} / {} vectors", done, o.count) << std::flush;
    }
    std::cerr << "\n";
    const auto t1 = std::chrono::steady_clock::now();
    // Reopened without an index file, the collection builds its index from the stored vectors,
    // of the type its size calls for (or --index).
    store.reset();
    std::filesystem::remove(std::filesystem::path(o.data) / "index.qiss-index");
    c = qiss::Collection::open(o.data, co);
    c->save_index();
    const auto t2 = std::chrono::steady_clock::now();
    const auto info = c->info();
    std::cout << fmt::format(
        "{}: {} images of dimension {}, index {} ({:.1f} MB), store {:.1f} MB; added in {:.1f} s, "
        "index built and saved in {:.1f} s\n",
        o.data, info.images, dim, info.index_factory, info.index_bytes / 1e6,
        info.store_bytes / 1e6, std::chrono::duration<double>(t1 - t0).count(),
        std::chrono::duration<double>(t2 - t1).count());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Fill a collection with synthetic images (benchmarks)"};
    Options o;
    app.add_option("--data", o.data, "Collection folder to create or extend")->required();
    app.add_option("--like", o.like, "Seed collection whose vectors are perturbed")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--count", o.count, "Total number of images wanted")->check(CLI::PositiveNumber);
    app.add_option("--noise", o.noise, "Noise standard deviation per coordinate");
    app.add_option("--seed", o.seed, "Random seed");
    app.add_option("--index", o.index, "FAISS factory string (default: chosen by size)");
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const qiss::Error& e) {
        std::cerr << "synth_collection: " << e.what() << "\n";
        return 1;
    }
}
