#pragma once
/// @file faiss_layout.h
/// Checks the bytes of a serialised FAISS index before FAISS reads them. FAISS 1.7.3's reader
/// allocates whatever a length field says (fuzz finding 3) and computes with fields before
/// checking them (a product quantizer's `d % M` with M = 0 stopped the process with SIGFPE,
/// finding 10). This walk follows the same layout (faiss/impl/index_read.cpp of 1.7.3) without
/// allocating or computing anything the file asks for: each length against the bytes left, each
/// enumerated value against its enumerators, each size against the sizes it derives from.
/// faiss_check.h checks what FAISS read afterwards (graph links, list contents).

#include <cstdint>
#include <string>

#include <faiss/impl/io.h>

namespace qiss::faiss_ops {

/// What is wrong with the FAISS index serialised in the next `length` bytes of `in`, or "" when
/// nothing is. Reads at most `length` bytes (all of them when the layout is right). Knows the
/// index types qiss's factory strings can make: Flat, SQ, PQ, HNSW (Flat or SQ storage),
/// IVF (Flat, SQ, PQ, PQR) over a Flat or HNSW quantizer, pre-transforms (PCA, OPQ, random
/// rotation, remap, normalisation, centring), refine and id-map wrappers; any other type is
/// reported as one qiss does not read. Never throws for the bytes' sake; an I/O error of `in`
/// is reported as a truncation.
std::string find_layout_problem(faiss::IOReader& in, std::uint64_t length);

/// Whether find_layout_problem()'s answer means an index type it does not know (as opposed
/// to damage).
bool is_unknown_type(const std::string& problem);

}  // namespace qiss::faiss_ops
