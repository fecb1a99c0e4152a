#pragma once
/// @file fetch.h
/// Reading an image's bytes from a file or an http(s) URL (libcurl), with limits.

#include <cstdint>
#include <string>

namespace qiss {

/// Limits of a download; each has a safe default.
struct FetchLimits {
    std::uint64_t max_bytes = 64ull << 20;  ///< larger bodies are refused
    long connect_timeout_s = 10;
    long total_timeout_s = 60;
    long max_redirects = 5;
};

/// Downloads an http(s) URL. Throws qiss::Error naming the URL for a network error, an HTTP
/// status other than 2xx, a body over the limit, or another scheme.
std::string fetch_url(const std::string& url, const FetchLimits& limits = {});

/// Reads a file (limit: max_bytes) or fetches a URL.
std::string fetch_source(const std::string& source, bool is_url, const FetchLimits& limits = {});

}  // namespace qiss
