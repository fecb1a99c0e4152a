#include "ingest/fetch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include <curl/curl.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/file_util.h"

namespace qiss {
namespace {

struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
};

struct Body {
    std::string data;
    std::uint64_t limit = 0;
    bool too_big = false;
};

std::size_t on_data(char* ptr, std::size_t size, std::size_t n, void* user) {
    auto* body = static_cast<Body*>(user);
    std::size_t bytes = size * n;
    if (body->data.size() + bytes > body->limit) {
        body->too_big = true;
        return 0;  // aborts the transfer
    }
    body->data.append(ptr, bytes);
    return bytes;
}

/// CURLOPT_OPENSOCKETFUNCTION: refuses to open a socket to an address the policy forbids.
struct AddressPolicy {
    bool refused = false;
    std::string address, why;
};

curl_socket_t open_checked_socket(void* user, curlsocktype, curl_sockaddr* a) {
    auto* policy = static_cast<AddressPolicy*>(user);
    std::string why;
    if (is_private_address(&a->addr, &why)) {
        policy->refused = true;
        policy->why = why;
        char text[INET6_ADDRSTRLEN] = "?";
        if (a->family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a->addr)->sin_addr, text,
                        sizeof(text));
        else if (a->family == AF_INET6)
            ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a->addr)->sin6_addr, text,
                        sizeof(text));
        policy->address = text;
        return CURL_SOCKET_BAD;
    }
    return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

bool is_private_v4(std::uint32_t ip, std::string* why) {
    auto in = [ip](std::uint32_t net, int bits) {
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
        return (ip & mask) == net;
    };
    const char* kind = nullptr;
    if (in(0x7f000000, 8))
        kind = "loopback";
    else if (in(0x00000000, 8))
        kind = "unspecified";
    else if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10) ||
             in(0xc0000000, 24) || in(0xc6120000, 15))
        kind = "private";
    else if (in(0xa9fe0000, 16))
        kind = "link-local";
    else if (in(0xe0000000, 4))
        kind = "multicast";
    else if (in(0xf0000000, 4))
        kind = "reserved";
    if (kind && why) *why = kind;
    return kind != nullptr;
}

}  // namespace

bool is_private_address(const sockaddr* addr, std::string* why) {
    if (addr->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
        return is_private_v4(ntohl(v4->sin_addr.s_addr), why);
    }
    if (addr->sa_family != AF_INET6) {
        if (why) *why = "not an internet";
        return true;
    }
    const auto* b = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr.s6_addr;
    auto embedded_v4 = [b] {
        return (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
               (std::uint32_t{b[14]} << 8) | b[15];
    };
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static constexpr std::uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0)
        return is_private_v4(embedded_v4(), why);
    bool zero_prefix = true;
    for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
    const char* kind = nullptr;
    if (zero_prefix && b[15] == 1)
        kind = "loopback";
    else if (zero_prefix && b[15] == 0)
        kind = "unspecified";
    else if (zero_prefix)
        kind = "reserved";  // IPv4-compatible (deprecated)
    else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        kind = "link-local";
    else if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        kind = "private";  // site-local (deprecated)
    else if ((b[0] & 0xfe) == 0xfc)
        kind = "private";  // unique local
    else if (b[0] == 0xff)
        kind = "multicast";
    if (kind && why) *why = kind;
    return kind != nullptr;
}

std::string fetch_url(const std::string& url, const FetchLimits& limits) {
    static CurlGlobal global;
    QISS_CHECK(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0,
               "{}: only http and https URLs are supported", url);
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    QISS_CHECK(curl != nullptr, "{}: cannot initialise libcurl", url);
    Body body;
    body.limit = limits.max_bytes;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, limits.max_redirects);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, limits.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, limits.total_timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "qiss/" QISS_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    AddressPolicy policy;
    if (!limits.allow_private_addresses) {
        // Every connection, redirects included, opens its socket here, on the resolved address.
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &policy);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");  // a proxy would connect for us, unchecked
    }
    CURLcode rc = curl_easy_perform(c);
    QISS_CHECK_KIND(rc == CURLE_OK || !policy.refused, forbidden,
                    "{}: refused to connect to {}, a {} address (this server only downloads "
                    "from public addresses)",
                    url, policy.address, policy.why);
    QISS_CHECK(!body.too_big && rc != CURLE_FILESIZE_EXCEEDED,
               "{}: download exceeds the limit of {} bytes", url, limits.max_bytes);
    QISS_CHECK(rc == CURLE_OK, "{}: download failed: {}", url, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    QISS_CHECK(status >= 200 && status < 300, "{}: HTTP status {}", url, status);
    return std::move(body.data);
}

std::string fetch_source(const std::string& source, bool is_url, const FetchLimits& limits) {
    if (is_url) return fetch_url(source, limits);
    return read_file_bytes(source, limits.max_bytes);
}

}  // namespace qiss
