#pragma once
// Reads docs/openapi.json for the tests: the operations it describes, their responses, and a
// checker of the JSON Schema subset its response schemas use (type, required, properties,
// items, allOf, enum, const, minimum, maximum, local $ref). A keyword outside that subset is
// reported, so a schema the checker cannot judge never passes silently.
#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss::test {

class OpenApiChecker {
  public:
    explicit OpenApiChecker(nlohmann::json doc) : doc_(std::move(doc)) {}

    const nlohmann::json& doc() const { return doc_; }

    /// Follows local references ("$ref": "#/components/…"); `node` itself if it has none.
    const nlohmann::json& resolve(const nlohmann::json& node) const {
        const nlohmann::json* n = &node;
        for (int depth = 0; n->is_object() && n->contains("$ref") && depth < 32; ++depth) {
            const std::string ref = (*n)["$ref"].get<std::string>();
            if (ref.rfind("#/", 0) != 0) return kNull;
            const nlohmann::json::json_pointer pointer(ref.substr(1));
            if (!doc_.contains(pointer)) return kNull;
            n = &doc_.at(pointer);
        }
        return *n;
    }

    /// The described operations as (path, method) pairs, methods in lower case.
    std::set<std::pair<std::string, std::string>> operations() const {
        std::set<std::pair<std::string, std::string>> out;
        for (const auto& [path, item] : doc_.at("paths").items())
            for (const char* m :
                 {"get", "put", "post", "delete", "options", "head", "patch", "trace"})
                if (item.contains(m)) out.insert({path, m});
        return out;
    }

    /// The response object of an operation for a status, references resolved; null if that
    /// status is not described.
    const nlohmann::json& response(const std::string& path, const std::string& method,
                                   int status) const {
        const auto& paths = doc_.at("paths");
        if (!paths.contains(path) || !paths[path].contains(method)) return kNull;
        const auto& responses = paths[path][method].at("responses");
        const std::string code = std::to_string(status);
        return responses.contains(code) ? resolve(responses[code]) : kNull;
    }

    /// The problems of `value` against `schema` ("$.results[0].id: …"); empty if it conforms.
    std::vector<std::string> validate(const nlohmann::json& schema, const nlohmann::json& value,
                                      const std::string& where = "$") const {
        std::vector<std::string> problems;
        check(schema, value, where, problems);
        return problems;
    }

  private:
    static bool has_type(const nlohmann::json& v, const std::string& type) {
        if (type == "object") return v.is_object();
        if (type == "array") return v.is_array();
        if (type == "string") return v.is_string();
        if (type == "boolean") return v.is_boolean();
        if (type == "null") return v.is_null();
        if (type == "integer") return v.is_number_integer();
        if (type == "number") return v.is_number();
        return false;
    }

    void check(const nlohmann::json& schema_node, const nlohmann::json& v, const std::string& at,
               std::vector<std::string>& problems) const {
        static const std::set<std::string> kAnnotations = {
            "description", "examples", "example", "default", "format", "contentMediaType", "title"};
        const nlohmann::json& schema = resolve(schema_node);
        if (!schema.is_object()) {
            problems.push_back(at + ": the schema is not an object (or a $ref is broken)");
            return;
        }
        for (const auto& [key, sub] : schema.items()) {
            if (kAnnotations.count(key)) continue;
            if (key == "type") {
                const auto types = sub.is_array() ? sub : nlohmann::json::array({sub});
                if (std::none_of(types.begin(), types.end(), [&](const nlohmann::json& t) {
                        return has_type(v, t.get<std::string>());
                    }))
                    problems.push_back(at + ": " + v.dump() + " is not of type " + sub.dump());
            } else if (key == "required") {
                for (const auto& name : sub)
                    if (v.is_object() && !v.contains(name.get<std::string>()))
                        problems.push_back(at + ": the required property " + name.dump() +
                                           " is missing");
            } else if (key == "properties") {
                if (!v.is_object()) continue;
                for (const auto& [name, property] : sub.items())
                    if (v.contains(name)) check(property, v[name], at + "." + name, problems);
            } else if (key == "items") {
                if (!v.is_array()) continue;
                for (std::size_t i = 0; i < v.size(); ++i)
                    check(sub, v[i], at + "[" + std::to_string(i) + "]", problems);
            } else if (key == "allOf") {
                for (const auto& part : sub) check(part, v, at, problems);
            } else if (key == "enum") {
                if (std::find(sub.begin(), sub.end(), v) == sub.end())
                    problems.push_back(at + ": " + v.dump() + " is not one of " + sub.dump());
            } else if (key == "const") {
                if (v != sub) problems.push_back(at + ": " + v.dump() + " is not " + sub.dump());
            } else if (key == "minimum") {
                if (v.is_number() && v.get<double>() < sub.get<double>())
                    problems.push_back(at + ": " + v.dump() + " < minimum " + sub.dump());
            } else if (key == "maximum") {
                if (v.is_number() && v.get<double>() > sub.get<double>())
                    problems.push_back(at + ": " + v.dump() + " > maximum " + sub.dump());
            } else {
                problems.push_back(at + ": the checker does not know the keyword \"" + key + "\"");
            }
        }
    }

    inline static const nlohmann::json kNull = nullptr;
    nlohmann::json doc_;
};

/// The OpenAPI paths a route's regex matches: "/api/images/(\d+)/similar" gives
/// "/api/images/{id}/similar"; alternatives ("/|/index\.html") give one path each. Empty if
/// the pattern holds other regex syntax.
inline std::vector<std::string> openapi_paths_of(const std::string& pattern) {
    std::vector<std::string> out;
    std::size_t begin = 0;
    while (begin <= pattern.size()) {
        std::size_t end = pattern.find('|', begin);
        if (end == std::string::npos) end = pattern.size();
        std::string p = pattern.substr(begin, end - begin);
        const std::string id = R"((\d+))";
        for (std::size_t at; (at = p.find(id)) != std::string::npos;)
            p.replace(at, id.size(), "{id}");
        for (std::size_t at; (at = p.find("\\.")) != std::string::npos;)
            p.erase(at, 1);  // "\." -> "."
        if (p.find_first_of("()[]*+?\\^$") != std::string::npos) return {};
        out.push_back(p);
        begin = end + 1;
    }
    return out;
}

}  // namespace qiss::test
