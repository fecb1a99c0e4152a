#include "corpus/manifest.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace fs = std::filesystem;

const char* split_name(Split s) {
    switch (s) {
        case Split::Train:
            return "train";
        case Split::Val:
            return "val";
        case Split::Test:
            return "test";
    }
    QISS_ASSERT(false);
}

Split parse_split(const std::string& s) {
    if (s == "train") return Split::Train;
    if (s == "val") return Split::Val;
    if (s == "test") return Split::Test;
    QISS_THROW("unknown split '{}' (expected train, val or test)", s);
}

fs::path manifest_path(const fs::path& corpus_dir) {
    return corpus_dir / "manifest.jsonl";
}

namespace {

bool blank(const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::map<std::string, std::vector<std::string>> texts_by_locale(const nlohmann::json& j,
                                                                const char* field) {
    std::map<std::string, std::vector<std::string>> out;
    if (!j.contains(field)) return out;
    const auto& obj = j.at(field);
    QISS_CHECK(obj.is_object(), "'{}' must be an object of locale -> list of strings", field);
    for (const auto& [loc, list] : obj.items()) {
        QISS_CHECK(list.is_array(), "'{}.{}' must be a list of strings", field, loc);
        auto& v = out[loc];
        for (const auto& t : list) {
            QISS_CHECK(t.is_string(), "'{}.{}' must be a list of strings", field, loc);
            QISS_CHECK(!blank(t.get<std::string>()), "empty text in '{}.{}'", field, loc);
            v.push_back(t.get<std::string>());
        }
        if (v.empty()) out.erase(loc);
    }
    return out;
}

ManifestEntry parse_line(const std::string& line, const fs::path& base) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
        QISS_THROW("not valid JSON");
    }
    QISS_CHECK(j.is_object(), "not a JSON object");
    QISS_CHECK(j.contains("path") && j["path"].is_string() && !blank(j["path"]), "missing 'path'");
    ManifestEntry e;
    fs::path p = j["path"].get<std::string>();
    e.path = p.is_absolute() ? p : base / p;
    QISS_CHECK(fs::is_regular_file(e.path), "{}: no such file", e.path.string());
    e.id = j.value("id", j["path"].get<std::string>());
    e.vendor = j.value("vendor", "");
    e.split = parse_split(j.value("split", "train"));
    e.captions = texts_by_locale(j, "captions");
    e.keywords = texts_by_locale(j, "keywords");
    return e;
}

}  // namespace

Manifest read_manifest(const fs::path& file) {
    std::ifstream in(file);
    QISS_CHECK(in.good(), "{}: cannot open manifest", file.string());
    Manifest m;
    fs::path base = fs::absolute(file).parent_path();
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (blank(line)) continue;
        try {
            m.entries.push_back(parse_line(line, base));
        } catch (const std::exception& e) {
            ManifestWarning w{n, fmt::format("{}:{}: skipped: {}", file.string(), n, e.what())};
            spdlog::warn("{}", w.message);
            m.warnings.push_back(std::move(w));
        }
    }
    return m;
}

void write_manifest(const fs::path& file, const std::vector<ManifestEntry>& entries) {
    fs::path base = fs::absolute(file).parent_path();
    std::ostringstream out;
    for (const auto& e : entries) {
        fs::path p = fs::absolute(e.path);
        auto rel = p.lexically_relative(base);
        bool inside = !rel.empty() && *rel.begin() != "..";
        nlohmann::json j = {{"path", inside ? rel.string() : p.string()},
                            {"id", e.id},
                            {"split", split_name(e.split)}};
        if (!e.vendor.empty()) j["vendor"] = e.vendor;
        if (!e.captions.empty()) j["captions"] = e.captions;
        if (!e.keywords.empty()) j["keywords"] = e.keywords;
        out << j.dump() << '\n';
    }
    write_file_atomic(file, out.str());
}

}  // namespace qiss
