#include "ingest/source.h"

#include <algorithm>
#include <fstream>

namespace qiss {
namespace fs = std::filesystem;

bool has_image_extension(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    static const std::vector<std::string> known = {".jpg",  ".jpeg", ".png",
                                                   ".webp", ".gif",  ".bmp"};
    return std::find(known.begin(), known.end(), ext) != known.end();
}

bool is_url(const std::string& s) {
    return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

namespace {

std::string first_caption(const nlohmann::json& captions) {
    if (!captions.is_object()) return "";
    auto pick = [](const nlohmann::json& v) -> std::string {
        if (v.is_string()) return v.get<std::string>();
        if (v.is_array() && !v.empty() && v.front().is_string())
            return v.front().get<std::string>();
        return "";
    };
    if (captions.contains("en")) return pick(captions.at("en"));
    for (const auto& [_, v] : captions.items())
        if (auto c = pick(v); !c.empty()) return c;
    return "";
}

void expand_manifest(const fs::path& file, std::vector<IngestItem>& out,
                     std::vector<SourceProblem>& problems) {
    std::ifstream in(file);
    if (!in) {
        problems.push_back({file.string(), "cannot open manifest"});
        return;
    }
    const fs::path base = fs::absolute(file).parent_path();
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = file.string() + ":" + std::to_string(n);
        nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) {
            problems.push_back({where, "not a JSON object"});
            continue;
        }
        IngestItem item;
        if (j.contains("url") && j["url"].is_string() && is_url(j["url"].get<std::string>())) {
            item.source = j["url"].get<std::string>();
            item.is_url = true;
        } else if (j.contains("path") && j["path"].is_string()) {
            fs::path p = j["path"].get<std::string>();
            item.source = (p.is_absolute() ? p : base / p).lexically_normal().string();
        } else {
            problems.push_back({where, "no \"path\" or http(s) \"url\""});
            continue;
        }
        if (j.contains("caption") && j["caption"].is_string())
            item.caption = j["caption"].get<std::string>();
        else if (j.contains("captions"))
            item.caption = first_caption(j["captions"]);
        for (const auto& [k, v] : j.items())
            if (k != "path" && k != "url" && k != "caption" && k != "captions" && k != "keywords")
                item.metadata[k] = v;
        out.push_back(std::move(item));
    }
}

}  // namespace

std::vector<IngestItem> expand_sources(const std::vector<std::string>& sources,
                                       std::vector<SourceProblem>& problems) {
    std::vector<IngestItem> out;
    for (const auto& s : sources) {
        if (is_url(s)) {
            out.push_back({s, true, "", nlohmann::json::object()});
            continue;
        }
        std::error_code ec;
        fs::path p(s);
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> files;
            fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied,
                                                ec),
                end;
            for (; !ec && it != end; it.increment(ec))
                if (it->is_regular_file(ec) && has_image_extension(it->path()))
                    files.push_back(fs::absolute(it->path()).lexically_normal());
            if (ec) problems.push_back({s, "cannot list folder: " + ec.message()});
            std::sort(files.begin(), files.end());
            for (auto& f : files) out.push_back({f.string(), false, "", nlohmann::json::object()});
        } else if (fs::is_regular_file(p, ec) && p.extension() == ".jsonl") {
            expand_manifest(p, out, problems);
        } else if (fs::is_regular_file(p, ec)) {
            out.push_back(
                {fs::absolute(p).lexically_normal().string(), false, "", nlohmann::json::object()});
        } else {
            problems.push_back({s, "no such file, folder or http(s) URL"});
        }
    }
    return out;
}

}  // namespace qiss
