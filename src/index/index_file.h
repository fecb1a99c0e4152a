#pragma once
/// @file index_file.h
/// The index file's container (docs/format.md, "Index file"): a header, the FAISS index and a
/// CRC-32, written and read as a stream, so that neither side holds the file in memory.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <faiss/impl/io.h>

namespace qiss::index_file {

/// Current format version. 3 added the store identity; versions 1 and 2 are still read.
inline constexpr std::uint32_t kFormatVersion = 3;

/// The fields around the FAISS index.
struct Header {
    std::uint32_t version = kFormatVersion;  ///< as read; write() always writes kFormatVersion
    std::uint64_t applied_seq = 0;
    std::array<std::uint8_t, 16> store_id{};  ///< all zero: unknown (versions 1 and 2)
    std::uint32_t dim = 0;
    std::string factory;
    std::vector<std::int64_t> tombstones;  ///< sorted
};

/// Writes `header`, then what `write_faiss` writes to the stream, then the CRC, atomically to
/// `path` (a temporary file in the same folder, fsync, rename, fsync of the folder). Throws
/// qiss::Error on an I/O error; `path` is then unchanged.
void write(const std::filesystem::path& path, const Header& header,
           const std::function<void(faiss::IOWriter&)>& write_faiss);

/// Checks the FAISS part of `length` bytes that it reads from the stream (it may stop early);
/// returns what is wrong with it, or "".
using CheckFaiss = std::function<std::string(faiss::IOReader&, std::uint64_t length)>;

/// Reads a file written by write(). Checks, in this order, the magic, the version, each length
/// against the bytes left, that nothing follows the CRC, the CRC itself and what `check_faiss`
/// says of the FAISS part (run in the same pass as the CRC), all before `read_faiss` reads the
/// FAISS part from a stream that ends where that part ends; then that it read all of it. Throws
/// qiss::Error naming the file for each failure.
Header read(const std::filesystem::path& path, const CheckFaiss& check_faiss,
            const std::function<void(faiss::IOReader&)>& read_faiss);

/// Reads only the header up to the factory string (no tombstones, no CRC check): cheap, for
/// telling whether the file changed its index type. Throws qiss::Error like read().
Header read_header(const std::filesystem::path& path);

}  // namespace qiss::index_file
