#pragma once
/// @file faiss_ops.h
/// Building blocks of VectorIndex that only know FAISS: looking through wrapper indexes,
/// training sizes, stored defaults and per-call search parameters (FAISS 1.7.3).

#include <cstddef>
#include <string>

#include <faiss/Index.h>
#include <faiss/impl/FaissException.h>

#include "index/search_options.h"

namespace faiss {
struct IndexHNSW;
struct IDSelector;
}  // namespace faiss

namespace qiss::faiss_ops {

using idx_t = faiss::Index::idx_t;

/// FAISS's message without its "Error in FUNCTION at FILE:LINE: " prefix.
std::string message(const faiss::FaissException& e);

/// The index below wrappers that only pre-process queries or re-rank results.
const faiss::Index* unwrap(const faiss::Index* index);
faiss::Index* unwrap(faiss::Index* index);

/// Whether search() applies an IDSelector for this index type in FAISS 1.7.3.
bool supports_selector(const faiss::Index* index);

/// The fewest training vectors FAISS accepts for `index` (0 if it needs no training).
std::size_t min_training(const faiss::Index* index);

/// Sets the stored defaults of a new index to those of SearchOptions, plus HNSW's
/// efConstruction.
void set_defaults(faiss::Index* index);

/// Stores `options` in the index (HNSW efSearch, IVF nprobe, refine k_factor; an HNSW coarse
/// quantizer's efSearch is raised to at least 2·nprobe so that it can return nprobe lists).
void store_search_options(faiss::Index* index, const SearchOptions& options);

/// Whether the scores of `index` are exact inner products (flat storage or a flat refine).
bool has_exact_scores(const faiss::Index* index);

/// The HNSW graph of `index` (through wrappers), or null.
faiss::IndexHNSW* hnsw_of(faiss::Index* index);

/// The HNSW coarse quantizer of an IVF `index` (`IVF{n}_HNSW32`, through wrappers), or null.
faiss::IndexHNSW* hnsw_quantizer_of(faiss::Index* index);

/// efSearch of an HNSW coarse quantizer while vectors are added: each needs only its nearest
/// list (FAISS's default; the stored value serves nprobe lists per query).
inline constexpr int kAssignEfSearch = 16;

/// Searches `index` for the k best labels per query, passing the per-call options and the
/// selector (when not null) to the index types that accept them, and performing the refine step
/// of `IndexRefine` itself (FAISS 1.7.3's refine takes no parameters).
void search(const faiss::Index* index, idx_t n, const float* x, idx_t k, float* distances,
            idx_t* labels, const SearchOptions& options, const faiss::IDSelector* sel);

}  // namespace qiss::faiss_ops
