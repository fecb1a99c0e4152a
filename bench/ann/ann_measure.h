#pragma once
/// @file ann_measure.h
/// Measuring helpers of the ANN benchmark: latency summaries, recall, resident memory, and the
/// bare FAISS index inside a qiss index file (to time the library without our search path).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <faiss/Index.h>

#include "ann/ann_data.h"
#include "index/vector_index.h"

namespace qiss::bench {

/// Per-query times in milliseconds, summarised (p50/p99 by nearest rank).
struct Latency {
    double mean_ms = 0;
    double p50_ms = 0;
    double p99_ms = 0;
};

Latency summarize(std::vector<double> ms);

/// Mean recall@k of `found` (queries × k ids, -1 for a missing result) against `gt`.
double recall_at_k(const std::vector<int64_t>& found, const GroundTruth& gt);

/// Bytes of heap memory in use (glibc mallinfo2: arena + mmap'ed blocks). Unlike the resident
/// set size, memory freed by an earlier configuration and reused does not hide the growth.
std::size_t heap_bytes();

/// CPU time of this process (all threads, user + system) in seconds.
double process_cpu_s();

/// CPU time of the calling thread in milliseconds: a search on one thread is charged only for
/// the time it ran, not for the time another process had the core (the machine may be shared).
double thread_cpu_ms();

/// The FAISS index stored in a qiss index file (docs/format.md, "Index file"): an
/// IndexIDMap2 around the factory's index that VectorIndex searches, or an IVF index that holds
/// the ids itself (then `inner` is that index).
struct BareIndex {
    std::unique_ptr<faiss::Index> id_map;
    faiss::Index* inner = nullptr;  ///< owned by id_map (or id_map itself)
};

/// Reads the FAISS part of the qiss index file at `path`.
BareIndex read_bare_index(const std::filesystem::path& path);

/// Sets `options` on the fields of a bare FAISS index, the way a FAISS user tunes an index:
/// efSearch on HNSW, nprobe on IVF (also below a refine wrapper), k_factor on IndexRefine.
void set_faiss_knobs(faiss::Index* index, const SearchOptions& options);

}  // namespace qiss::bench
