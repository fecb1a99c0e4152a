#pragma once
/// @file index_factory.h
/// Chooses the FAISS index type from the size of a collection (see docs/index.md).

#include <cstddef>
#include <string>

namespace qiss {

/// Collections below this many vectors get an exact `Flat` index. (A scan of 10,000 vectors of
/// dimension 256 takes about 2 ms on a 2-core machine with Debian's FAISS; HNSW answers in a
/// fraction of that beyond: docs/benchmarks.md.)
inline constexpr std::size_t kFlatMaxVectors = 10'000;
/// Collections up to this many vectors get `HNSW32`; larger ones get IVF-PQ, re-ranked with the
/// stored vectors.
inline constexpr std::size_t kHnswMaxVectors = 5'000'000;

/// Number of IVF lists for `n_vectors`: about 4·√n rounded to the nearest power of two, at least
/// 1 and at most 65,536.
int default_ivf_nlist(std::size_t n_vectors);

/// The default FAISS factory string for a collection of `n_vectors` vectors of dimension `dim`:
/// `Flat` below kFlatMaxVectors, `HNSW32` up to kHnswMaxVectors, else
/// `IVF{nlist}_HNSW32,PQ{m}x8np` with nlist = default_ivf_nlist(n) and m = the largest divisor
/// of `dim` not above dim/8. Throws qiss::Error if `dim` is not positive.
std::string default_index_factory(std::size_t n_vectors, int dim);

}  // namespace qiss
