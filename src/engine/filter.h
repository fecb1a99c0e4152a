#pragma once
/// @file filter.h
/// What a filtered search keeps: images of a source folder or path prefix, added in a date
/// range, of a size or format, or whose manifest fields have given values (docs/api.md,
/// "Filters"). Parsed from a JSON object (the API's `filter`) or from KEY=VALUE conditions (the
/// CLI's `--where`, the API's `where` parameters); engine/record_table.h selects the matching
/// ids.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss {

struct ImageRecord;

/// Bounds on a filter; each has a safe default.
struct FilterLimits {
    std::size_t max_values = 64;         ///< formats and field values together
    std::size_t max_value_bytes = 1000;  ///< any one string (a folder, a prefix, a value)
};

/// A conjunction of conditions; a list of values (formats, a field's values) matches any of
/// them. An empty Filter keeps every image.
struct Filter {
    std::optional<std::string> root;           ///< the folder given to `qiss index`, exactly
    std::optional<std::string> source_prefix;  ///< `source` starts with this
    /// Compare source_prefix with the source relative to its folder (relative_source(), as the
    /// API shows it by default) instead of the stored one. Not part of the JSON form: the
    /// server sets it.
    bool relative_sources = false;
    /// Added at or after / strictly before, in Unix milliseconds.
    std::optional<std::int64_t> added_after, added_before;
    std::optional<int> min_width, max_width, min_height, max_height;  ///< pixels, inclusive
    std::vector<std::string> formats;  ///< e.g. "png", "jpeg" (lower case)
    /// Manifest field -> accepted values, as text: a string as it is, a number or a boolean as
    /// JSON writes it. A record matches a value when its field equals it or, for an array,
    /// holds it.
    std::map<std::string, std::vector<std::string>> fields;

    bool empty() const;
};

/// A filter from its JSON form: an object with the members "root", "source_prefix",
/// "added_after", "added_before" (an RFC 3339 date or time, or Unix milliseconds),
/// "min_width", "max_width", "min_height", "max_height", "format" (a string or a list) and
/// "fields" (an object: field -> a value or a list of values). Throws qiss::Error naming the
/// member for an unknown member, a value of the wrong type, a limit exceeded, or bounds that
/// exclude everything (min above max, added_after not before added_before).
Filter filter_from_json(const nlohmann::json& json, const FilterLimits& limits = {});

/// Adds one KEY=VALUE condition (`--where`, the API's `where`): KEY is a member of the JSON
/// form other than "fields", or "field.NAME" for a manifest field; a repeated "format" or
/// "field.NAME" adds an accepted value, any other repeated key is an error. Throws qiss::Error
/// for a malformed condition or value; check_filter() the result when all are added.
void add_condition(Filter& filter, std::string_view condition, const FilterLimits& limits = {});

/// Checks what only the whole filter shows: the limits and bounds that exclude everything.
void check_filter(const Filter& filter, const FilterLimits& limits = {});

/// The JSON form of a filter (members in a fixed order, absent ones left out): what an answer
/// echoes, and what a cursor's fingerprint covers.
nlohmann::json filter_to_json(const Filter& filter);

/// A format name as filters compare it: lower case ("PNG" and "png" are one format).
std::string format_key(std::string format);

/// The text form of a manifest field's value that filters compare ("" for objects and null).
std::string field_value_text(const nlohmann::json& value);

/// Unix milliseconds of an RFC 3339 date ("2026-11-30", midnight UTC) or date-time
/// ("2026-11-30T12:00:00Z", "…+01:00", fractions of a second allowed), or of an integer of
/// milliseconds. Throws qiss::Error naming `what` otherwise.
std::int64_t parse_time_ms(std::string_view text, std::string_view what);

/// Whether a record passes the filter (the reference semantics; RecordTable selects the same).
bool filter_matches(const Filter& filter, const ImageRecord& record);

}  // namespace qiss
