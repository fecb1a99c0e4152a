#include "server/request_input.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "server/json_error.h"

namespace qiss::server {
namespace {

using httplib::Request;

/// `application/json`, with parameters or not ("application/json; charset=utf-8"), not
/// "application/jsonx".
bool is_json_media_type(std::string_view type) {
    constexpr std::string_view kJson = "application/json";
    if (!starts_with_ignoring_case(type, kJson)) return false;
    const std::string_view rest = type.substr(kJson.size());
    return rest.empty() || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t';
}

int parse_int(const std::string& text, const std::string& name) {
    long long v = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec == std::errc::result_out_of_range)
        throw HttpError(400, fmt::format("{} is out of range (got {})", name, quoted(text)));
    if (ec != std::errc() || p != end || text.empty())
        throw HttpError(400, fmt::format("{} must be an integer (got {})", name, quoted(text)));
    return static_cast<int>(
        std::clamp<long long>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

/// A search setting from the query string, else from a multipart field; nullopt if absent.
std::optional<std::string> param_or_field(const Request& req, const char* name) {
    if (req.has_param(name)) return req.get_param_value(name);
    if (req.is_multipart_form_data() && req.has_file(name)) return req.get_file_value(name).content;
    return std::nullopt;
}
}  // namespace

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

/// At most 60 bytes of a user's value, for an error message.
std::string quoted(const std::string& value) {
    return "'" + (value.size() > 60 ? value.substr(0, 60) + "…" : value) + "'";
}

int int_param(const Request& req, const std::string& name, int fallback) {
    const auto given = param_or_field(req, name.c_str());
    return given ? parse_int(*given, name) : fallback;
}

int int_member(const nlohmann::json& object, const std::string& name, int fallback) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return fallback;
    if (!it->is_number_integer())
        throw HttpError(400, fmt::format("\"{}\" must be an integer (got {})", name, it->dump()));
    return static_cast<int>(std::clamp<std::int64_t>(
        it->get<std::int64_t>(), std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

std::optional<float> collapse_param(const Request& req) {
    const auto given = param_or_field(req, "collapse");
    if (!given) return std::nullopt;
    const std::string& text = *given;
    if (text == "0" || text == "false") return std::nullopt;
    if (text == "1" || text == "true") return kDefaultDupeThreshold;
    float v = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end || !(v > 0 && v <= 1))
        throw HttpError(400, fmt::format("collapse must be true, false or a cosine in (0, 1] (got "
                                         "{})",
                                         server::quoted(text)));
    return v;
}

std::optional<float> collapse_member(const nlohmann::json& object) {
    const auto it = object.find("collapse");
    if (it == object.end() || it->is_null() || (it->is_boolean() && !it->get<bool>()))
        return std::nullopt;
    if (it->is_boolean()) return kDefaultDupeThreshold;
    if (it->is_number()) {
        const double v = it->get<double>();
        if (v > 0 && v <= 1) return static_cast<float>(v);
    }
    throw HttpError(400, fmt::format("\"collapse\" must be true, false or a cosine in (0, 1] "
                                     "(got {})",
                                     it->dump()));
}

std::optional<float> min_relevance_param(const Request& req) {
    const auto given = param_or_field(req, "min_relevance");
    if (!given) return std::nullopt;
    const std::string& text = *given;
    float v = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end || !(v >= 0 && v <= 1))
        throw HttpError(400, fmt::format("min_relevance must be a probability in [0, 1] (got {})",
                                         server::quoted(text)));
    return v;
}

std::optional<float> min_relevance_member(const nlohmann::json& object) {
    const auto it = object.find("min_relevance");
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (it->is_number()) {
        const double v = it->get<double>();
        if (v >= 0 && v <= 1) return static_cast<float>(v);
    }
    throw HttpError(
        400, fmt::format("\"min_relevance\" must be a probability in [0, 1] (got {})", it->dump()));
}

std::optional<SearchMode> mode_param(const Request& req) {
    const auto given = param_or_field(req, "mode");
    if (!given) return std::nullopt;
    try {
        return parse_search_mode(*given);
    } catch (const Error& e) {
        throw HttpError(400, e.what());
    }
}

std::optional<SearchMode> mode_member(const nlohmann::json& object) {
    const auto it = object.find("mode");
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) {
        try {
            return parse_search_mode(it->get<std::string>());
        } catch (const Error&) {
        }
    }
    throw HttpError(400, fmt::format("\"mode\" must be \"hybrid\", \"semantic\" or "
                                     "\"keyword\" (got {})",
                                     it->dump()));
}

std::string after_param(const Request& req) {
    return param_or_field(req, "after").value_or("");
}

Filter where_params(const Request& req) {
    Filter filter;
    const std::size_t n = req.get_param_value_count("where");
    for (std::size_t i = 0; i < n; ++i) add_condition(filter, req.get_param_value("where", i));
    if (req.is_multipart_form_data()) {
        const auto [from, to] = req.files.equal_range("where");
        for (auto it = from; it != to; ++it) add_condition(filter, it->second.content);
    }
    check_filter(filter);
    return filter;
}

nlohmann::json json_body(const Request& req) {
    const std::string type = req.get_header_value("Content-Type");
    if (!is_json_media_type(type))
        throw HttpError(415, fmt::format("unsupported Content-Type {}: send application/json or "
                                         "multipart/form-data with an `image` field",
                                         type.empty() ? "(none)" : quoted(type)));
    if (req.body.empty()) throw HttpError(400, "the request body is empty; send a JSON object");
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::parse_error& e) {
        throw HttpError(400, std::string("invalid JSON: ") + e.what());
    } catch (const nlohmann::json::exception& e) {  // out_of_range: a number such as 1e400
        throw HttpError(400, std::string("invalid JSON (a number out of range?): ") + e.what());
    }
    if (!body.is_object()) throw HttpError(400, "the request body must be a JSON object");
    return body;
}

