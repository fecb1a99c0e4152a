#pragma once
// Reading numbers out of JSON that came from a file or a client. nlohmann's `get<int>()` of
// 1e300, or `get<float>()` of 1e300, is a C++ conversion out of range: undefined behaviour
// (UBSan reports it; the fuzzers found it in store records). These helpers convert only what
// fits and otherwise throw nlohmann's own type_error (302), so every caller's existing
// `catch (const nlohmann::json::exception&)` turns it into its usual message.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss {

namespace json_detail {

[[noreturn]] inline void out_of_range(const nlohmann::json& j, const char* type) {
    throw nlohmann::json::type_error::create(
        302, std::string("number ") + j.dump() + " does not fit " + type, &j);
}

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

}  // namespace json_detail

/// `j` as T; for a number, only when its value fits T (integers must be integral).
template <typename T>
T json_get(const nlohmann::json& j) {
    if constexpr (std::is_same_v<T, bool> || !std::is_arithmetic_v<T>) {
        if constexpr (json_detail::IsVector<T>::value) {
            if (!j.is_array()) return j.get<T>();  // nlohmann's own type error
            T out;
            out.reserve(j.size());
            for (const auto& e : j) out.push_back(json_get<typename T::value_type>(e));
            return out;
        } else {
            return j.get<T>();
        }
    } else if constexpr (std::is_integral_v<T>) {
        if (j.is_number_unsigned()) {
            const auto v = j.get<std::uint64_t>();
            if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
                json_detail::out_of_range(j, "an integer of this field");
            return static_cast<T>(v);
        }
        if (j.is_number_integer()) {
            const auto v = j.get<std::int64_t>();
            if constexpr (std::is_unsigned_v<T>) {
                if (v < 0) json_detail::out_of_range(j, "an unsigned integer");
                if (static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max())
                    json_detail::out_of_range(j, "an integer of this field");
            } else {
                if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
                    json_detail::out_of_range(j, "an integer of this field");
            }
            return static_cast<T>(v);
        }
        if (j.is_number_float()) json_detail::out_of_range(j, "an integer");
        return j.get<T>();  // not a number: nlohmann's own type error
    } else {
        if (!j.is_number_float()) return j.get<T>();  // integers always fit a float or double
        const double v = j.get<double>();
        if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(std::numeric_limits<T>::max()))
            json_detail::out_of_range(j, "a floating-point number");
        return static_cast<T>(v);
    }
}

/// `out = json_get<T>(j)`.
template <typename T>
void json_get_to(const nlohmann::json& j, T& out) {
    out = json_get<T>(j);
}

/// The member `key` of the object `j` as T, or `fallback` when there is no such member.
template <typename T>
T json_value(const nlohmann::json& j, const char* key, const T& fallback) {
    if (!j.is_object()) return j.value(key, fallback);  // nlohmann's own type error
    const auto it = j.find(key);
    return it == j.end() ? fallback : json_get<T>(*it);
}

}  // namespace qiss
