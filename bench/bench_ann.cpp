// ANN quality vs speed (docs/benchmarks.md): recall@k against exact search, latency per query at
// one thread, bytes per vector and build time of qiss::VectorIndex for each configuration of
// bench/ann/ann_configs.cpp, next to the bare FAISS index it wraps. Writes the vectors and the
// ground truth for the Python peers (bench/peers/ann_peers.py); bench/ann/run.sh runs both.
//   build-bench/bench/bench_ann --n 200000 --out out/bench/ann
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ann/ann_configs.h"
#include "ann/ann_data.h"
#include "ann/ann_measure.h"
#include "common/error.h"
#include "index/vector_index.h"

namespace {

namespace fs = std::filesystem;
using qiss::bench::AnnConfig;
using Clock = std::chrono::steady_clock;

struct Options {
    qiss::bench::DataSpec data;
    int k = 10;
    fs::path out = "out/bench/ann";
    int build_threads = 0;  ///< 0: OpenMP's default (all cores)
    std::size_t warmup = 20;
    std::size_t block = 50;
    std::size_t train_per_list = 64;
    std::string only;
    bool keep_indexes = false;
    bool data_only = false;
};

/// Where configuration `i`'s index is saved (kept for the peers with --keep-indexes).
std::string index_file_name(std::size_t i) {
    return fmt::format("index-{}.qiss-index", i);
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Training vectors for `index`: train_per_list per IVF list (or PQ centroid), at most n.
std::size_t training_count(const qiss::VectorIndex& index, const Options& opt) {
    return std::min(opt.data.n, opt.train_per_list * index.min_training_vectors());
}

void write_json(const fs::path& path, const nlohmann::json& j) {
    std::ofstream out(path, std::ios::trunc);
    QISS_CHECK(out.is_open(), "cannot create {}", path.string());
    out << j.dump(2) << '\n';
    QISS_CHECK(out.good(), "cannot write {}", path.string());
}

/// Recall and the per-query wall-clock and thread CPU times of one side of a run.
struct SideTimes {
    std::vector<int64_t> ids;
    std::vector<double> wall_ms;
    std::vector<double> cpu_ms;

    explicit SideTimes(std::size_t nq, int k) : ids(nq * k, -1), wall_ms(nq), cpu_ms(nq) {}

    nlohmann::json json(const qiss::bench::GroundTruth& gt) const {
        const qiss::bench::Latency wall = qiss::bench::summarize(wall_ms);
        const qiss::bench::Latency cpu = qiss::bench::summarize(cpu_ms);
        return {{"recall", qiss::bench::recall_at_k(ids, gt)},
                {"mean_ms", wall.mean_ms},
                {"p50_ms", wall.p50_ms},
                {"p99_ms", wall.p99_ms},
                {"cpu_mean_ms", cpu.mean_ms},
                {"cpu_p50_ms", cpu.p50_ms}};
    }
};

/// Times `search` (which fills ids) for query q into `side`.
template <typename Search>
void timed(SideTimes& side, std::size_t q, Search&& search) {
    const double cpu0 = qiss::bench::thread_cpu_ms();
    const auto t0 = Clock::now();
    search();
    side.wall_ms[q] = seconds_since(t0) * 1e3;
    side.cpu_ms[q] = qiss::bench::thread_cpu_ms() - cpu0;
}

/// One query at a time, ours and the bare FAISS index alternately by blocks of queries (so that
/// neither side always runs on caches warmed by the other, and load drifts hit both alike).
nlohmann::json time_run(const qiss::VectorIndex& ours, faiss::Index* bare,
                        const qiss::SearchOptions& run, const qiss::bench::Dataset& data,
                        const qiss::bench::GroundTruth& gt, const Options& opt) {
    const std::size_t nq = data.queries.rows;
    const int k = opt.k;
    qiss::bench::set_faiss_knobs(bare, run);
    SideTimes ours_t(nq, k), bare_t(nq, k);
    std::vector<float> scores(k);
    auto search_ours = [&](std::size_t q) {
        timed(ours_t, q, [&] {
            const auto result = ours.search(data.queries.row(q), 1, k, run);
            std::copy(result[0].ids.begin(), result[0].ids.end(), ours_t.ids.begin() + q * k);
        });
    };
    auto search_bare = [&](std::size_t q) {
        timed(bare_t, q, [&] {
            bare->search(1, data.queries.row(q), k, scores.data(), bare_t.ids.data() + q * k);
        });
    };
    for (std::size_t q = 0; q < std::min(opt.warmup, nq); ++q) {
        search_ours(q);
        search_bare(q);
    }
    for (std::size_t b = 0; b < nq; b += opt.block) {
        const std::size_t end = std::min(nq, b + opt.block);
        const bool ours_first = (b / opt.block) % 2 == 0;
        for (int side = 0; side < 2; ++side)
            for (std::size_t q = b; q < end; ++q)
                (side == 0) == ours_first ? search_ours(q) : search_bare(q);
    }
    return {{"ours", ours_t.json(gt)}, {"faiss_cpp", bare_t.json(gt)}};
}

nlohmann::json bench_config(const AnnConfig& config, std::size_t position,
                            const qiss::bench::Dataset& data, const qiss::bench::GroundTruth& gt,
                            const Options& opt, int build_threads) {
    const std::size_t n = data.base.rows;
    omp_set_num_threads(build_threads);
    std::vector<int64_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0);
    const std::size_t heap_before = qiss::bench::heap_bytes();
    const double cpu0 = qiss::bench::process_cpu_s();
    auto t0 = Clock::now();
    qiss::VectorIndex index = qiss::VectorIndex::create(config.factory, data.base.dim);
    std::size_t train_n = 0;
    if (!index.is_trained()) {
        train_n = training_count(index, opt);
        index.train(data.base.data.data(), train_n);
    }
    const double train_s = seconds_since(t0);
    t0 = Clock::now();
    index.add(data.base.data.data(), ids.data(), n);
    const double add_s = seconds_since(t0);
    const double build_cpu_s = qiss::bench::process_cpu_s() - cpu0;
    const std::size_t heap_after = qiss::bench::heap_bytes();

    const fs::path file = opt.out / index_file_name(position);
    index.save(file);
    const std::size_t file_bytes = fs::file_size(file);
    qiss::bench::BareIndex bare = qiss::bench::read_bare_index(file);
    if (!opt.keep_indexes) fs::remove(file);
    fmt::print(stderr, "{}: built in {:.1f} s (train {:.1f} s on {}), {:.1f} bytes/vector\n",
               config.factory, train_s + add_s, train_s, train_n,
               static_cast<double>(file_bytes) / static_cast<double>(n));

    omp_set_num_threads(1);
    nlohmann::json runs = nlohmann::json::array();
    for (const qiss::SearchOptions& run : config.runs) {
        nlohmann::json r = time_run(index, bare.inner, run, data, gt, opt);
        r["params"] = qiss::bench::knobs_json(config.knobs, run);
        fmt::print(stderr, "  {} recall {:.4f}, {:.3f} ms/query CPU (bare FAISS {:.3f})\n",
                   r["params"].dump(), r["ours"]["recall"].get<double>(),
                   r["ours"]["cpu_mean_ms"].get<double>(),
                   r["faiss_cpp"]["cpu_mean_ms"].get<double>());
        runs.push_back(std::move(r));
    }
    return {{"factory", config.factory},
            {"train_n", train_n},
            {"train_s", train_s},
            {"add_s", add_s},
            {"build_s", train_s + add_s},
            {"build_cpu_s", build_cpu_s},
            {"file_bytes", file_bytes},
            {"bytes_per_vector", static_cast<double>(file_bytes) / static_cast<double>(n)},
            {"heap_bytes_per_vector",
             static_cast<double>(heap_after > heap_before ? heap_after - heap_before : 0) /
                 static_cast<double>(n)},
            {"runs", runs}};
}

nlohmann::json meta_json(const Options& opt, const std::vector<AnnConfig>& configs,
                         const qiss::bench::DataStats& stats, int build_threads) {
    const qiss::bench::DataSpec& d = opt.data;
    nlohmann::json cfgs = nlohmann::json::array();
    for (std::size_t i = 0; i < configs.size(); ++i) {
        const AnnConfig& c = configs[i];
        nlohmann::json j = qiss::bench::config_json(c);
        if (opt.keep_indexes) j["index_file"] = index_file_name(i);
        const qiss::VectorIndex probe = qiss::VectorIndex::create(c.factory, d.dim);
        j["train_n"] = probe.is_trained() ? 0 : training_count(probe, opt);
        cfgs.push_back(std::move(j));
    }
    return {{"n", d.n},
            {"queries", d.queries},
            {"dim", d.dim},
            {"k", opt.k},
            {"seed", d.seed},
            {"generator",
             {{"cluster_size", d.cluster_size},
              {"centre_knee", d.centre_knee},
              {"noise_knee", d.noise_knee},
              {"spread", d.spread}}},
            {"stats",
             {{"nn1_cosine", stats.nn1_cosine},
              {"nn10_cosine", stats.nn10_cosine},
              {"random_cosine", stats.random_cosine},
              {"random_cosine_sd", stats.random_cosine_sd}}},
            {"files", {{"base", "base.fvecs"}, {"queries", "query.fvecs"}, {"gt", "gt.ivecs"}}},
            {"build_threads", build_threads},
            {"search_threads", 1},
            {"ef_construction", 80},
            {"warmup", opt.warmup},
            {"configs", cfgs}};
}

void run(const Options& opt) {
    QISS_CHECK(opt.k > 0 && static_cast<std::size_t>(opt.k) <= opt.data.n,
               "--k must be in [1, n], got {}", opt.k);
    QISS_CHECK(opt.block > 0, "--block must be positive");
    const int build_threads = opt.build_threads > 0 ? opt.build_threads : omp_get_max_threads();
    fs::create_directories(opt.out);

    auto t0 = Clock::now();
    const qiss::bench::Dataset data = qiss::bench::generate_dataset(opt.data);
    const qiss::bench::GroundTruth gt = qiss::bench::exact_knn(data.base, data.queries, opt.k);
    qiss::bench::write_fvecs(opt.out / "base.fvecs", data.base);
    qiss::bench::write_fvecs(opt.out / "query.fvecs", data.queries);
    qiss::bench::write_ivecs(opt.out / "gt.ivecs", gt);
    const qiss::bench::DataStats stats = qiss::bench::data_stats(data, gt);
    fmt::print(stderr, "{} vectors + {} queries of dim {}, ground truth: {:.1f} s\n",
               data.base.rows, data.queries.rows, data.base.dim, seconds_since(t0));
    if (opt.data_only) return;

    std::vector<AnnConfig> configs;
    for (const AnnConfig& c : qiss::bench::ann_configs(opt.data.n, opt.data.dim))
        if (opt.only.empty() || c.factory.find(opt.only) != std::string::npos) configs.push_back(c);
    QISS_CHECK(!configs.empty(), "no configuration matches --only '{}'", opt.only);
    write_json(opt.out / "meta.json", meta_json(opt, configs, stats, build_threads));

    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < configs.size(); ++i)
        results.push_back(bench_config(configs[i], i, data, gt, opt, build_threads));
    write_json(opt.out / "ours.json", {{"library", "qiss"}, {"configs", results}});
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    CLI::App app{"qiss ANN benchmark: recall@k and latency of VectorIndex vs bare FAISS"};
    app.add_option("--n", opt.data.n, "base vectors")->capture_default_str();
    app.add_option("--queries", opt.data.queries, "queries")->capture_default_str();
    app.add_option("--dim", opt.data.dim, "dimension")->capture_default_str();
    app.add_option("--k", opt.k, "neighbours per query (recall@k)")->capture_default_str();
    app.add_option("--seed", opt.data.seed, "data seed")->capture_default_str();
    app.add_option("--cluster-size", opt.data.cluster_size, "mean vectors per concept")
        ->capture_default_str();
    app.add_option("--spread", opt.data.spread, "noise around a concept")->capture_default_str();
    app.add_option("--out", opt.out, "output folder")->capture_default_str();
    app.add_option("--build-threads", opt.build_threads, "threads to build (0: all)")
        ->capture_default_str();
    app.add_option("--warmup", opt.warmup, "untimed queries per run")->capture_default_str();
    app.add_option("--block", opt.block, "queries per alternation block")->capture_default_str();
    app.add_option("--train-per-list", opt.train_per_list, "IVF training vectors per list")
        ->capture_default_str();
    app.add_option("--only", opt.only, "only the factory strings containing this")
        ->capture_default_str();
    app.add_flag("--keep-indexes", opt.keep_indexes,
                 "keep each index file (index-N.qiss-index) for the peers to search");
    app.add_flag("--data-only", opt.data_only, "write the vectors and ground truth, then stop");
    CLI11_PARSE(app, argc, argv);
    try {
        run(opt);
    } catch (const qiss::Error& e) {
        fmt::print(stderr, "bench_ann: {}\n", e.what());
        return 1;
    }
    return 0;
}
