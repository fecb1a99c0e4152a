#pragma once
/// @file content_hash.h
/// Content addressing of files: the same bytes give the same key wherever the file lives.

#include <cstdint>
#include <span>
#include <string>

namespace qiss {

/// SHA-256 of `bytes` as 64 lower-case hexadecimal digits.
std::string content_hash(std::span<const std::uint8_t> bytes);

}  // namespace qiss
