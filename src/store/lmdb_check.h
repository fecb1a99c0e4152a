#pragma once
/// @file lmdb_check.h
/// Checks an LMDB data file against its own meta pages before LMDB maps it: a file cut short
/// (a full disk, a bad copy) would otherwise be mapped past its end and the first read of a
/// missing page would kill the process with SIGBUS.

#include <filesystem>

namespace qiss::lmdb {

/// Throws qiss::Error naming `data_file` when it is shorter than the pages its newest valid meta
/// page says are in use (last page number + 1, times the page size), or shorter than its two
/// meta pages. Does nothing when the file does not exist, is empty (LMDB creates it) or has no
/// valid meta pages (LMDB refuses it with its own error).
void check_data_file(const std::filesystem::path& data_file);

}  // namespace qiss::lmdb
