#pragma once
/// @file server.h
/// `qiss serve`: the HTTP API (docs/api.md) and the search page over one collection. An
/// event-driven front (http_front.h) reads requests; searches run on a pool of worker threads
/// concurrently with additions and deletions (Collection is thread-safe for that). Every limit
/// has a safe default.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/collection.h"
#include "server/server_options.h"

namespace qiss::server {

/// The server over one open collection (which must outlive it).
class Server {
  public:
    /// Checks the options and sets the routes; `writable` tells whether the collection was
    /// opened for writing (POST/DELETE need it and a token).
    Server(Collection& collection, bool writable, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds host:port and returns the port (the chosen one for port 0). Throws qiss::Error if
    /// the address cannot be bound.
    int start();
    /// Serves until stop(); returns once every worker has finished.
    void listen();
    /// Makes listen() return, from any thread except a request handler (also when listen()
    /// has not begun yet). Blocks until listen() has returned if it was running.
    void stop();
    /// Every route, in the order requests are matched against them (docs/openapi.json
    /// describes each).
    std::vector<RouteInfo> routes() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The first line of a token file, without surrounding whitespace. Throws qiss::Error if the
/// file cannot be read or the line is empty.
std::string read_token_file(const std::filesystem::path& file);

}  // namespace qiss::server
