#pragma once
/// @file ann_configs.h
/// The index configurations of the ANN benchmark, in one place: bench_ann runs them and writes
/// them to meta.json, from which bench/peers/ann_peers.py runs the very same list.

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "index/vector_index.h"

namespace qiss::bench {

/// Which search knobs a configuration has (what is written to meta.json and the tables).
enum class Knobs { kNone, kEfSearch, kNprobe, kNprobeKFactor };

/// One index, built once, then searched with each of `runs`.
struct AnnConfig {
    std::string factory;  ///< FAISS factory string, as given to VectorIndex::create
    Knobs knobs = Knobs::kNone;
    std::vector<SearchOptions> runs;
};

/// The configurations for `n` vectors of dimension `dim`: Flat; HNSW32 (the engine's mid-size
/// default) with efSearch 16…128; IVF{nlist},Flat, IVF{nlist},PQ{m}x8np and
/// IVF{nlist},PQ{m}x8np,RFlat (the engine's large default) with nprobe 8…64 (and k_factor 4, 10
/// for RFlat), nlist and m as the engine chooses them for `n` and `dim` (index_factory.h).
std::vector<AnnConfig> ann_configs(std::size_t n, int dim);

/// The knobs of `run` that apply to `knobs`, e.g. {"efSearch": 64} or {"nprobe": 16,
/// "k_factor": 4}; FAISS's names, so the Python peers can pass them on.
nlohmann::json knobs_json(Knobs knobs, const SearchOptions& run);

/// The configuration as written to meta.json: factory, knobs, runs.
nlohmann::json config_json(const AnnConfig& config);

}  // namespace qiss::bench
