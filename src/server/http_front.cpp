// The event-driven HTTP front: per connection, a Session reads one request at a time on the
// I/O threads (header under a total deadline, body under a limit enforced while reading),
// hands it to the worker pool, and writes the answer before it reads the next request, so
// pipelined requests are answered in order.
#include "server/http_front.h"

#include "server/http_framing.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace qiss::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using BeastResponse = http::response<http::string_body>;

/// The answer to a connection over --max-connections (written without a Session).
constexpr std::string_view kOverloaded =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 81\r\n"
    "Retry-After: 1\r\nConnection: close\r\n\r\n"
    "{\"error\":\"too many open connections (--max-connections); retry later\",\"status\":503}";

class Session;

}  // namespace

struct HttpFront::Impl {
    Impl(FrontOptions o, FrontHandler h, FrontRejecter r)
        : options(std::move(o)),
          handler(std::move(h)),
          rejecter(std::move(r)),
          workers(static_cast<std::size_t>(std::max(1, options.workers))) {}

    void accept();
    void raise_file_limit() const;
    /// After stop(): closes the idle connections, then waits until the others have had their
    /// answers (or shutdown_timeout_s has passed) and stops the I/O threads.
    void drain();
    void drain_until(Clock::time_point deadline);

    // Sessions use all of these until the io_context (declared after them) destroys them.
    FrontOptions options;
    FrontHandler handler;
    FrontRejecter rejecter;
    std::atomic<std::size_t> connections{0};
    std::atomic<bool> stopped{false};
    std::mutex sessions_mutex;
    std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;  // open connections
    Clock::time_point last_accept_warning{};
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    net::steady_timer accept_retry{ioc};
    net::steady_timer drain_timer{ioc};
    net::thread_pool workers;  // destroyed (joined) before ioc, whose executors it posts to
};

