#pragma once
// Each subcommand lives in its own cmd_<name>.cpp and registers itself here.
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>

#include "index/vector_index.h"

namespace qiss::cli {

/// The search knobs of `qiss search` and `qiss serve` (docs/index.md, "Search knobs").
inline void add_search_options(CLI::App* sub, SearchOptions& o) {
    sub->add_option("--ef-search", o.ef_search,
                    "HNSW: candidates explored per query (higher: better recall, slower)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    sub->add_option("--nprobe", o.nprobe, "IVF: inverted lists scanned per query")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();
    sub->add_option("--k-factor", o.k_factor,
                    "IVF-PQ: candidates re-ranked with the stored vectors per result")
        ->check(CLI::Range(1.0, 1000.0))
        ->capture_default_str();
}

/// `--filter-scan-max`: filtered searches keeping at most this many images scan their vectors
/// exactly; broader ones search the index restricted to them (CollectionOptions).
inline void add_filter_scan_option(CLI::App* sub, std::size_t& n) {
    sub->add_option("--filter-scan-max", n,
                    "Filtered searches: a filter keeping at most this many images is answered by "
                    "an exact scan of their vectors, a broader one by the index restricted to them")
        ->capture_default_str();
}

/// `--word-weight`: the weight of the words of a text query searched on their own
/// (engine/word_search.h; 0 = off); unset, the model's.
inline void add_word_weight_option(CLI::App* sub, std::optional<float>& weight) {
    sub->add_option("--word-weight", weight,
                    "Text queries of two or more words also search each word, its score times "
                    "this weight (0 = off, at most 1; default: the model's)")
        ->check(CLI::Range(0.0, 1.0));
}

/// `--map-size-gb`: the largest size the image store may reach (LMDB map size). Every command
/// that opens a collection takes it; `gb` receives the value (default 64).
inline void add_map_size_option(CLI::App* sub, double& gb) {
    sub->add_option(
           "--map-size-gb", gb,
           "Largest size the image store may reach (LMDB map size; address space, not disk)")
        ->check(CLI::Range(0.001, 1e6))
        ->capture_default_str();
}

/// The map size in bytes for a `--map-size-gb` value.
inline std::size_t map_size_bytes(double gb) {
    return static_cast<std::size_t>(gb * double(1ull << 30));
}

struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;  ///< returns the process exit code
};

Command register_corpus(CLI::App& app);
Command register_train(CLI::App& app);
Command register_eval(CLI::App& app);
Command register_calibrate(CLI::App& app);
Command register_embed(CLI::App& app);
Command register_model(CLI::App& app);
Command register_index(CLI::App& app);
Command register_search(CLI::App& app);
Command register_explain(CLI::App& app);
Command register_rm(CLI::App& app);
Command register_dupes(CLI::App& app);
Command register_info(CLI::App& app);
Command register_serve(CLI::App& app);

inline void register_all(CLI::App& app, std::vector<Command>& out) {
    out.push_back(register_corpus(app));
    out.push_back(register_train(app));
    out.push_back(register_eval(app));
    out.push_back(register_calibrate(app));
    out.push_back(register_embed(app));
    out.push_back(register_model(app));
    out.push_back(register_index(app));
    out.push_back(register_search(app));
    out.push_back(register_explain(app));
    out.push_back(register_rm(app));
    out.push_back(register_dupes(app));
    out.push_back(register_info(app));
    out.push_back(register_serve(app));
}

}  // namespace qiss::cli
