#pragma once
/// @file error_kind.h
/// What a qiss::Error is about: who caused it, which tells the HTTP server its status
/// (server/json_error.cpp maps kinds to statuses in one place) and whether it is logged.
/// QISS_THROW and QISS_CHECK throw invalid_input; QISS_THROW_KIND and QISS_CHECK_KIND name
/// another kind.

#include <string>

#include "common/error.h"

namespace qiss {

/// The kinds of qiss::Error.
enum class ErrorKind {
    invalid_input,  ///< the request or input is wrong (the default)
    forbidden,      ///< the request asks for something this setup does not allow
    not_found,      ///< something named does not exist
    conflict,       ///< the request contradicts the current state
    too_large,      ///< the input is over a limit of size
    unsupported,    ///< a format or media type qiss does not read
    storage_full,   ///< the store's map or the disk is full (a server fault)
    storage,        ///< corruption or an I/O error of qiss's own files (a server fault)
    unavailable,    ///< a resource is busy or missing for now; retrying may work
    internal,       ///< a fault of qiss or its libraries that is not the user's
};

/// The name of a kind, e.g. "invalid_input".
const char* error_kind_name(ErrorKind kind);

/// A qiss::Error of a kind other than invalid_input (thrown by QISS_THROW_KIND).
class KindedError : public Error {
  public:
    KindedError(const std::string& message, ErrorKind kind) : Error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

  private:
    ErrorKind kind_;
};

/// The kind of an error: its own for a KindedError, invalid_input for any other qiss::Error.
inline ErrorKind error_kind(const Error& e) {
    const auto* kinded = dynamic_cast<const KindedError*>(&e);
    return kinded ? kinded->kind() : ErrorKind::invalid_input;
}

}  // namespace qiss

/// Throws qiss::Error of `kind` (an ErrorKind enumerator's name) with a fmt-formatted message.
#define QISS_THROW_KIND(kind, ...) \
    throw ::qiss::KindedError(fmt::format(__VA_ARGS__), ::qiss::ErrorKind::kind)

/// Throws qiss::Error of `kind` with a fmt-formatted message when `cond` is false.
#define QISS_CHECK_KIND(cond, kind, ...)                 \
    do {                                                 \
        if (!(cond)) QISS_THROW_KIND(kind, __VA_ARGS__); \
    } while (0)
