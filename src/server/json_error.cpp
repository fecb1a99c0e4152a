#include "server/json_error.h"

#include <spdlog/spdlog.h>

#include "common/error_kind.h"

namespace qiss::server {

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
    send_json(res, {{"error", message}, {"status", status}}, status);
}

std::string default_error_message(int status) {
    switch (status) {
        case 400:
            return "bad request (a malformed request line, header or body)";
        case 401:
            return "authentication required";
        case 403:
            return "forbidden";
        case 404:
            return "not found";
        case 405:
            return "method not allowed";
        case 408:
            return "request timeout";
        case 411:
            return "a request body needs a Content-Length";
        case 413:
            return "the request body is too large";
        case 414:
            return "the request URI is too long";
        case 415:
            return "unsupported media type";
        case 416:
            return "range not satisfiable";
        case 409:
            return "conflict";
        case 431:
            return "the request's header fields are too large";
        case 500:
            return "internal server error";
        case 501:
            return "not implemented";
        case 503:
            return "service unavailable";
        case 505:
            return "HTTP version not supported";
        case 507:
            return "insufficient storage";
        default:
            return status >= 500 ? "server error" : "request error";
    }
}

int status_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_input:
            return 400;
        case ErrorKind::forbidden:
            return 403;
        case ErrorKind::not_found:
            return 404;
        case ErrorKind::conflict:
            return 409;
        case ErrorKind::too_large:
            return 413;
        case ErrorKind::unsupported:
            return 415;
        case ErrorKind::storage_full:
            return 507;
        case ErrorKind::unavailable:
            return 503;
        case ErrorKind::storage:
        case ErrorKind::internal:
            return 500;
    }
    return 500;
}

namespace {

/// What a client is told of a server fault (the details, paths included, go to the log).
std::string server_fault_message(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::storage_full:
            return "the image store is full (see the server's log)";
        case ErrorKind::storage:
            return "the server could not read or write its files (see the server's log)";
        case ErrorKind::unavailable:
            return "the service is unavailable for now; try again later";
        default:
            return "internal server error";
    }
}

}  // namespace

void send_exception(httplib::Response& res, std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const HttpError& e) {
        send_error(res, e.status(), e.what());
    } catch (const qiss::Error& e) {
        const ErrorKind kind = error_kind(e);
        const int status = status_for(kind);
        if (status < 500) {
            send_error(res, status, e.what());
            return;
        }
        spdlog::error("{} error: {}", error_kind_name(kind), e.what());
        send_error(res, status, server_fault_message(kind));
    } catch (const nlohmann::json::parse_error& e) {
        send_error(res, 400, std::string("invalid JSON: ") + e.what());
    } catch (const nlohmann::json::out_of_range& e) {
        // Thrown by the parser for a number beyond double's range (1e400).
        send_error(res, 400, std::string("a JSON value is out of range: ") + e.what());
    } catch (const nlohmann::json::type_error& e) {
        send_error(res, 400, std::string("unexpected JSON value: ") + e.what());
    } catch (const std::exception& e) {
        spdlog::error("internal error: {}", e.what());
        send_error(res, 500, "internal server error");
    } catch (...) {
        spdlog::error("internal error: unknown exception");
        send_error(res, 500, "internal server error");
    }
}

}  // namespace qiss::server
