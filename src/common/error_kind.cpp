#include "common/error_kind.h"

namespace qiss {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_input:
            return "invalid_input";
        case ErrorKind::forbidden:
            return "forbidden";
        case ErrorKind::not_found:
            return "not_found";
        case ErrorKind::conflict:
            return "conflict";
        case ErrorKind::too_large:
            return "too_large";
        case ErrorKind::unsupported:
            return "unsupported";
        case ErrorKind::storage_full:
            return "storage_full";
        case ErrorKind::storage:
            return "storage";
        case ErrorKind::unavailable:
            return "unavailable";
        case ErrorKind::internal:
            return "internal";
    }
    return "unknown";
}

}  // namespace qiss
