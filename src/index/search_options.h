#pragma once
/// @file search_options.h
/// The per-search knobs of a VectorIndex, shared by vector_index.h and faiss_ops.h.

namespace qiss {

/// Search knobs. Each applies only to the index types that have it; the values are passed to
/// FAISS with each call. A collection's defaults are also stored in the index
/// (VectorIndex::set_search_defaults) so that searches using them take the concurrent path.
struct SearchOptions {
    /// HNSW: size of the candidate list explored per query (raised to k when smaller).
    int ef_search = 48;
    /// IVF: number of inverted lists visited per query (clamped to [1, nlist]).
    int nprobe = 32;
    /// Re-ranking: the base index returns k·k_factor candidates that are re-scored exactly,
    /// by the refine index (`...,RFlat`) or, for an index without exact scores (IVF-PQ), by the
    /// caller with the stored vectors (Collection::search).
    float k_factor = 4.0f;
};

}  // namespace qiss
