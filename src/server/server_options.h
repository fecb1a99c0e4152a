#pragma once
/// @file server_options.h
/// The settings of `qiss serve` (ServerOptions) and the description of a route (RouteInfo),
/// shared by server.h and the route handlers (routes.h).

#include <cstddef>
#include <filesystem>
#include <string>

#include "engine/query.h"
#include "image/image_io.h"
#include "ingest/fetch.h"

namespace qiss::server {

/// Settings of the server; each has a safe default.
struct ServerOptions {
    std::string host = "127.0.0.1";  ///< loopback only unless told otherwise
    int port = 8080;                 ///< 0: any free port (start() returns it)
    int threads = 0;  ///< worker threads that answer complete requests; 0 = max(8, cores)
    /// Threads one request's embedding may use: requests already run in parallel, and nested
    /// thread teams on every worker cost 5-10× the throughput. The server sets it on its own
    /// worker threads only (their OpenMP teams); the process-wide settings (ATen, OpenBLAS)
    /// are the program's (`qiss serve` calls limit_compute_threads with the same value).
    int embed_threads = 1;
    /// Bearer token that allows POST /api/images and DELETE /api/images/{id}; empty: both
    /// are refused with 403 (the collection is then opened read-only).
    std::string token;
    std::filesystem::path web_dir;  ///< empty: the page embedded in the binary

    std::size_t max_upload_bytes = 20000000;  ///< an image upload or download (20 MB); beyond: 413
    std::size_t max_caption_bytes = 2000;
    int default_k = kDefaultK;
    QueryLimits query;  ///< k 1..1000, offset 0..10000, text 2000 bytes, 8 terms
    DecodeLimits decode;
    FetchLimits fetch;  ///< for {"image_url": …}; max_bytes is set from max_upload_bytes
    bool allow_image_url = false;  ///< whether the server may download {"image_url": …}
    /// Whether those downloads may go to loopback, private, link-local… addresses (FetchLimits).
    bool allow_private_urls = false;
    /// Show absolute source and model paths (results, records, /api/health); by default sources
    /// are relative to the folder they were indexed from and the model shows its file name.
    bool absolute_paths = false;

    int io_threads = 2;                    ///< threads that accept connections and read requests
    std::size_t max_connections = 4096;    ///< open connections; beyond: 503 and closed
    std::size_t max_header_bytes = 16384;  ///< request line and header fields; beyond: 431
    int header_timeout_s = 10;  ///< to send a whole request header; then the connection is closed
    int read_timeout_s = 10;    ///< a client that sends nothing this long is dropped
    int body_timeout_s = 120;   ///< to send a whole request body
    int write_timeout_s = 10;   ///< a client that reads nothing this long is dropped
    int keep_alive_timeout_s = 5;
    std::size_t keep_alive_max = 100;  ///< requests per connection
    int shutdown_timeout_s = 10;       ///< on stop(): time to answer the requests in progress

    /// Read-only: how often a background thread applies what another process wrote to the
    /// collection (and reloads the index file if that process re-typed it).
    double refresh_interval_s = 1;
    /// Writable: how often a background thread re-types the index for the collection's size
    /// (as `qiss index` does) and saves it; requests never wait for either.
    double index_save_interval_s = 60;
    int thumbnail_side = 256;
    int thumbnail_quality = 85;
};

/// A route the server answers: METHOD (GET, POST or DELETE; HEAD is served by GET) and a path
/// regex, with its name in metrics (`qiss_http_requests_total{endpoint=…}`).
struct RouteInfo {
    std::string method;
    std::string
        pattern;  ///< ECMAScript regex matched against the whole path, e.g. /api/images/(\d+)
    std::string name;
};

}  // namespace qiss::server
