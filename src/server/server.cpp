#include "server/server.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "model/compute_threads.h"
#include "server/http_front.h"
#include "server/index_maintenance.h"
#include "server/json_error.h"
#include "server/multipart.h"
#include "server/openapi.h"
#include "server/request_input.h"
#include "server/routes.h"
#include "server/web_assets.h"

namespace qiss::server {
namespace {

using Clock = std::chrono::steady_clock;
using httplib::Request;
using httplib::Response;

/// Compares a secret with a candidate in a time that depends on the secret's length only.
bool constant_time_equal(std::string_view secret, std::string_view candidate) {
    unsigned char diff = secret.size() == candidate.size() ? 0 : 1;
    for (std::size_t i = 0; i < secret.size(); ++i)
        diff |= static_cast<unsigned char>(secret[i]) ^
                static_cast<unsigned char>(i < candidate.size() ? candidate[i] : 0);
    return diff == 0;
}

}  // namespace

ServerContext::ServerContext(Collection& c, const ServerOptions& o, bool w, Metrics& m)
    : collection(c), options(o), writable(w), metrics(m) {}

void ServerContext::add_route(const std::string& method, const std::string& pattern,
                              const std::string& name, Handler handler) {
    QISS_ASSERT(method == "GET" || method == "POST" || method == "DELETE");
    routes_.push_back({method, name, pattern, std::regex(pattern), std::move(handler)});
}

bool ServerContext::route(Request& req, Response& res, std::string& endpoint) const {
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    for (const Route& r : routes_) {
        if (r.method != method || !std::regex_match(req.path, req.matches, r.pattern)) continue;
        endpoint = r.name;
        try {
            r.handler(req, res);
        } catch (...) {
            res = {};
            send_exception(res, std::current_exception());
            if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"qiss\"");
        }
        return true;
    }
    return false;
}

std::string ServerContext::route_name(const std::string& method, const std::string& path) const {
    const std::string m = method == "HEAD" ? "GET" : method;
    for (const Route& r : routes_)
        if (r.method == m && std::regex_match(path, r.pattern)) return r.name;
    return "unmatched";
}

std::vector<std::string> ServerContext::methods_for(const std::string& path) const {
    std::vector<std::string> out;
    for (const Route& r : routes_)
        if (std::find(out.begin(), out.end(), r.method) == out.end() &&
            std::regex_match(path, r.pattern))
            out.push_back(r.method);
    return out;
}

std::vector<RouteInfo> ServerContext::routes() const {
    std::vector<RouteInfo> out;
    for (const Route& r : routes_) out.push_back({r.method, r.pattern_text, r.name});
    return out;
}

void ServerContext::require_write_access(const Request& req) const {
    if (!writable || options.token.empty())
        throw HttpError(403,
                        "adding and deleting images is disabled on this server (start "
                        "`qiss serve` with --token-file to enable it)");
    const std::string auth = req.get_header_value("Authorization");
    if (auth.empty())
        throw HttpError(401, "this request needs the header `Authorization: Bearer <token>`");
    constexpr std::string_view kScheme = "Bearer ";
    if (!starts_with_ignoring_case(auth, kScheme) ||
        !constant_time_equal(options.token, std::string_view(auth).substr(kScheme.size())))
        throw HttpError(401, "wrong token");
}

std::uint64_t id_from_path(const Request& req) {
    const std::string s = req.matches[1];
    std::uint64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc() || p != s.data() + s.size())
        throw HttpError(404, fmt::format("no image with id {}", s));
    return id;
}

std::string read_token_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    QISS_CHECK(in, "{}: cannot read the token file", file.string());
    std::string line;
    std::getline(in, line);
    const auto first = line.find_first_not_of(" \t\r\n");
    const auto last = line.find_last_not_of(" \t\r\n");
    QISS_CHECK(first != std::string::npos, "{}: the first line (the token) is empty",
               file.string());
    return line.substr(first, last - first + 1);
}

struct Server::Impl {
    Impl(Collection& c, bool writable, ServerOptions o)
        : options(std::move(o)),
          ctx(c, options, writable, metrics),
          web(WebAssets::open(options.web_dir)) {}

    void set_up();
    void add_service_routes();
    /// Answers a complete request (on a worker thread of the front).
    void handle(Request& req, Response& res);
    /// Answers a request the front refused (malformed, over a limit, …).
    void reject(const Request& req, Response& res, int status, const std::string& message);
    /// 405 with Allow for a known path, else 404.
    void answer_unrouted(const Request& req, Response& res) const;
    /// The largest body the front reads: an upload of the largest size and its framing.
    std::size_t max_payload() const { return options.max_upload_bytes + (64u << 10); }

