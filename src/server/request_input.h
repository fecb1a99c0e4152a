#pragma once
/// @file request_input.h
/// What the routes read from a request: integer parameters, JSON bodies and the search query
/// of POST /api/search. Every failure is an HttpError 4xx (json_error.h). Needs neither the
/// collection nor the model, so that it can be tested and fuzzed alone.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/query_spec.h"

namespace qiss::server {

/// Whether `s` starts with `prefix`, ASCII letters compared without case.
bool starts_with_ignoring_case(std::string_view s, std::string_view prefix);
/// At most 60 bytes of a user's value, quoted, for an error message.
std::string quoted(const std::string& value);

/// An integer parameter from the query string or a multipart field; `fallback` if absent.
/// Throws HttpError 400 if it is not an integer.
int int_param(const httplib::Request& req, const std::string& name, int fallback);
/// An integer member of a JSON object; `fallback` if absent. Throws HttpError 400 otherwise.
int int_member(const nlohmann::json& object, const std::string& name, int fallback);
/// The `collapse` parameter of a search (query string or multipart field): absent, "0" or
/// "false" = no collapsing; "1" or "true" = the default threshold; a number in (0, 1) = that
/// threshold. Throws HttpError 400 for anything else.
std::optional<float> collapse_param(const httplib::Request& req);
/// The "collapse" member of a JSON search: absent, null or false = none; true = the default
/// threshold; a number in (0, 1] = that threshold. Throws HttpError 400 otherwise.
std::optional<float> collapse_member(const nlohmann::json& object);
/// The `min_relevance` parameter of a search (query string or multipart field): a number in
/// [0, 1], or nullopt if absent. Throws HttpError 400 for anything else.
std::optional<float> min_relevance_param(const httplib::Request& req);
/// The "min_relevance" member of a JSON search: absent or null = none, else a number in [0, 1].
/// Throws HttpError 400 otherwise.
std::optional<float> min_relevance_member(const nlohmann::json& object);
/// The `mode` parameter (hybrid, semantic or keyword), if given; 400 for another value.
std::optional<SearchMode> mode_param(const httplib::Request& req);
/// The "mode" member of a JSON body, if given and not null; 400 for another value.
std::optional<SearchMode> mode_member(const nlohmann::json& object);
/// The `after` parameter of a search (query string or multipart field): a cursor token, empty
/// if absent (checked when the query runs).
std::string after_param(const httplib::Request& req);
/// The `where` conditions of a search (query-string parameters and multipart fields, each
/// KEY=VALUE: engine/filter.h, add_condition); an empty Filter when there are none. Throws
/// qiss::Error (400) for a malformed condition.
Filter where_params(const httplib::Request& req);
/// The body as a JSON object. Throws HttpError 415 for another or no Content-Type, 400 for an
/// empty body, invalid JSON (numbers out of double's range included) or a value that is not an
/// object.
nlohmann::json json_body(const httplib::Request& req);

/// One term of a combined query as a request gives it: for an image term, `term.image_name`
/// holds the URL ("image_url") or the multipart part's name ("image"), not fetched yet.
struct TermInput {
    QueryTerm term;
    bool image_from_part = false;  ///< the image is the multipart part named term.image_name
};

/// The "terms" array of a search: objects with exactly one of "text", "id", "image_url" and,
/// when `parts_allowed` (a multipart form's `terms` field), "image" (a part's name), and an
/// optional "weight" (a number, default 1). Throws HttpError 400 for anything else, an unknown
/// member included, or for more than `max_terms` terms.
std::vector<TermInput> terms_from_json(const nlohmann::json& terms, int max_terms,
                                       bool parts_allowed);

/// The query of POST /api/search's JSON body (json_body): exactly one of "text", "image_url"
/// (its URL in image_name, not downloaded yet), "id" (not looked up yet) and "terms"
/// (terms_from_json without parts), with "k", "offset", "after", "collapse", "min_relevance"
/// and "filter" (filter_from_json; an error when `q` already has one) over those of `q`.
/// Throws HttpError 4xx for anything else, an unknown member included.
Query search_query_from_json(const httplib::Request& req, Query q, int max_terms);

}  // namespace qiss::server
