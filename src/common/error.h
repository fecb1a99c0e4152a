#pragma once
/// @file error.h
/// Two tiers of errors, as in FAISS: qiss::Error (thrown with a clear message for anything a
/// user can cause: bad input, a wrong file, a bad option) and QISS_ASSERT (a broken internal
/// invariant, i.e. a bug in qiss).

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace qiss {

/// An error caused by the user's input or environment. The message says what and where.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

[[noreturn]] void assert_failed(const char* expr, const char* file, int line,
                                const std::string& msg);

}  // namespace qiss

/// Throws qiss::Error with a fmt-formatted message.
#define QISS_THROW(...) throw ::qiss::Error(fmt::format(__VA_ARGS__))

/// Throws qiss::Error with a fmt-formatted message when `cond` is false.
#define QISS_CHECK(cond, ...)                 \
    do {                                      \
        if (!(cond)) QISS_THROW(__VA_ARGS__); \
    } while (0)

/// Aborts on a broken invariant: a bug in qiss, not a user error.
#define QISS_ASSERT(cond)                                                  \
    do {                                                                   \
        if (!(cond)) ::qiss::assert_failed(#cond, __FILE__, __LINE__, ""); \
    } while (0)