namespace {

/// One connection: reads a request, has it answered, writes the answer, and so on.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, HttpFront::Impl& front)
        : front_(front), o_(front.options), stream_(std::move(socket)) {
        beast::error_code ec;
        const auto remote = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            remote_addr_ = remote.address().to_string();
            remote_port_ = remote.port();
        }
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }
    ~Session() {
        {
            std::lock_guard lock(front_.sessions_mutex);
            front_.sessions.erase(this);
        }
        --front_.connections;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() {
        {
            std::lock_guard lock(front_.sessions_mutex);
            front_.sessions.emplace(this, weak_from_this());
        }
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait(); });
    }

    /// On stop(): a connection waiting for its next request is closed; one with a request in
    /// progress is closed after its answer (the answer says `Connection: close`).
    void close_if_idle() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            if (self->idle_) self->close();
        });
    }

  private:
    /// A fresh parser; waits (idle deadline) for the first byte of the next request unless
    /// pipelined bytes are already there.
    void wait() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(o_.max_header_bytes));
        parser_->body_limit(o_.max_body_bytes);
        scanned_ = 0;
        if (buffer_.size() > 0) {
            stream_.expires_at(Clock::now() + std::chrono::seconds(o_.header_timeout_s));
            read_header();
            return;
        }
        if (front_.stopped) return close();
        buffer_.shrink_to_fit();  // an idle connection keeps no large buffer
        const int idle = requests_ == 0 ? std::min(o_.read_timeout_s, o_.header_timeout_s)
                                        : o_.keep_alive_timeout_s;
        stream_.expires_after(std::chrono::seconds(idle));
        idle_ = true;
        stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](
                                                           beast::error_code ec, std::size_t n) {
            self->idle_ = false;
            // stop() may have closed this idle connection after the bytes of a request arrived
            // but before this handler ran (the read then completes without error): the request
            // is dropped unread, so a client without an answer can count on it not being applied.
            if (ec || !self->stream_.socket().is_open()) return self->close();
            self->buffer_.commit(n);
            // The header's deadline counts from the connection's start for its first
            // request (slowloris), from the first byte for the next ones.
            const auto from = self->requests_ == 0 ? self->accepted_ : Clock::now();
            self->stream_.expires_at(from + std::chrono::seconds(self->o_.header_timeout_s));
            self->read_header();
        });
    }

    std::string_view buffered() const {
        return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
    }

    /// Reads until the blank line that ends the header, within max_header_bytes.
    void read_header() {
        // RFC 9112 2.2: empty lines before a request line are ignored.
        buffer_.consume(leading_empty_lines(buffered()));
        const std::string_view data = buffered();
        const std::size_t end = data.find("\r\n\r\n", scanned_ > 3 ? scanned_ - 3 : 0);
        if (end != std::string_view::npos) return on_header(end + 4);
        scanned_ = data.size();
        if (const auto refusal = refuse_incomplete_header(data, o_)) return reject(*refusal);
        stream_.async_read_some(
            buffer_.prepare(std::min<std::size_t>(4096, o_.max_header_bytes - data.size())),
            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                if (ec) return self->close();  // gone, or the header deadline passed
                self->buffer_.commit(n);
                self->read_header();
            });
    }

    /// Parses the header (its `size` bytes are in the buffer) and checks its framing.
    void on_header(std::size_t size) {
        if (const auto refusal = parse_header(buffered().substr(0, size), *parser_, o_))
            return reject(*refusal);
        buffer_.consume(size);
        body_deadline_ = Clock::now() + std::chrono::seconds(o_.body_timeout_s);
        if (!parser_->is_done() && expects_continue(parser_->get())) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            stream_.expires_after(std::chrono::seconds(o_.write_timeout_s));
            net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (ec) return self->close();
                                 self->read_body();
                             });
            return;
        }
        read_body();
    }

    /// Reads the body: at most read_timeout_s of silence, body_timeout_s in all, and an error
    /// as soon as more than the limit arrives (Content-Length or chunks alike).
    void read_body() {
        if (parser_->is_done()) return dispatch();
        const auto now = Clock::now();
        if (now >= body_deadline_) return close();
        stream_.expires_at(std::min(body_deadline_, now + std::chrono::seconds(o_.read_timeout_s)));
        http::async_read_some(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
                    ec == http::error::partial_message || ec == net::error::eof ||
                    ec == net::error::connection_reset || ec == net::error::operation_aborted)
                    return self->close();
                if (ec) return self->reject(refuse_body(ec));
                self->read_body();
            });
    }

    struct Exchange {
        httplib::Request req;
        httplib::Response res;
        bool head = false, keep_alive = false;
        unsigned version = 11;
    };

    /// Hands the complete request to a worker; the answer is written back on this strand.
    void dispatch() {
        http::request<http::string_body> msg = parser_->release();
        auto x = std::make_shared<Exchange>();
        x->keep_alive = msg.keep_alive() && ++requests_ < o_.keep_alive_max && !front_.stopped;
        x->head = msg.method() == http::verb::head;
        x->version = msg.version();
        x->req = to_request(msg, remote_addr_, remote_port_);
        net::post(front_.workers, [self = shared_from_this(), x] {
            try {
                self->front_.handler(x->req, x->res);
            } catch (const std::exception& e) {
                spdlog::error("internal error: {}", e.what());
                x->res = {};
                self->front_.rejecter(x->req, x->res, 500, "internal server error");
            }
            net::post(self->stream_.get_executor(), [self, x] { self->write(*x); });
        });
    }

    /// Answers a request the front refuses, then closes the connection.
    void reject(const Refusal& refusal) {
        Exchange x;
        if (parser_ && parser_->is_header_done()) {
            const auto& h = parser_->get();
            x.req.method = std::string(h.method_string());
            x.req.target = std::string(h.target());
            x.req.path = x.req.target.substr(0, x.req.target.find('?'));
            x.head = h.method() == http::verb::head;
        }
        x.req.remote_addr = remote_addr_;
        front_.rejecter(x.req, x.res, refusal.status, refusal.message);
        write(x);
    }

    void write(Exchange& x) {
        auto r = std::make_shared<BeastResponse>();
        r->version(x.version == 10 ? 10 : 11);
        r->result(static_cast<unsigned>(x.res.status < 0 ? 200 : x.res.status));
        for (const auto& [name, value] : x.res.headers) r->insert(name, value);
        for (const auto& [name, value] : o_.default_headers)
            if (!x.res.has_header(name.c_str())) r->insert(name, value);
        r->body() = std::move(x.res.body);
        // Only answers to complete requests keep the connection (never the front's refusals).
        const bool keep_alive = x.keep_alive && !front_.stopped;
        r->keep_alive(keep_alive);
        r->prepare_payload();
        if (x.head) r->body().clear();  // Content-Length stays that of the GET answer
        stream_.expires_after(std::chrono::seconds(o_.write_timeout_s));
        http::async_write(
            stream_, *r,
            [self = shared_from_this(), r, keep_alive](beast::error_code ec, std::size_t) {
                if (ec) return self->close();
                if (keep_alive) return self->wait();
                self->linger();
            });
    }

    /// Ends the connection after an answer: stops sending, then reads and discards what the
    /// client still sends (for 2 s at most) so that the answer is not lost to a reset.
    void linger() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) return close();
        if (!lingering_) {
            lingering_ = true;
            stream_.expires_after(std::chrono::seconds(2));
        }
        buffer_.clear();
        stream_.async_read_some(buffer_.prepare(65536),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec) return self->close();
                                    self->linger();
                                });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    HttpFront::Impl& front_;
    const FrontOptions& o_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const Clock::time_point accepted_ = Clock::now();
    Clock::time_point body_deadline_{};
    std::size_t requests_ = 0, scanned_ = 0;
    bool lingering_ = false;
    bool idle_ = false;  ///< waiting for the first byte of a request
    std::string remote_addr_;
    int remote_port_ = 0;
};

}  // namespace

