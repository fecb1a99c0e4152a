#include "engine/filter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"
#include "store/image_store.h"

namespace qiss {
namespace {

constexpr const char* kIntMembers[] = {"min_width", "max_width", "min_height", "max_height"};

/// The pixel bound named `name` (one of kIntMembers), of a Filter or a const Filter.
template <class F>
auto& int_member(F& f, std::string_view name) {
    if (name == "min_width") return f.min_width;
    if (name == "max_width") return f.max_width;
    if (name == "min_height") return f.min_height;
    QISS_ASSERT(name == "max_height");
    return f.max_height;
}

bool is_int_member(std::string_view name) {
    return std::find(std::begin(kIntMembers), std::end(kIntMembers), name) != std::end(kIntMembers);
}

std::string shown(std::string_view value) {
    return fmt::format(
        "'{}'", value.size() > 60 ? std::string(value.substr(0, 60)) + "…" : std::string(value));
}

void check_length(std::string_view value, std::string_view what, const FilterLimits& limits) {
    QISS_CHECK(!value.empty(), "filter {} must not be empty", what);
    QISS_CHECK(value.size() <= limits.max_value_bytes,
               "filter {} is {} bytes long; the limit is {}", what, value.size(),
               limits.max_value_bytes);
}

int parse_pixels(std::string_view text, std::string_view what) {
    int v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    QISS_CHECK(ec == std::errc() && p == text.data() + text.size() && v >= 0,
               "filter {} must be a number of pixels (a non-negative integer), got {}", what,
               shown(text));
    return v;
}

/// Digits at `s[at, at + n)` as a number, or -1.
int digits(std::string_view s, std::size_t at, std::size_t n) {
    if (at + n > s.size()) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::string format_key(std::string format) {
    std::transform(format.begin(), format.end(), format.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return format;
}

bool Filter::empty() const {
    return !root && !source_prefix && !added_after && !added_before && !min_width && !max_width &&
           !min_height && !max_height && formats.empty() && fields.empty();
}

std::int64_t parse_time_ms(std::string_view text, std::string_view what) {
    const auto bad = [&] {
        QISS_THROW(
            "filter {} must be a date (2026-11-30), a date and time "
            "(2026-11-30T12:00:00Z) or Unix milliseconds, got {}",
            what, shown(text));
    };
    std::int64_t ms = 0;
    if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
        ec == std::errc() && p == text.data() + text.size())
        return ms;
    const int y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
    if (y < 0 || mo < 0 || d < 0 || text[4] != '-' || text[7] != '-') bad();
    using namespace std::chrono;
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                              day{static_cast<unsigned>(d)}};
    if (!date.ok()) bad();
    std::int64_t seconds =
        duration_cast<std::chrono::seconds>(sys_days{date}.time_since_epoch()).count();
    std::int64_t millis = 0;
    if (text.size() > 10) {
        if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') bad();
        const int h = digits(text, 11, 2), mi = digits(text, 14, 2);
        if (h < 0 || mi < 0 || text.size() < 16 || text[13] != ':' || h > 23 || mi > 59) bad();
        std::size_t at = 16;
        int s = 0;
        if (at < text.size() && text[at] == ':') {
            s = digits(text, at + 1, 2);
            if (s < 0 || s > 60) bad();
            at += 3;
            if (at < text.size() && text[at] == '.') {
                std::size_t n = 0;
                while (at + 1 + n < text.size() &&
                       std::isdigit(static_cast<unsigned char>(text[at + 1 + n])))
                    ++n;
                if (n == 0) bad();
                millis = digits(text, at + 1, std::min<std::size_t>(n, 3));
                for (std::size_t i = n; i < 3; ++i) millis *= 10;
                at += 1 + n;
            }
        }
        seconds += h * 3600 + mi * 60 + s;
        // No offset: UTC, as "Z".
        if (at < text.size()) {
            const char sign = text[at];
            if ((sign == 'Z' || sign == 'z') && at + 1 == text.size()) {
            } else if ((sign == '+' || sign == '-') && at + 6 == text.size() &&
                       text[at + 3] == ':') {
                const int oh = digits(text, at + 1, 2), om = digits(text, at + 4, 2);
                if (oh < 0 || om < 0 || oh > 23 || om > 59) bad();
                const int offset = (oh * 3600 + om * 60) * (sign == '+' ? 1 : -1);
                seconds -= offset;
            } else {
                bad();
            }
        }
    }
    return seconds * 1000 + millis;
}

void check_filter(const Filter& f, const FilterLimits& limits) {
    std::size_t values = f.formats.size();
    for (const auto& [name, accepted] : f.fields) {
        check_length(name, "field name", limits);
        QISS_CHECK(!accepted.empty(), "filter field '{}' has no value", name);
        values += accepted.size();
    }
    QISS_CHECK(values <= limits.max_values, "the filter has {} values; the limit is {}", values,
               limits.max_values);
    QISS_CHECK(!f.min_width || !f.max_width || *f.min_width <= *f.max_width,
               "filter min_width {} is above max_width {}: nothing can match",
               f.min_width.value_or(0), f.max_width.value_or(0));
    QISS_CHECK(!f.min_height || !f.max_height || *f.min_height <= *f.max_height,
               "filter min_height {} is above max_height {}: nothing can match",
               f.min_height.value_or(0), f.max_height.value_or(0));
    QISS_CHECK(!f.added_after || !f.added_before || *f.added_after < *f.added_before,
               "filter added_after must be before added_before: nothing can match");
}

Filter filter_from_json(const nlohmann::json& json, const FilterLimits& limits) {
    QISS_CHECK(json.is_object(), "\"filter\" must be a JSON object");
    Filter f;
    const auto text = [&](const nlohmann::json& v, std::string_view what) {
        QISS_CHECK(v.is_string(), "filter {} must be a string", what);
        std::string s = v.get<std::string>();
        check_length(s, what, limits);
        return s;
    };
    const auto time = [&](const nlohmann::json& v, std::string_view what) {
        if (v.is_number_integer()) return v.get<std::int64_t>();
        QISS_CHECK(v.is_string(), "filter {} must be a date string or Unix milliseconds", what);
        return parse_time_ms(v.get<std::string>(), what);
    };
    for (const auto& [key, value] : json.items()) {
        if (key == "root") {
            f.root = text(value, key);
        } else if (key == "source_prefix") {
            f.source_prefix = text(value, key);
        } else if (key == "added_after") {
            f.added_after = time(value, key);
        } else if (key == "added_before") {
            f.added_before = time(value, key);
        } else if (is_int_member(key)) {
            QISS_CHECK(value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
                           value.get<std::int64_t>() <= std::numeric_limits<int>::max(),
                       "filter {} must be a number of pixels (a non-negative integer)", key);
            int_member(f, key) = value.get<int>();
        } else if (key == "format") {
            if (value.is_array()) {
                for (const auto& v : value) f.formats.push_back(format_key(text(v, "format")));
                QISS_CHECK(!f.formats.empty(), "filter format must not be an empty list");
            } else {
                f.formats.push_back(format_key(text(value, "format")));
            }
        } else if (key == "fields") {
            QISS_CHECK(value.is_object(), "filter fields must be an object: field -> value(s)");
            for (const auto& [name, accepted] : value.items()) {
                const std::string what = fmt::format("field '{}'", name);
                std::vector<std::string>& into = f.fields[name];
                const auto add = [&](const nlohmann::json& v) {
                    QISS_CHECK(v.is_string() || v.is_number() || v.is_boolean(),
                               "filter {} must be a string, a number, a boolean or a list of them",
                               what);
                    std::string s = field_value_text(v);
                    check_length(s, what, limits);
                    into.push_back(std::move(s));
                };
                if (accepted.is_array()) {
                    for (const auto& v : accepted) add(v);
                } else {
                    add(accepted);
                }
            }
        } else {
            QISS_THROW(
                "unknown filter member {} (expected root, source_prefix, added_after, "
                "added_before, min_width, max_width, min_height, max_height, format, "
                "fields)",
                shown(key));
        }
    }
    check_filter(f, limits);
    return f;
}

void add_condition(Filter& f, std::string_view condition, const FilterLimits& limits) {
    const auto eq = condition.find('=');
    QISS_CHECK(eq != std::string_view::npos && eq > 0,
               "a filter condition is KEY=VALUE (e.g. format=png, field.vendor=google), got {}",
               shown(condition));
    const std::string key(condition.substr(0, eq));
    const std::string value(condition.substr(eq + 1));
    const auto once = [&](auto& slot) { QISS_CHECK(!slot, "filter {} is given twice", key); };
    if (key.starts_with("field.")) {
        const std::string name = key.substr(6);
        check_length(name, "field name", limits);
        check_length(value, fmt::format("field '{}'", name), limits);
        f.fields[name].push_back(value);
    } else if (key == "format") {
        check_length(value, key, limits);
        f.formats.push_back(format_key(value));
    } else if (key == "root" || key == "source_prefix") {
        auto& slot = key == "root" ? f.root : f.source_prefix;
        once(slot);
        check_length(value, key, limits);
        slot = value;
    } else if (key == "added_after" || key == "added_before") {
        auto& slot = key == "added_after" ? f.added_after : f.added_before;
        once(slot);
        slot = parse_time_ms(value, key);
    } else if (is_int_member(key)) {
        auto& slot = int_member(f, key);
        once(slot);
        slot = parse_pixels(value, key);
    } else {
        QISS_THROW(
            "unknown filter key {} (expected root, source_prefix, added_after, "
            "added_before, min_width, max_width, min_height, max_height, format or "
            "field.NAME)",
            shown(key));
    }
}

nlohmann::json filter_to_json(const Filter& f) {
    nlohmann::json j = nlohmann::json::object();
    if (f.root) j["root"] = *f.root;
    if (f.source_prefix) j["source_prefix"] = *f.source_prefix;
    if (f.added_after) j["added_after"] = *f.added_after;
    if (f.added_before) j["added_before"] = *f.added_before;
    for (const char* name : kIntMembers)
        if (const auto& v = int_member(f, name)) j[name] = *v;
    if (!f.formats.empty()) j["format"] = f.formats;
    if (!f.fields.empty()) j["fields"] = f.fields;
    return j;
}

std::string field_value_text(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number() || value.is_boolean()) return value.dump();
    return "";
}

bool filter_matches(const Filter& f, const ImageRecord& r) {
    if (f.root && r.root != *f.root) return false;
    if (f.source_prefix &&
        !(f.relative_sources ? relative_source(r) : r.source).starts_with(*f.source_prefix))
        return false;
    if (f.added_after && r.added_unix_ms < *f.added_after) return false;
    if (f.added_before && r.added_unix_ms >= *f.added_before) return false;
    if ((f.min_width && r.width < *f.min_width) || (f.max_width && r.width > *f.max_width) ||
        (f.min_height && r.height < *f.min_height) || (f.max_height && r.height > *f.max_height))
        return false;
    if (!f.formats.empty() &&
        std::find(f.formats.begin(), f.formats.end(), format_key(r.format)) == f.formats.end())
        return false;
    for (const auto& field : f.fields) {
        const std::vector<std::string>& accepted = field.second;
        const auto it = r.metadata.find(field.first);
        if (it == r.metadata.end()) return false;
        const auto accepts = [&](const nlohmann::json& v) {
            const std::string t = field_value_text(v);
            return !t.empty() && std::find(accepted.begin(), accepted.end(), t) != accepted.end();
        };
        const bool any =
            it->is_array() ? std::any_of(it->begin(), it->end(), accepts) : accepts(*it);
        if (!any) return false;
    }
    return true;
}

}  // namespace qiss
