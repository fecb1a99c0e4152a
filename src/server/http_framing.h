#pragma once
/// @file http_framing.h
/// What the HTTP front (http_front.cpp) decides from a request's bytes, apart from its sockets
/// and timers: when a header still being read is refused, whether a complete header frames its
/// request unambiguously (RFC 9112), and the request the routes read. Pure functions, so that
/// they can be tested and fuzzed on bytes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>
#include <boost/beast/http.hpp>

#include "server/http_front.h"

namespace qiss::server {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

/// A request the front refuses: the status, and a message ("" for the status's default one).
struct Refusal {
    int status = 0;
    std::string message;
};

/// How many bytes of empty lines ("\r\n") precede the request line (RFC 9112 2.2: ignored).
std::size_t leading_empty_lines(std::string_view data);

/// The refusal of a header not complete yet in `data` (no blank line): 414 when its request line
/// is already longer than max_request_line, 431 when `data` reached max_header_bytes; nullopt
/// to read on.
std::optional<Refusal> refuse_incomplete_header(std::string_view data, const FrontOptions& o);

/// Parses a complete header (`raw`: request line and fields up to and including the blank
/// line) into `parser`, which must be fresh with its limits set, and checks its framing: one
/// Content-Length or one Transfer-Encoding: chunked (HTTP/1.1) or neither; no obs-fold; HTTP/1.0
/// or 1.1. Returns the refusal, or nullopt when the request goes on to its body.
std::optional<Refusal> parse_header(std::string_view raw, RequestParser& parser,
                                    const FrontOptions& o);

/// Whether the client waits for "100 Continue" before it sends the body.
bool expects_continue(const BeastRequest& req);

/// The refusal of a body the parser stopped on with `ec` (not a socket error): 413 over the
/// body limit, else 400.
Refusal refuse_body(const boost::beast::error_code& ec);

/// Splits a query string ("q=cat&k=5&where=format=png") into decoded parameters: pairs split
/// at '&', each at its first '=' (so a value may hold '='), '+' and %XX decoded; empty pairs
/// skipped, repeated names kept in order.
void parse_query(std::string_view query, httplib::Params& params);
/// A complete request as the routes read it (path decoded, query parameters split).
httplib::Request to_request(BeastRequest& msg, const std::string& remote_addr, int remote_port);

}  // namespace qiss::server
