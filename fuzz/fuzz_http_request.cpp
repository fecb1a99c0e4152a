// HTTP request parsing as the front does it on a connection's bytes, without sockets: empty
// lines skipped, the header found or refused while incomplete (414, 431), parsed and its
// framing checked (parse_header), the body fed to the parser (Content-Length or chunked, under
// the body limit), the request handed over as the routes read it (to_request), and the next
// pipelined request after it while the connection is kept alive. A refusal must be a 4xx or 5xx
// the front knows.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_util.h"
#include "server/http_framing.h"

namespace {

namespace http = boost::beast::http;

void check(const qiss::server::Refusal& r) {
    switch (r.status) {
        case 400:
        case 413:
        case 414:
        case 431:
        case 501:
        case 505:
            return;
        default:
            std::fprintf(stderr, "refused with status %d: %s\n", r.status, r.message.c_str());
            std::abort();
    }
}

qiss::server::FrontOptions options() {
    qiss::server::FrontOptions o;
    // Smaller than the defaults so that the fuzzer reaches them; the checks are the same.
    o.max_request_line = 512;
    o.max_header_bytes = 2048;
    o.max_body_bytes = 4096;
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    qiss::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const qiss::server::FrontOptions o = options();
    std::string_view in(reinterpret_cast<const char*>(data), size);
    for (int requests = 0; requests < 100; ++requests) {
        in.remove_prefix(qiss::server::leading_empty_lines(in));
        if (in.empty()) return 0;
        const std::size_t end = in.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            if (const auto r = qiss::server::refuse_incomplete_header(in, o)) check(*r);
            return 0;  // else the front waits for more bytes
        }
        qiss::server::RequestParser parser;
        parser.header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
        parser.body_limit(o.max_body_bytes);
        if (const auto r = qiss::server::parse_header(in.substr(0, end + 4), parser, o))
            return check(*r), 0;
        in.remove_prefix(end + 4);
        qiss::server::expects_continue(parser.get());
        while (!parser.is_done()) {
            boost::beast::error_code ec;
            const std::size_t used = parser.put(boost::asio::buffer(in.data(), in.size()), ec);
            in.remove_prefix(used);
            if (ec == http::error::need_more) return 0;  // the front reads on
            if (ec) return check(qiss::server::refuse_body(ec)), 0;
            if (used == 0) return 0;
        }
        qiss::server::BeastRequest msg = parser.release();
        const bool keep_alive = msg.keep_alive();
        const httplib::Request req = qiss::server::to_request(msg, "127.0.0.1", 1);
        req.get_header_value("Content-Type");
        req.is_multipart_form_data();
        if (!keep_alive) return 0;
    }
    return 0;
}
