#include "server/http_framing.h"

#include <boost/beast/core.hpp>

namespace qiss::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

std::string_view view(beast::string_view s) {
    return {s.data(), s.size()};
}

bool iequals(std::string_view a, std::string_view b) {
    return beast::iequals(beast::string_view(a.data(), a.size()),
                          beast::string_view(b.data(), b.size()));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::size_t leading_empty_lines(std::string_view data) {
    std::size_t n = 0;
    while (data.substr(n, 2) == "\r\n") n += 2;
    return n;
}

std::optional<Refusal> refuse_incomplete_header(std::string_view data, const FrontOptions& o) {
    const std::size_t line = data.find("\r\n");
    if ((line == std::string_view::npos ? data.size() : line) > o.max_request_line)
        return Refusal{414, ""};
    if (data.size() >= o.max_header_bytes) return Refusal{431, ""};
    return std::nullopt;
}

std::optional<Refusal> parse_header(std::string_view raw, RequestParser& parser,
                                    const FrontOptions& o) {
    const std::size_t line_end = raw.find("\r\n");
    if (line_end > o.max_request_line) return Refusal{414, ""};
    // obs-fold (a field line continued on the next): RFC 9112 5.2 lets a server reject it;
    // Beast would join the lines, which a proxy in front may read differently.
    for (std::size_t p = raw.find("\r\n"); p + 4 < raw.size(); p = raw.find("\r\n", p + 2))
        if (raw[p + 2] == ' ' || raw[p + 2] == '\t')
            return Refusal{400, "a header field is folded over several lines (obs-fold)"};
    beast::error_code ec;
    parser.eager(false);
    const std::size_t used = parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
    if (ec == http::error::body_limit) return Refusal{413, ""};
    if (ec == http::error::bad_content_length)
        return Refusal{400, "invalid or conflicting Content-Length headers"};
    if (ec == http::error::bad_transfer_encoding)
        return Refusal{400, "Transfer-Encoding conflicts with Content-Length or is repeated"};
    if (ec) return Refusal{400, "malformed request header: " + ec.message()};
    if (!parser.is_header_done() || used != raw.size())
        return Refusal{400, "malformed request header"};
    const auto& req = parser.get();
    if (req.version() != 10 && req.version() != 11)
        return Refusal{505, "only HTTP/1.0 and HTTP/1.1 are served"};
    // Framing (RFC 9112 6.1, 6.3): exactly one way to tell where the body ends.
    const auto te = req.count(http::field::transfer_encoding);
    if (te > 0 && req.count(http::field::content_length) > 0)
        return Refusal{400, "a request has both Transfer-Encoding and Content-Length"};
    if (te > 0) {
        const std::string_view coding = trim(view(req[http::field::transfer_encoding]));
        if (te > 1 || !iequals(coding, "chunked"))
            return Refusal{501, "only Transfer-Encoding: chunked is supported"};
        if (req.version() == 10)
            return Refusal{400, "Transfer-Encoding is not allowed in HTTP/1.0"};
    }
    return std::nullopt;
}

bool expects_continue(const BeastRequest& req) {
    return iequals(trim(view(req[http::field::expect])), "100-continue");
}

Refusal refuse_body(const beast::error_code& ec) {
    if (ec == http::error::body_limit) return {413, ""};
    return {400, "malformed request body: " + ec.message()};
}

void parse_query(std::string_view query, httplib::Params& params) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        // The value is everything after the first '=' ("where=format=png"), as in the URL
        // standard's form encoding; '+' is a space in both parts.
        const std::size_t eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        params.emplace(httplib::detail::decode_url(std::string(key), true),
                       httplib::detail::decode_url(std::string(value), true));
    }
}

httplib::Request to_request(BeastRequest& msg, const std::string& remote_addr, int remote_port) {
    httplib::Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    const std::size_t q = req.target.find('?');
    req.path = httplib::detail::decode_url(req.target.substr(0, q), false);
    if (q != std::string::npos) parse_query(std::string_view(req.target).substr(q + 1), req.params);
    req.version = msg.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    for (const auto& field : msg)
        req.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    req.remote_addr = remote_addr;
    req.remote_port = remote_port;
    return req;
}

}  // namespace qiss::server