void HttpFront::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        if (ec) {
            // Out of file descriptors or memory: wait a little rather than spin.
            const auto now = Clock::now();
            if (now - last_accept_warning > std::chrono::seconds(10)) {
                last_accept_warning = now;
                spdlog::warn("cannot accept a connection: {}", ec.message());
            }
            accept_retry.expires_after(std::chrono::milliseconds(50));
            accept_retry.async_wait([this](beast::error_code) { accept(); });
            return;
        }
        if (connections.load() >= options.max_connections || stopped) {
            beast::error_code ignored;
            socket.non_blocking(true, ignored);
            socket.send(net::buffer(kOverloaded.data(), kOverloaded.size()), 0, ignored);
            socket.close(ignored);
        } else {
            ++connections;
            std::make_shared<Session>(std::move(socket), *this)->start();
        }
        accept();
    });
}

void HttpFront::Impl::drain() {
    beast::error_code ec;
    acceptor.close(ec);
    accept_retry.cancel();
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(sessions_mutex);
        for (const auto& [key, weak] : sessions)
            if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    for (const auto& s : open) s->close_if_idle();
    drain_until(Clock::now() + std::chrono::seconds(options.shutdown_timeout_s));
}

void HttpFront::Impl::drain_until(Clock::time_point deadline) {
    if (connections.load() == 0 || Clock::now() >= deadline) {
        if (connections.load() > 0)
            spdlog::warn("stopping with {} connections still open after {} s (--shutdown-timeout)",
                         connections.load(), options.shutdown_timeout_s);
        ioc.stop();
        return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([this, deadline](beast::error_code) { drain_until(deadline); });
}

void HttpFront::Impl::raise_file_limit() const {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    const rlim_t want = static_cast<rlim_t>(options.max_connections) + 256;
    if (lim.rlim_cur >= want) return;
    lim.rlim_cur = std::min(want, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < want)
        spdlog::warn("the open-file limit is {}: fewer than --max-connections {} connections fit",
                     lim.rlim_cur, options.max_connections);
}

HttpFront::HttpFront(FrontOptions options, FrontHandler handler, FrontRejecter rejecter)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(rejecter))) {}

HttpFront::~HttpFront() {
    stop();
    impl_->workers.join();
}

int HttpFront::bind() {
    Impl& f = *impl_;
    f.raise_file_limit();
    beast::error_code ec;
    tcp::resolver resolver(f.ioc);
    const auto endpoints =
        resolver.resolve(f.options.host, std::to_string(f.options.port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) return -1;
    const tcp::endpoint ep = *endpoints.begin();
    f.acceptor.open(ep.protocol(), ec);
    if (ec) return -1;
    // SO_REUSEADDR only: with SO_REUSEPORT a second server could share the port.
    f.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    f.acceptor.bind(ep, ec);
    if (ec) return -1;
    f.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return -1;
    return f.acceptor.local_endpoint().port();
}

void HttpFront::run() {
    Impl& f = *impl_;
    if (f.acceptor.is_open()) f.accept();
    std::vector<std::thread> threads;
    for (int i = 1; i < std::max(1, f.options.io_threads); ++i)
        threads.emplace_back([&f] { f.ioc.run(); });
    f.ioc.run();
    for (auto& t : threads) t.join();
    f.workers.join();  // past --shutdown-timeout: requests in progress finish, unanswered
}

void HttpFront::stop() {
    Impl& f = *impl_;
    if (f.stopped.exchange(true)) return;
    net::post(f.ioc, [&f] { f.drain(); });
}

}  // namespace qiss::server
