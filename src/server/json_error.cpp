#include "server/json_error.h"

#include <spdlog/spdlog.h>

#include "common/error.h"

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
        case 500:
            return "internal server error";
        case 503:
            return "service unavailable";
        default:
            return status >= 500 ? "server error" : "request error";
    }
}

void send_exception(httplib::Response& res, std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const HttpError& e) {
        send_error(res, e.status(), e.what());
    } catch (const qiss::Error& e) {
        send_error(res, 400, e.what());
    } catch (const nlohmann::json::parse_error& e) {
        send_error(res, 400, std::string("invalid JSON: ") + e.what());
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
