#pragma once
/// @file fetch.h
/// Reading an image's bytes from a file or an http(s) URL (libcurl), with limits.

#include <cstdint>
#include <string>

struct sockaddr;

namespace qiss {

/// Limits of a download; each has a safe default.
struct FetchLimits {
    std::uint64_t max_bytes = 64ull << 20;  ///< larger bodies are refused
    long connect_timeout_s = 10;
    long total_timeout_s = 60;
    long max_redirects = 5;
    /// Whether a download may connect to a loopback, private (RFC 1918, unique local, shared
    /// address space), link-local, unspecified, multicast or reserved address. Checked on the
    /// address each connection actually goes to (after DNS, on every redirect), so a name that
    /// resolves or later re-resolves to such an address is refused too; proxies are then not
    /// used. `qiss index` allows them (the user chose the URLs); the server does not, by default.
    bool allow_private_addresses = true;
};

/// Whether `addr` (AF_INET or AF_INET6) is one of the addresses allow_private_addresses = false
/// refuses; `why` receives its class ("loopback", "private", …) when it is.
bool is_private_address(const struct sockaddr* addr, std::string* why = nullptr);

/// Downloads an http(s) URL. Throws qiss::Error naming the URL for a network error, an HTTP
/// status other than 2xx, a body over the limit, or another scheme; of kind forbidden for an
/// address that the limits refuse.
std::string fetch_url(const std::string& url, const FetchLimits& limits = {});

/// Reads a file (limit: max_bytes) or fetches a URL.
std::string fetch_source(const std::string& source, bool is_url, const FetchLimits& limits = {});

}  // namespace qiss
