#pragma once
/// @file file_util.h
/// Durable file writes shared by everything qiss persists.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace qiss {

/// Writes `data` to `path` atomically: a temporary file in the same folder, fsync, rename over
/// `path`, fsync of the folder. A crash leaves either the old file or the new one, never a mix.
/// Throws qiss::Error on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

/// Reads a whole file into memory. Throws qiss::Error if it cannot be read or exceeds max_bytes.
std::string read_file_bytes(const std::filesystem::path& path,
                            std::uint64_t max_bytes = UINT64_MAX);

/// `bytes` inflated if they are gzip data (magic 1f 8b), else unchanged. Throws qiss::Error
/// naming `what` for damaged gzip data or an inflated size above max_bytes.
std::string gunzip_if_compressed(std::string bytes, const std::string& what,
                                 std::uint64_t max_bytes = 64ull << 20);

}  // namespace qiss
