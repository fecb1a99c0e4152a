#include "ingest/fetch.h"

#include <memory>

#include <curl/curl.h>

#include "common/error.h"
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

}  // namespace

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
    CURLcode rc = curl_easy_perform(c);
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
