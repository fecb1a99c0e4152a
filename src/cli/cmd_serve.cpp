// qiss serve: the HTTP API and the search page over a collection (src/server, docs/api.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <functional>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/settings.h"
#include "common/error.h"
#include "model/compute_threads.h"
#include "server/server.h"
#include "server/service_notify.h"
#include "server/web_assets.h"

namespace qiss::cli {
namespace {

/// Written by the signal handler, read by the watcher thread (a self-pipe: the only thing a
/// handler may safely do is write()).
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
    const int saved = errno;
    const char byte = 's';
    [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
    errno = saved;
}

/// While alive, SIGINT and SIGTERM call `stop` on a watcher thread; the previous handlers are
/// restored on destruction.
class StopOnSignal {
  public:
    explicit StopOnSignal(std::function<void()> stop) {
        QISS_CHECK(::pipe2(g_signal_pipe, O_CLOEXEC) == 0, "cannot create a pipe");
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGINT, &sa, &old_int_);
        ::sigaction(SIGTERM, &sa, &old_term_);
        watcher_ = std::thread([stop = std::move(stop)] {
            char byte = 0;
            while (::read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
            }
            if (byte != 's') return;  // closed by the destructor
            spdlog::info("stopping");
            stop();
        });
    }
    ~StopOnSignal() {
        ::sigaction(SIGINT, &old_int_, nullptr);
        ::sigaction(SIGTERM, &old_term_, nullptr);
        const char byte = 'q';
        [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
        watcher_.join();
        ::close(g_signal_pipe[0]);
        ::close(g_signal_pipe[1]);
    }
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
    std::thread watcher_;
};

}  // namespace

Command register_serve(CLI::App& app) {
    auto* sub =
        app.add_subcommand("serve", "Serve a collection over HTTP: JSON API and search page");
    struct Args {
        std::string data, token_file, web_dir;
        server::ServerOptions o;
        double max_upload_mb = 20;
        std::size_t max_header_kb = 16;
        bool no_image_url = false, allow_image_url = false;
        SearchOptions search;
        std::size_t filter_scan_max = CollectionOptions{}.filter_scan_max;
        double map_size_gb = 64;
        std::optional<float> word_weight;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--data", a->data, "Collection folder")->required();
    sub->add_option("--host", a->o.host, "Address to listen on")->capture_default_str();
    sub->add_option("--port", a->o.port, "Port (0: any free port, printed at start)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    sub->add_option("--threads", a->o.threads,
                    "Worker threads that answer complete requests (0 = max(8, cores))")
        ->check(CLI::Range(0, 1024))
        ->capture_default_str();
    sub->add_option("--token-file", a->token_file,
                    "File whose first line is the token that allows POST /api/images and "
                    "DELETE (without it the collection is served read-only)")
        ->check(CLI::ExistingFile);
    sub->add_option("--web-dir", a->web_dir,
                    "Serve the page from this folder, read at each request (default: the copy "
                    "embedded in the binary)")
        ->check(CLI::ExistingDirectory);
    sub->add_option("--max-upload-mb", a->max_upload_mb, "Largest image upload or download")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--max-k", a->o.query.max_k, "Largest k")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    sub->add_option("--max-offset", a->o.query.max_offset, "Largest offset")
        ->check(CLI::Range(0, 1000000))
        ->capture_default_str();
    sub->add_option("--max-query-bytes", a->o.query.max_text_bytes, "Longest query text")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    sub->add_option("--max-terms", a->o.query.max_terms, "Most terms of a combined query")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    sub->add_option("--read-timeout", a->o.read_timeout_s, "Seconds a client may stay silent")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sub->add_option("--write-timeout", a->o.write_timeout_s, "Seconds a client may not read")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sub->add_option("--header-timeout", a->o.header_timeout_s,
                    "Seconds a client has to send a whole request header")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sub->add_option("--body-timeout", a->o.body_timeout_s,
                    "Seconds a client has to send a whole request body")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sub->add_option("--max-connections", a->o.max_connections,
                    "Open connections; beyond, new ones are answered 503 and closed")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    sub->add_option("--max-header-kb", a->max_header_kb,
                    "Largest request header (request line and fields), in KiB")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    sub->add_option("--io-threads", a->o.io_threads,
                    "Threads that accept connections and read requests")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    sub->add_option("--keep-alive-max", a->o.keep_alive_max, "Requests per connection")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    sub->add_option("--keep-alive-timeout", a->o.keep_alive_timeout_s,
                    "Seconds an idle connection is kept")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sub->add_option("--shutdown-timeout", a->o.shutdown_timeout_s,
                    "On SIGTERM or SIGINT: seconds to answer the requests in progress before "
                    "exiting")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sub->add_option("--embed-threads", a->o.embed_threads,
                    "Threads one query's embedding may use (requests already run in parallel; "
                    "more helps single large-image latency, costs throughput)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    sub->add_option("--refresh-interval", a->o.refresh_interval_s,
                    "Read-only: seconds between checks for what another process (qiss index) "
                    "wrote to the collection, a re-typed index file included")
        ->check(CLI::Range(0.05, 3600.0))
        ->capture_default_str();
    sub->add_option("--index-save-interval", a->o.index_save_interval_s,
                    "Writable: seconds between index saves (and re-typing for the collection's "
                    "size), done by a background thread")
        ->check(CLI::Range(0.05, 86400.0))
        ->capture_default_str();
    add_map_size_option(sub, a->map_size_gb);
    add_search_options(sub, a->search);
    add_filter_scan_option(sub, a->filter_scan_max);
    add_word_weight_option(sub, a->word_weight);
    sub->add_flag("--allow-image-url", a->allow_image_url,
                  "Let clients send {\"image_url\": …}: the server then downloads URLs they "
                  "choose (public addresses only, unless --allow-private-urls)");
    sub->add_flag("--allow-private-urls", a->o.allow_private_urls,
                  "With --allow-image-url: also download from loopback, private and link-local "
                  "addresses (lets any client probe this host's network)");
    sub->add_flag("--absolute-paths", a->o.absolute_paths,
                  "Show absolute source and model paths to clients (default: sources relative "
                  "to the folder they were indexed from, the model's file name)");
    sub->add_flag("--no-image-url", a->no_image_url,
                  "Refuse {\"image_url\": …} (the default; overrides --allow-image-url)");
    // Last: it takes in every option above (config file, QISS_* environment).
    auto settings = std::make_shared<Settings>(sub);
    return {sub, [a, settings] {
                settings->apply();
                if (settings->print_requested()) {
                    std::cout << settings->describe();
                    return 0;
                }
                server::ServerOptions o = a->o;
                o.max_upload_bytes = static_cast<std::size_t>(a->max_upload_mb * 1e6);
                o.max_header_bytes = a->max_header_kb * 1024;
                o.allow_image_url = a->allow_image_url && !a->no_image_url;
                o.web_dir = a->web_dir;
                if (!a->token_file.empty()) o.token = server::read_token_file(a->token_file);
                const bool writable = !o.token.empty();
                CollectionOptions co;
                co.read_only = !writable;
                co.search = a->search;
                co.filter_scan_max = a->filter_scan_max;
                co.store_map_size = map_size_bytes(a->map_size_gb);
                co.word_weight = a->word_weight;
                auto collection = Collection::open(a->data, co);
                // A client that disconnects mid-answer must not kill the process.
                std::signal(SIGPIPE, SIG_IGN);
                // Process-wide (ATen, OpenBLAS): the program's choice, not the server's; the
                // server sets each of its workers' own OpenMP team.
                limit_compute_threads(o.embed_threads);
                server::Server srv(*collection, writable, o);
                const int port = srv.start();
                {
                    StopOnSignal on_signal([&srv] {
                        server::notify_stopping();
                        srv.stop();
                    });
                    const std::string host =
                        o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
                    std::cout << fmt::format("qiss: serving {} at http://{}:{}/", a->data, host,
                                             port)
                              << std::endl;
                    spdlog::info(
                        "{} images; {}", collection->store().count(),
                        writable ? "additions and deletions allowed with the token" : "read-only");
                    spdlog::info("search page: {}", server::WebAssets::open(o.web_dir).origin());
                    // The port listens: connections queue until listen() below takes them.
                    server::notify_ready(fmt::format("serving {} images at http://{}:{}/",
                                                     collection->store().count(), host, port));
                    srv.listen();
                }
                if (writable) collection->save_index();
                spdlog::info("stopped");
                return 0;
            }};
}

}  // namespace qiss::cli
