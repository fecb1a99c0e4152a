#pragma once
/// @file http_front.h
/// The HTTP/1.1 front of `qiss serve`, event-driven (Boost.Beast over Asio): a few I/O threads
/// accept connections and read requests under deadlines and limits, with strict framing
/// (RFC 9112); each complete request is answered on a pool of worker threads, so a slow or
/// idle client never holds a worker. Requests and answers are cpp-httplib's plain structs,
/// which the routes use.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

namespace qiss::server {

/// Limits of the front; each has a safe default.
struct FrontOptions {
    std::string host = "127.0.0.1";
    int port = 8080;  ///< 0: any free port
    int io_threads = 2;
    int workers = 8;                         ///< threads that answer complete requests
    std::size_t max_connections = 4096;      ///< beyond: 503 and closed at once
    std::size_t max_request_line = 8192;     ///< beyond: 414
    std::size_t max_header_bytes = 16384;    ///< request line and fields; beyond: 431
    std::size_t max_body_bytes = 20u << 20;  ///< beyond: 413 as soon as it is known
    int header_timeout_s = 10;               ///< to send a whole request header, first byte to last
    int read_timeout_s = 10;       ///< silence before a new connection's first byte or in a body
    int body_timeout_s = 120;      ///< to send a whole body
    int write_timeout_s = 10;      ///< to read an answer
    int keep_alive_timeout_s = 5;  ///< silence between two requests of one connection
    std::size_t keep_alive_max = 100;  ///< requests per connection
    int shutdown_timeout_s = 10;       ///< on stop(): time to answer the requests in progress
    httplib::Headers default_headers;  ///< added to every answer that lacks them
};

/// Answers a complete request; runs on a worker thread and must not throw. `res.status` -1
/// means 200.
using FrontHandler = std::function<void(httplib::Request& req, httplib::Response& res)>;
/// Fills in the answer of a request the front refuses itself (malformed, over a limit): sets
/// the status, the body and whatever is logged. `req` holds what was read of the request.
using FrontRejecter = std::function<void(const httplib::Request& req, httplib::Response& res,
                                         int status, const std::string& message)>;

/// The listening socket, the I/O threads and the worker pool.
class HttpFront {
  public:
    HttpFront(FrontOptions options, FrontHandler handler, FrontRejecter rejecter);
    ~HttpFront();
    HttpFront(const HttpFront&) = delete;
    HttpFront& operator=(const HttpFront&) = delete;

    /// Binds host:port and returns the port, or -1 if the address cannot be bound. Raises the
    /// process's open-file limit towards max_connections.
    int bind();
    /// Serves until stop(); returns once every worker has finished.
    void run();
    /// Makes run() return (also before it began); from any thread. Gracefully: no new
    /// connection is accepted, idle ones are closed, and the requests in progress are answered
    /// (`Connection: close`) within shutdown_timeout_s before run() returns.
    void stop();

    struct Impl;  ///< internal to http_front.cpp

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace qiss::server
