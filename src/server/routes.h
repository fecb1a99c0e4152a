#pragma once
// Internal to src/server: what the route handlers (routes_*.cpp) share with server.cpp.
#include <atomic>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/query.h"
#include "image/image_io.h"
#include "server/answer_json.h"
#include "server/metrics.h"
#include "server/request_input.h"
#include "server/server_options.h"

namespace qiss::server {

/// A route's handler: reads the request, fills in the answer or throws (json_error.h).
using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

/// The collection, options and bookkeeping every handler uses.
class ServerContext {
  public:
    ServerContext(Collection& collection, const ServerOptions& options, bool writable,
                  Metrics& metrics);

    /// Registers a handler for METHOD (GET, POST or DELETE; HEAD is served by GET) and a path
    /// regex. It is named `name` in metrics; an exception it throws becomes a JSON error.
    void add_route(const std::string& method, const std::string& pattern, const std::string& name,
                   Handler handler);
    /// Runs the handler of the route that matches the request (setting req.matches and
    /// `endpoint`); false if none does.
    bool route(httplib::Request& req, httplib::Response& res, std::string& endpoint) const;
    /// The name of the route for a request, or "unmatched".
    std::string route_name(const std::string& method, const std::string& path) const;
    /// The methods that have a route for `path` (empty: an unknown path).
    std::vector<std::string> methods_for(const std::string& path) const;
    /// The routes as registered, in matching order.
    std::vector<RouteInfo> routes() const;

    /// Throws HttpError 403 if additions and deletions are disabled, 401 if the request does
    /// not carry the token (constant-time comparison).
    void require_write_access(const httplib::Request& req) const;

    Collection& collection;
    const ServerOptions& options;
    const bool writable;
    Metrics& metrics;

  private:
    struct Route {
        std::string method, name, pattern_text;
        std::regex pattern;
        Handler handler;
    };
    std::vector<Route> routes_;
};

/// The id captured by a route's `(\d+)`. Throws HttpError 404 if it is out of range.
std::uint64_t id_from_path(const httplib::Request& req);

/// Refuses an upload before decoding: empty (400), over --max-upload-mb (413), not an image
/// format qiss reads (415).
void check_upload(const std::string& bytes, const ServerOptions& options, const std::string& what);
/// The decoding limits of an upload (the server's, with its upload size).
DecodeLimits upload_limits(const ServerOptions& options);
/// Decodes uploaded or downloaded bytes with the server's limits: check_upload, then
/// qiss::Error (400) for a corrupt or over-large image.
DecodedImage decode_upload(const std::string& bytes, const ServerOptions& options,
                           const std::string& what);
/// Downloads {"image_url": …} with the server's limits. Throws HttpError 403 if the server
/// does not download, qiss::Error (400) for a bad URL or a failed download.
std::string download_image(const std::string& url, const ServerOptions& options);

/// The API paths of an image.
std::string image_url(std::uint64_t id);
/// How the server shows paths (ServerOptions::absolute_paths).
inline PathDisplay path_display(const ServerOptions& o) {
    return o.absolute_paths ? PathDisplay::Absolute : PathDisplay::Relative;
}
/// A record as GET /api/images/{id} answers it.
nlohmann::json record_json(const ImageRecord& record, PathDisplay display);

/// GET/POST /api/search, GET /api/images/{id}/similar.
void register_search_routes(ServerContext& ctx);
/// GET /api/images/{id}, …/thumbnail, POST /api/images, DELETE /api/images/{id}.
void register_image_routes(ServerContext& ctx);

}  // namespace qiss::server