    ServerOptions options;
    Metrics metrics;
    ServerContext ctx;
    WebAssets web;
    std::unique_ptr<HttpFront> front;
    std::unique_ptr<IndexMaintenance> maintenance;
    std::atomic<bool> stop_requested{false};
    std::atomic<bool> listening{false};
};

void Server::Impl::answer_unrouted(const Request& req, Response& res) const {
    const auto methods = ctx.methods_for(req.path);
    if (methods.empty()) {
        send_error(res, 404, fmt::format("no such route: {} {}", req.method, req.path));
        return;
    }
    res.set_header("Allow", fmt::format("{}", fmt::join(methods, ", ")));
    send_error(res, 405,
               fmt::format("{} is not allowed on {}; use {}", req.method, req.path,
                           fmt::join(methods, " or ")));
}

void Server::Impl::add_service_routes() {
    ctx.add_route("GET", "/api/health", "health", [this](const Request&, Response& res) {
        const CollectionInfo i = ctx.collection.info();
        send_json(res, {{"status", "ok"},
                        {"version", QISS_VERSION},
                        {"images", i.images},
                        {"index_vectors", i.index_vectors},
                        {"index_tombstones", i.index_tombstones},
                        {"index_factory", i.index_factory},
                        {"keyword_images", i.keyword_images},
                        {"has_text", i.has_text},
                        {"writable", ctx.writable && !options.token.empty()},
                        {"model",
                         {{"path", options.absolute_paths
                                       ? i.model_path
                                       : std::filesystem::path(i.model_path).filename().string()},
                          {"sha256", i.model_fingerprint},
                          {"dim", ctx.collection.dim()}}}});
    });
    ctx.add_route("GET", "/metrics", "metrics", [this](const Request&, Response& res) {
        const CollectionInfo i = ctx.collection.info();
        res.set_content(metrics.render({i.images, i.index_vectors}),
                        "text/plain; version=0.0.4; charset=utf-8");
    });
    ctx.add_route("GET", R"(/api/openapi\.json)", "openapi", [](const Request&, Response& res) {
        res.set_header("Cache-Control", "no-cache");
        res.set_content(std::string(openapi_json()), "application/json");
    });
    ctx.add_route(
        "GET", WebAssets::path_pattern(), "page", [this](const Request& req, Response& res) {
            auto asset = web.get(req.path);
            if (!asset) {
                // The folder is the operator's business, not the client's.
                spdlog::warn("page file {} cannot be read from {}", req.path, web.origin());
                throw HttpError(404, fmt::format("the page file {} cannot be read "
                                                 "from the page folder (--web-dir)",
                                                 req.path));
            }
            res.set_header("Cache-Control", "no-cache");
            res.set_header("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' blob: data:; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors "
                           "'none'");
            res.set_content(asset->body, asset->content_type);
        });
}

void Server::Impl::handle(Request& req, Response& res) {
    // Per thread, set once on each worker; the process-wide settings are the caller's.
    static thread_local const bool limited =
        (limit_compute_threads_of_this_thread(options.embed_threads), true);
    (void)limited;
    const auto start = Clock::now();
    std::string endpoint;
    // A request without Content-Length or chunking has no body (RFC 9112, 6.3): a route that
    // needs one answers 411 rather than reading an empty body.
    const bool takes_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    const auto methods = ctx.methods_for(req.path);
    if (takes_body && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding") &&
        std::find(methods.begin(), methods.end(), req.method) != methods.end()) {
        send_error(res, 411, "send the request body with a Content-Length");
    } else {
        const std::string boundary = multipart_boundary(req.get_header_value("Content-Type"));
        try {
            if (!boundary.empty()) parse_multipart(req.body, boundary, req.files);
            if (!ctx.route(req, res, endpoint)) answer_unrouted(req, res);
        } catch (...) {
            res = {};
            send_exception(res, std::current_exception());
        }
    }
    if (res.status < 0) res.status = 200;
    if (res.status >= 400 && res.body.empty())
        send_error(res, res.status, default_error_message(res.status));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (endpoint.empty()) endpoint = ctx.route_name(req.method, req.path);
    metrics.observe_request(endpoint, res.status, seconds);
    spdlog::debug("{} {} {} {} {:.1f} ms", req.remote_addr, req.method, req.path, res.status,
                  seconds * 1000);
}

