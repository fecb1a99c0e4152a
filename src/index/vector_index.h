#pragma once
/// @file vector_index.h
/// The vector index: FAISS behind caller-chosen 64-bit ids, inner-product similarity, deletions
/// by tombstones, and a versioned, checksummed file (docs/index.md, docs/format.md).

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "index/id_set.h"
#include "index/search_options.h"

namespace qiss {

/// The results of one query, best first.
struct SearchResult {
    std::vector<int64_t> ids;   ///< caller ids, at most k, no padding
    std::vector<float> scores;  ///< inner products, descending
};

/// A FAISS index of float32 unit vectors of dimension dim(), searched by inner product, whose
/// vectors carry stable 64-bit ids chosen by the caller.
///
/// Thread safety: search(), size() and the other const members may run concurrently from any
/// number of threads. train(), add(), remove() and set_applied_seq() take an exclusive lock, so
/// they wait for running searches (and searches wait for them); callers should still serialise
/// writers so that the order of updates is theirs.
///
/// Ids: an IVF index (`IVF...`, without a refine or pre-transform wrapper) keeps the caller ids
/// in its inverted lists (8 bytes per vector); other types sit behind FAISS's IndexIDMap2.
///
/// Deletions: IVF removes the vectors for real. Other types record a tombstone; removed vectors
/// stay in the FAISS index and are filtered out of every search (an IDSelector for Flat and
/// HNSW, over-fetching for other types); such a removed id cannot be added again, and a rebuild
/// reclaims the space.
class VectorIndex {
  public:
    /// A new, empty index built by faiss::index_factory(dim, factory, METRIC_INNER_PRODUCT),
    /// e.g. "Flat", "HNSW32", "IVF1024,PQ32x8np", "IVF16384_HNSW32,PQ32x8np". HNSW gets
    /// efConstruction 80 and efSearch 48. Throws qiss::Error for an invalid factory string or
    /// dimension.
    static VectorIndex create(const std::string& factory, int dim);

    /// Reads an index written by save(), streaming the file (its CRC is checked before FAISS
    /// parses it). Throws qiss::Error if the file is not a qiss index, has a newer format
    /// version, is truncated or is corrupted.
    static VectorIndex load(const std::filesystem::path& path);

    VectorIndex(VectorIndex&&) noexcept;
    VectorIndex& operator=(VectorIndex&&) noexcept;
    ~VectorIndex();

    /// Whether add() may be called (false for IVF/PQ types until train()).
    bool is_trained() const;

    /// The fewest training vectors train() accepts for this index type (0 if none needed).
    std::size_t min_training_vectors() const;

    /// Whether the index keeps the caller ids itself (IVF types; see the class comment).
    bool has_native_ids() const;

    /// Whether search scores are exact inner products (Flat, HNSW, IVF-Flat, refine); false for
    /// compressed codes (PQ, SQ), whose candidates callers re-rank with the original vectors.
    bool has_exact_scores() const;

    /// Trains the index on `n` row-major vectors. Throws qiss::Error if there are fewer than
    /// min_training_vectors() or the index already holds vectors.
    void train(const float* x, std::size_t n);

    /// Adds `n` row-major vectors with their ids. Throws qiss::Error if the index is not
    /// trained, an id is negative, repeated, already present or was removed.
    void add(const float* x, const int64_t* ids, std::size_t n);

    /// Removes the vectors with these ids; unknown or already removed ids are ignored.
    /// Returns how many were removed.
    std::size_t remove(const int64_t* ids, std::size_t n);

    /// Whether `id` is a live (added, not removed) vector.
    bool contains(int64_t id) const;

    /// Number of live vectors.
    std::size_t size() const;

    /// Number of removed vectors still held by FAISS (a rebuild reclaims them).
    std::size_t tombstone_count() const;

    /// Dimension of the vectors.
    int dim() const;

    /// The FAISS factory string the index was created with.
    std::string factory() const;

    /// Position in the store's operation log that this index reflects (opaque to the index).
    uint64_t applied_seq() const;

    /// Sets the operation-log position saved with the index.
    void set_applied_seq(uint64_t seq);

    /// The identity of the store the index was built from (opaque to the index; all zero when
    /// unknown, e.g. in a file of format version 1 or 2).
    using StoreId = std::array<std::uint8_t, 16>;
    StoreId store_id() const;
    /// Sets the store identity saved with the index.
    void set_store_id(const StoreId& id);

    /// Searches `nq` row-major queries for their `k` best live vectors. Returns one result per
    /// query, sorted by descending score, with fewer than k entries when fewer exist. An HNSW
    /// search whose ef_search differs from the stored one (48 by default) runs alone (exclusive
    /// lock). With `allowed`, only vectors whose id is in it are returned: inside the FAISS
    /// search where the type accepts a selector (can_restrict()), else by dropping the others
    /// from the k found (then fewer may come back). Throws qiss::Error if k is not positive.
    std::vector<SearchResult> search(const float* queries, std::size_t nq, int k,
                                     const SearchOptions& options = {},
                                     const IdSet* allowed = nullptr) const;
    /// Whether search() applies `allowed` inside FAISS (Flat, HNSW, IVF types).
    bool can_restrict() const;

    /// Stores `options` as the index's own parameters (HNSW efSearch, IVF nprobe, refine
    /// k_factor). Searches passing the same values take the concurrent path; for HNSW, another
    /// ef_search runs alone (see search()). Takes the exclusive lock.
    void set_search_defaults(const SearchOptions& options);

    /// Writes the index atomically to `path` (format in docs/format.md), streaming it: the file
    /// is never held in memory.
    void save(const std::filesystem::path& path) const;

  private:
    struct Impl;
    explicit VectorIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace qiss
