#pragma once
/// @file faiss_check.h
/// Checks a FAISS index read from a file against the invariants that its searches rely on.
/// FAISS 1.7.3's reader trusts the sizes and graph links it reads: an HNSW neighbour list that
/// names a vector beyond the last made a search read out of bounds (found by
/// fuzz/fuzz_index_file.cpp). The index file's CRC catches accidental damage first; this catches
/// a file written with a correct CRC around an inconsistent index.

#include <string>

#include <faiss/Index.h>

namespace qiss::faiss_ops {

/// What is inconsistent in `index` (flat codes, HNSW graph, IVF lists, id map, refine and
/// pre-transform wrappers, checked through the wrappers), or "" when nothing is. Types it does
/// not know are taken as they are.
std::string find_inconsistency(const faiss::Index* index);

}  // namespace qiss::faiss_ops
