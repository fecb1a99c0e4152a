#pragma once
/// @file json_error.h
/// JSON bodies of the HTTP API (src/server): answers, and errors as
/// {"error": "what went wrong", "status": N}, with the mapping of exceptions to statuses.

#include <exception>
#include <stdexcept>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/error_kind.h"

namespace qiss::server {

/// An error that carries the HTTP status to answer with; thrown by route handlers.
class HttpError : public std::runtime_error {
  public:
    HttpError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

  private:
    int status_;
};

/// Sets a JSON body and status on `res`. Strings that are not valid UTF-8 are written with
/// U+FFFD in place of the bad bytes, so serialising never fails.
void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);

/// Sets the error body {"error": message, "status": status} on `res`.
void send_error(httplib::Response& res, int status, const std::string& message);

/// The message of an error the server answers without a handler's message (e.g. 404 for an
/// unknown route, 413 for a body over the limit).
std::string default_error_message(int status);

/// The HTTP status of an error kind: the one place where kinds become statuses (4xx for the
/// client's errors, 5xx for the server's faults).
int status_for(ErrorKind kind);

/// Answers the exception `error` as a JSON error: HttpError with its status, qiss::Error with
/// status_for(its kind) (a 5xx is logged and its details are not sent), JSON parse, range or
/// type errors with 400, anything else with 500 (logged, details not sent).
void send_exception(httplib::Response& res, std::exception_ptr error);

}  // namespace qiss::server