std::vector<TermInput> terms_from_json(const nlohmann::json& terms, int max_terms,
                                       bool parts_allowed) {
    if (!terms.is_array() || terms.empty())
        throw HttpError(400, "\"terms\" must be a non-empty array of objects");
    if (terms.size() > static_cast<std::size_t>(std::max(max_terms, 0)))
        throw HttpError(
            400, fmt::format("\"terms\" has {} terms; the limit is {}", terms.size(), max_terms));
    const std::vector<std::string> kinds =
        parts_allowed ? std::vector<std::string>{"text", "id", "image_url", "image"}
                      : std::vector<std::string>{"text", "id", "image_url"};
    std::vector<TermInput> out;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        const nlohmann::json& t = terms[i];
        const std::string where = fmt::format("term {}", i + 1);
        if (!t.is_object()) throw HttpError(400, where + " must be a JSON object");
        int given = 0;
        for (const auto& [key, value] : t.items()) {
            if (key == "weight") continue;
            if (std::find(kinds.begin(), kinds.end(), key) == kinds.end())
                throw HttpError(400, fmt::format("{} has an unknown member {} (expected {} and "
                                                 "\"weight\")",
                                                 where, quoted(key), fmt::join(kinds, ", ")));
            ++given;
        }
        if (given != 1)
            throw HttpError(
                400, fmt::format("{} must have exactly one of {}", where, fmt::join(kinds, ", ")));
        TermInput in;
        QueryTerm& q = in.term;
        if (auto w = t.find("weight"); w != t.end()) {
            if (!w->is_number()) throw HttpError(400, where + "'s \"weight\" must be a number");
            q.weight = w->get<float>();
        }
        if (auto it = t.find("text"); it != t.end()) {
            if (!it->is_string()) throw HttpError(400, where + "'s \"text\" must be a string");
            q.kind = QueryTerm::Kind::Text;
            q.text = it->get<std::string>();
        } else if (auto it = t.find("id"); it != t.end()) {
            if (!it->is_number_unsigned() &&
                !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
                throw HttpError(400, where + "'s \"id\" must be a non-negative integer");
            q.kind = QueryTerm::Kind::Id;
            q.id = it->get<std::uint64_t>();
        } else {
            const bool part = t.contains("image");
            const nlohmann::json& name = part ? t["image"] : t["image_url"];
            if (!name.is_string() || name.get<std::string>().empty())
                throw HttpError(400, fmt::format("{}'s \"{}\" must be a non-empty string", where,
                                                 part ? "image" : "image_url"));
            q.kind = QueryTerm::Kind::Image;
            q.image_name = name.get<std::string>();
            in.image_from_part = part;
        }
        out.push_back(std::move(in));
    }
    return out;
}

Query search_query_from_json(const Request& req, Query q, int max_terms) {
    const nlohmann::json body = json_body(req);
    static const std::vector<std::string> kMembers = {
        "text",     "image_url",     "id",     "terms", "k", "offset", "after",
        "collapse", "min_relevance", "filter", "mode"};
    for (const auto& [key, value] : body.items())
        if (std::find(kMembers.begin(), kMembers.end(), key) == kMembers.end())
            throw HttpError(400, fmt::format("unknown member {} (expected one of {})", quoted(key),
                                             fmt::join(kMembers, ", ")));
    q.k = int_member(body, "k", q.k);
    q.offset = int_member(body, "offset", q.offset);
    if (auto it = body.find("after"); it != body.end() && !it->is_null()) {
        if (!it->is_string())
            throw HttpError(400, "\"after\" must be a string: the `next` of the previous page");
        q.after = it->get<std::string>();
    }
    if (body.contains("collapse")) q.collapse = collapse_member(body);
    if (body.contains("min_relevance")) q.min_relevance = min_relevance_member(body);
    if (body.contains("mode")) {
        if (q.mode) throw HttpError(400, "give the mode once: as \"mode\" or as a parameter");
        q.mode = mode_member(body);
    }
    if (auto it = body.find("filter"); it != body.end() && !it->is_null()) {
        if (!q.filter.empty())
            throw HttpError(400, "give the filter once: as \"filter\" or as `where` parameters");
        q.filter = filter_from_json(*it);
    }
    int kinds = 0;
    for (const char* key : {"text", "image_url", "id", "terms"}) kinds += body.contains(key);
    if (kinds != 1)
        throw HttpError(400, "give exactly one of \"text\", \"image_url\", \"id\" or \"terms\"");
    if (auto it = body.find("text"); it != body.end()) {
        if (!it->is_string()) throw HttpError(400, "\"text\" must be a string");
        q.kind = Query::Kind::Text;
        q.text = it->get<std::string>();
    } else if (auto it = body.find("image_url"); it != body.end()) {
        if (!it->is_string()) throw HttpError(400, "\"image_url\" must be a string");
        q.kind = Query::Kind::Image;
        q.image_name = it->get<std::string>();
    } else if (auto it = body.find("terms"); it != body.end()) {
        q.kind = Query::Kind::Terms;
        for (TermInput& t : terms_from_json(*it, max_terms, false))
            q.terms.push_back(std::move(t.term));
    } else {
        const nlohmann::json& id = body["id"];
        if (!id.is_number_unsigned() && !(id.is_number_integer() && id.get<std::int64_t>() >= 0))
            throw HttpError(400, "\"id\" must be a non-negative integer");
        q.kind = Query::Kind::Id;
        q.id = id.get<std::uint64_t>();
    }
    return q;
}

}  // namespace qiss::server
