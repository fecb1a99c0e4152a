#include "server/server.h"

#include <omp.h>
#include <sys/socket.h>

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
#include "server/json_error.h"
#include "server/routes.h"
#include "server/web_assets.h"

namespace qiss::server {
namespace {

using Clock = std::chrono::steady_clock;
using httplib::Request;
using httplib::Response;

/// What the logger needs to know about the request a worker thread is answering: set by the
/// pre-routing handler and the route wrapper, read and cleared by the logger (all three run
/// on the thread that serves the connection).
struct RequestState {
    Clock::time_point start{};
    bool started = false;
    std::string endpoint;
};
thread_local RequestState t_request;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
}

/// Compares a secret with a candidate in a time that depends on the secret's length only.
bool constant_time_equal(std::string_view secret, std::string_view candidate) {
    unsigned char diff = secret.size() == candidate.size() ? 0 : 1;
    for (std::size_t i = 0; i < secret.size(); ++i)
        diff |= static_cast<unsigned char>(secret[i]) ^
                static_cast<unsigned char>(i < candidate.size() ? candidate[i] : 0);
    return diff == 0;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

/// At most 60 bytes of a user's value, for an error message.
std::string quoted(const std::string& value) {
    return "'" + (value.size() > 60 ? value.substr(0, 60) + "…" : value) + "'";
}

int parse_int(const std::string& text, const std::string& name) {
    long long v = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec == std::errc::result_out_of_range)
        throw HttpError(400, fmt::format("{} is out of range (got {})", name, quoted(text)));
    if (ec != std::errc() || p != end || text.empty())
        throw HttpError(400, fmt::format("{} must be an integer (got {})", name, quoted(text)));
    return static_cast<int>(
        std::clamp<long long>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

}  // namespace

ServerContext::ServerContext(Collection& c, const ServerOptions& o, bool w, Metrics& m,
                             httplib::Server& http)
    : collection(c), options(o), writable(w), metrics(m), http_(http) {
    last_save_ms_ = now_ms();
}

void ServerContext::add_route(const std::string& method, const std::string& pattern,
                              const std::string& name, httplib::Server::Handler handler) {
    auto wrapped = [name, handler = std::move(handler)](const Request& req, Response& res) {
        t_request.endpoint = name;
        try {
            handler(req, res);
        } catch (...) {
            send_exception(res, std::current_exception());
            if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"qiss\"");
        }
    };
    if (method == "GET")
        http_.Get(pattern, std::move(wrapped));
    else if (method == "POST")
        http_.Post(pattern, std::move(wrapped));
    else if (method == "DELETE")
        http_.Delete(pattern, std::move(wrapped));
    else
        QISS_ASSERT(false);
    routes_.push_back({method, name, std::regex(pattern)});
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

void ServerContext::refresh_if_due() {
    if (writable) return;
    const std::int64_t now = now_ms();
    std::int64_t last = last_refresh_ms_.load();
    if (now - last < static_cast<std::int64_t>(options.refresh_interval_s * 1000)) return;
    if (!last_refresh_ms_.compare_exchange_strong(last, now)) return;  // another thread does it
    try {
        collection.refresh();
    } catch (const std::exception& e) {
        spdlog::warn("could not apply the collection's latest changes: {}", e.what());
    }
}

void ServerContext::save_if_due() {
    if (!writable) return;
    const std::int64_t now = now_ms();
    std::int64_t last = last_save_ms_.load();
    if (now - last < static_cast<std::int64_t>(options.index_save_interval_s * 1000)) return;
    if (!last_save_ms_.compare_exchange_strong(last, now)) return;
    try {
        collection.adapt_index_to_size();
        collection.save_index();
    } catch (const std::exception& e) {
        spdlog::warn(
            "could not save the index (it is rebuilt from the store on the next "
            "open): {}",
            e.what());
    }
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

int int_param(const Request& req, const std::string& name, int fallback) {
    if (req.has_param(name)) return parse_int(req.get_param_value(name), name);
    if (req.is_multipart_form_data() && req.has_file(name))
        return parse_int(req.get_file_value(name).content, name);
    return fallback;
}

int int_member(const nlohmann::json& object, const std::string& name, int fallback) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_number_integer())
        throw HttpError(400, fmt::format("\"{}\" must be an integer (got {})", name, it->dump()));
    return static_cast<int>(std::clamp<std::int64_t>(
        it->get<std::int64_t>(), std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

std::uint64_t id_from_path(const Request& req) {
    const std::string s = req.matches[1];
    std::uint64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc() || p != s.data() + s.size())
        throw HttpError(404, fmt::format("no image with id {}", s));
    return id;
}

nlohmann::json json_body(const Request& req) {
    const std::string type = req.get_header_value("Content-Type");
    if (!type.empty() && !starts_with_ignoring_case(type, "application/json"))
        throw HttpError(415, fmt::format("unsupported Content-Type {}: send application/json or "
                                         "multipart/form-data with an `image` field",
                                         quoted(type)));
    if (req.body.empty()) throw HttpError(400, "the request body is empty; send a JSON object");
    nlohmann::json body = nlohmann::json::parse(req.body);  // parse_error → 400
    if (!body.is_object()) throw HttpError(400, "the request body must be a JSON object");
    return body;
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
          ctx(c, options, writable, metrics, http),
          web(WebAssets::open(options.web_dir)) {}

    void set_up();
    void add_service_routes();
    /// 405 with Allow for a known path, else 404.
    void answer_unrouted(const Request& req, Response& res) const;

    ServerOptions options;
    Metrics metrics;
    httplib::Server http;
    ServerContext ctx;
    WebAssets web;
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
        ctx.refresh_if_due();
        const CollectionInfo i = ctx.collection.info();
        send_json(res, {{"status", "ok"},
                        {"version", QISS_VERSION},
                        {"images", i.images},
                        {"index_vectors", i.index_vectors},
                        {"index_factory", i.index_factory},
                        {"writable", ctx.writable && !options.token.empty()},
                        {"model",
                         {{"path", i.model_path},
                          {"sha256", i.model_fingerprint},
                          {"dim", ctx.collection.dim()}}}});
    });
    ctx.add_route("GET", "/metrics", "metrics", [this](const Request&, Response& res) {
        ctx.refresh_if_due();
        const CollectionInfo i = ctx.collection.info();
        res.set_content(metrics.render({i.images, i.index_vectors}),
                        "text/plain; version=0.0.4; charset=utf-8");
    });
    ctx.add_route("GET", R"(/|/index\.html|/app\.css|/app\.js)", "page",
                  [this](const Request& req, Response& res) {
                      auto asset = web.get(req.path);
                      if (!asset)
                          throw HttpError(404,
                                          "the search page is not available: this binary "
                                          "has none embedded and no web/ folder was found "
                                          "(use --web-dir)");
                      res.set_header("Cache-Control", "no-cache");
                      res.set_header("Content-Security-Policy",
                                     "default-src 'self'; img-src 'self' blob: data:; "
                                     "object-src 'none'; base-uri 'none'; frame-ancestors "
                                     "'none'");
                      res.set_content(asset->body, asset->content_type);
                  });
}

void Server::Impl::set_up() {
    limit_compute_threads(options.embed_threads);
    const int threads = options.threads > 0
                            ? options.threads
                            : std::max(8, static_cast<int>(std::thread::hardware_concurrency()));
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_read_timeout(options.read_timeout_s, 0);
    http.set_write_timeout(options.write_timeout_s, 0);
    http.set_keep_alive_timeout(options.keep_alive_timeout_s);
    http.set_keep_alive_max_count(options.keep_alive_max);
    // httplib writes headers and body in separate sends: with Nagle's algorithm the body waits
    // for the client's delayed ACK, which adds ~40 ms to every kept-alive answer.
    http.set_tcp_nodelay(true);
    // Room for the multipart framing and a caption around an image of the largest size.
    const std::size_t max_payload = options.max_upload_bytes + (64u << 10);
    http.set_payload_max_length(max_payload);
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server
    // could bind the same port and silently share its connections.
    http.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    http.set_default_headers(
        {{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}});

    http.set_pre_routing_handler([this](const Request& req, Response& res) {
        // OpenMP's thread count is per thread: set it once on each worker.
        static thread_local const bool limited = (omp_set_num_threads(options.embed_threads), true);
        (void)limited;
        t_request.start = Clock::now();
        t_request.started = true;
        t_request.endpoint.clear();
        // A request without Content-Length or chunking has no body (RFC 9112, 6.3), but httplib
        // waits for one on POST, PUT and PATCH until the read timeout: answer at once.
        if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") &&
            !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
            const auto methods = ctx.methods_for(req.path);
            if (std::find(methods.begin(), methods.end(), req.method) == methods.end())
                answer_unrouted(req, res);
            else
                send_error(res, 411, "send the request body with a Content-Length");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // Called for every answer with a status >= 400; fills in a JSON body where no handler
    // wrote one (unknown routes, wrong methods, bodies over the limit, malformed requests).
    httplib::Server::HandlerWithResponse on_error = [this, max_payload](const Request& req,
                                                                        Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = default_error_message(res.status);
        if (res.status == 404) {
            answer_unrouted(req, res);
            return httplib::Server::HandlerResponse::Handled;
        }
        if (res.status == 413) {
            message = fmt::format(
                "the request body is larger than the limit of {} bytes "
                "(--max-upload-mb)",
                max_payload);
        }
        send_error(res, res.status, message);
        return httplib::Server::HandlerResponse::Handled;
    };
    http.set_error_handler(std::move(on_error));
    http.set_exception_handler(
        [](const Request&, Response& res, std::exception_ptr e) { send_exception(res, e); });
    http.set_logger([this](const Request& req, const Response& res) {
        double seconds = -1;
        if (t_request.started)
            seconds = std::chrono::duration<double>(Clock::now() - t_request.start).count();
        std::string endpoint =
            t_request.endpoint.empty() ? ctx.route_name(req.method, req.path) : t_request.endpoint;
        t_request = {};
        metrics.observe_request(endpoint, res.status, seconds);
        spdlog::debug("{} {} {} {} {:.1f} ms", req.remote_addr, req.method, req.path, res.status,
                      seconds * 1000);
    });

    register_search_routes(ctx);
    register_image_routes(ctx);
    add_service_routes();
}

Server::Server(Collection& collection, bool writable, ServerOptions options)
    : impl_(std::make_unique<Impl>(collection, writable, std::move(options))) {
    const ServerOptions& o = impl_->options;
    QISS_CHECK(o.port >= 0 && o.port <= 65535, "--port must be between 0 and 65535");
    QISS_CHECK(o.threads >= 0 && o.threads <= 1024, "--threads must be between 0 and 1024");
    QISS_CHECK(o.max_upload_bytes >= 1024, "--max-upload-mb is too small");
    QISS_CHECK(o.read_timeout_s > 0 && o.write_timeout_s > 0, "timeouts must be positive");
    QISS_CHECK(o.keep_alive_max >= 1, "--keep-alive-max must be at least 1");
    QISS_CHECK(o.default_k >= 1 && o.default_k <= o.query.max_k,
               "the default k must be between 1 and the largest k");
    impl_->set_up();
}

Server::~Server() = default;

int Server::start() {
    const ServerOptions& o = impl_->options;
    if (o.port == 0) {
        const int port = impl_->http.bind_to_any_port(o.host);
        QISS_CHECK(port > 0, "cannot listen on {}: the address is not local or not valid", o.host);
        return port;
    }
    QISS_CHECK(impl_->http.bind_to_port(o.host, o.port),
               "cannot listen on {}:{}: the port is in use, or the address is not local", o.host,
               o.port);
    return o.port;
}

void Server::listen() {
    impl_->listening = true;
    if (!impl_->stop_requested) impl_->http.listen_after_bind();
    impl_->listening = false;
}

void Server::stop() {
    impl_->stop_requested = true;
    // httplib ignores stop() until its accept loop runs: repeat until listen() has returned.
    while (impl_->listening) {
        impl_->http.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace qiss::server