void Server::Impl::reject(const Request& req, Response& res, int status,
                          const std::string& message) {
    std::string text = message.empty() ? default_error_message(status) : message;
    if (status == 413)
        text =
            fmt::format("the request body is larger than the limit of {} bytes (--max-upload-mb)",
                        max_payload());
    send_error(res, status, text);
    metrics.observe_request(req.path.empty() ? "unmatched" : ctx.route_name(req.method, req.path),
                            status, -1);
    spdlog::debug("{} {} {} {} refused: {}", req.remote_addr, req.method, req.path, status, text);
}

void Server::Impl::set_up() {
    FrontOptions f;
    f.host = options.host;
    f.port = options.port;
    f.io_threads = options.io_threads;
    f.workers = options.threads > 0
                    ? options.threads
                    : std::max(8, static_cast<int>(std::thread::hardware_concurrency()));
    f.max_connections = options.max_connections;
    f.max_header_bytes = options.max_header_bytes;
    f.max_body_bytes = max_payload();
    f.header_timeout_s = options.header_timeout_s;
    f.read_timeout_s = options.read_timeout_s;
    f.body_timeout_s = options.body_timeout_s;
    f.write_timeout_s = options.write_timeout_s;
    f.keep_alive_timeout_s = options.keep_alive_timeout_s;
    f.keep_alive_max = options.keep_alive_max;
    f.shutdown_timeout_s = options.shutdown_timeout_s;
    f.default_headers = {{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}};
    front = std::make_unique<HttpFront>(
        std::move(f), [this](Request& req, Response& res) { handle(req, res); },
        [this](const Request& req, Response& res, int status, const std::string& message) {
            reject(req, res, status, message);
        });
    register_search_routes(ctx);
    register_image_routes(ctx);
    add_service_routes();
    const double interval_s =
        ctx.writable ? options.index_save_interval_s : options.refresh_interval_s;
    maintenance = std::make_unique<IndexMaintenance>(
        ctx.collection, ctx.writable,
        std::chrono::milliseconds(static_cast<std::int64_t>(interval_s * 1000)));
}

Server::Server(Collection& collection, bool writable, ServerOptions options)
    : impl_(std::make_unique<Impl>(collection, writable, std::move(options))) {
    const ServerOptions& o = impl_->options;
    QISS_CHECK(o.port >= 0 && o.port <= 65535, "--port must be between 0 and 65535");
    QISS_CHECK(o.threads >= 0 && o.threads <= 1024, "--threads must be between 0 and 1024");
    QISS_CHECK(o.max_upload_bytes >= 1024, "--max-upload-mb is too small");
    QISS_CHECK(o.read_timeout_s > 0 && o.write_timeout_s > 0, "timeouts must be positive");
    QISS_CHECK(o.keep_alive_max >= 1, "--keep-alive-max must be at least 1");
    QISS_CHECK(o.max_connections >= 1, "--max-connections must be at least 1");
    QISS_CHECK(o.io_threads >= 1 && o.io_threads <= 64, "--io-threads must be between 1 and 64");
    QISS_CHECK(o.max_header_bytes >= 1024, "--max-header-kb is too small");
    QISS_CHECK(o.header_timeout_s > 0 && o.body_timeout_s > 0 && o.shutdown_timeout_s > 0,
               "timeouts must be positive");
    QISS_CHECK(o.refresh_interval_s >= 0.01 && o.index_save_interval_s >= 0.01,
               "--refresh-interval and --index-save-interval must be at least 0.01 s");
    QISS_CHECK(o.default_k >= 1 && o.default_k <= o.query.max_k,
               "the default k must be between 1 and the largest k");
    impl_->set_up();
}

Server::~Server() = default;

std::vector<RouteInfo> Server::routes() const {
    return impl_->ctx.routes();
}

int Server::start() {
    const ServerOptions& o = impl_->options;
    const int port = impl_->front->bind();
    if (o.port == 0)
        QISS_CHECK(port > 0, "cannot listen on {}: the address is not local or not valid", o.host);
    QISS_CHECK(port > 0, "cannot listen on {}:{}: the port is in use, or the address is not local",
               o.host, o.port);
    return port;
}

void Server::listen() {
    impl_->listening = true;
    if (!impl_->stop_requested) impl_->front->run();
    impl_->listening = false;
}

void Server::stop() {
    impl_->stop_requested = true;
    impl_->front->stop();
    while (impl_->listening) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace qiss::server
