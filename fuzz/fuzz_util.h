#pragma once
// Shared by the fuzz targets (not part of qiss_core).
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace qiss::fuzz {

/// The input as a string.
inline std::string bytes_of(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Runs `check` on the input as it is, then (inputs of 4 bytes or more) with its last 4 bytes
/// replaced by the CRC-32 of the rest, so that mutations get past a file's trailing checksum.
template <typename Check>
void with_and_without_crc(const std::uint8_t* data, std::size_t size, Check check) {
    std::string bytes = bytes_of(data, size);
    check(bytes);
    if (size < 4) return;
    const auto crc = static_cast<std::uint32_t>(
        ::crc32(::crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size - 4)));
    for (int i = 0; i < 4; ++i) bytes[size - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
    check(bytes);
}

/// Warnings about bad inputs are expected by the thousand: keep the fuzzer's output readable.
inline void quiet_logs() {
    spdlog::set_level(spdlog::level::off);
}

/// A folder of this process in /dev/shm (tmpfs) when there is one, else in the temp folder; for
/// the readers that only take a path. Created once, removed at exit.
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        const std::filesystem::path shm = "/dev/shm";
        const auto base =
            std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path();
        auto d = base / ("qiss-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratch_dir(), ec);
        });
        return d;
    }();
    return dir;
}

/// Writes `bytes` to `name` in scratch_dir() and returns its path.
inline std::filesystem::path scratch_file(const std::string& name, std::string_view bytes) {
    const auto path = scratch_dir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) std::abort();  // the scratch folder is full: not a finding, but stop
    return path;
}

}  // namespace qiss::fuzz
