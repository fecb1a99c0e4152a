#include "ingest/source.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <thread>
#include <unordered_map>

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

/// One manifest line, parsed on its own.
struct ManifestLine {
    IngestItem item;         ///< an image line (`item.source` set)
    bool own_texts = false;  ///< the image line has `caption`, `captions` or `keywords`
    std::string id;          ///< the image line's identity: its `id` if a string, else its `path`
    std::string identity;    ///< an identity line: its id (then `item.caption` is its caption)
};

/// Parses one line into `out`; a bad line is appended to `problems` (then `out` stays empty).
void parse_manifest_line(const std::string& line, const fs::path& base, const std::string& where,
                         ManifestLine& out, std::vector<SourceProblem>& problems) {
    // `keywords` (search terms, often the larger half of a corpus line) are not kept: skip
    // their values while parsing instead of building and dropping them.
    bool keywords = false;
    const nlohmann::json::parser_callback_t skip_keywords =
        [&keywords](int depth, nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
            const bool skip =
                depth == 1 && event == nlohmann::json::parse_event_t::key && parsed == "keywords";
            keywords = keywords || skip;
            return !skip;
        };
    nlohmann::json j = nlohmann::json::parse(line, skip_keywords, /*allow_exceptions=*/false);
    if (!j.is_object()) {
        problems.push_back({where, "not a JSON object"});
        return;
    }
    IngestItem& item = out.item;
    if (!j.contains("path") && !j.contains("url") && j.contains("identity")) {
        const auto& id = j["identity"];
        if (!id.is_string() || id.get<std::string>().empty()) {
            problems.push_back({where, "empty or non-string \"identity\""});
            return;
        }
        if (!j.contains("captions") && !keywords) {
            problems.push_back({where, "identity line without \"captions\" or \"keywords\""});
            return;
        }
        out.identity = id.get<std::string>();
        if (j.contains("captions")) item.caption = first_caption(j["captions"]);
        return;
    }
    if (j.contains("url") && j["url"].is_string() && is_url(j["url"].get<std::string>())) {
        item.source = j["url"].get<std::string>();
        item.is_url = true;
    } else if (j.contains("path") && j["path"].is_string()) {
        fs::path p = j["path"].get<std::string>();
        item.source = (p.is_absolute() ? p : base / p).lexically_normal().string();
        item.root = base.string();
    } else {
        problems.push_back({where, "no \"path\" or http(s) \"url\""});
        return;
    }
    out.own_texts = keywords || j.contains("caption") || j.contains("captions");
    if (j.contains("id") && j["id"].is_string())
        out.id = j["id"].get<std::string>();
    else if (j.contains("path") && j["path"].is_string())
        out.id = j["path"].get<std::string>();
    if (j.contains("caption") && j["caption"].is_string())
        item.caption = j["caption"].get<std::string>();
    else if (j.contains("captions"))
        item.caption = first_caption(j["captions"]);
    for (auto& [k, v] : j.items())
        if (k != "path" && k != "url" && k != "caption" && k != "captions" && k != "keywords")
            item.metadata[k] = std::move(v);
}

void expand_manifest(const fs::path& file, std::vector<IngestItem>& out,
                     std::vector<SourceProblem>& problems) {
    std::ifstream in(file);
    if (!in) {
        problems.push_back({file.string(), "cannot open manifest"});
        return;
    }
    const fs::path base = fs::absolute(file).lexically_normal().parent_path();
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));

    // Lines are independent: parse contiguous ranges on every core (a corpus manifest with
    // captions in ~170 languages is hundreds of MB), then keep the file's order.
    std::vector<ManifestLine> parsed(lines.size());
    std::vector<std::vector<SourceProblem>> part_problems;
    const std::size_t n_parts = std::clamp<std::size_t>(
        std::min<std::size_t>(std::thread::hardware_concurrency(), lines.size() / 256), 1, 64);
    part_problems.resize(n_parts);
    auto parse_range = [&](std::size_t p) {
        const std::size_t from = lines.size() * p / n_parts, to = lines.size() * (p + 1) / n_parts;
        for (std::size_t n = from; n < to; ++n) {
            if (lines[n].find_first_not_of(" \t\r") == std::string::npos) continue;
            const std::string where = file.string() + ":" + std::to_string(n + 1);
            parse_manifest_line(lines[n], base, where, parsed[n], part_problems[p]);
            std::string().swap(lines[n]);
        }
    };
    {
        // Joined on every way out, also when starting one fails (a process's thread limit).
        std::vector<std::jthread> threads;
        for (std::size_t p = 1; p < n_parts; ++p) threads.emplace_back(parse_range, p);
        parse_range(0);
    }
    for (auto& part : part_problems)
        std::move(part.begin(), part.end(), std::back_inserter(problems));

    // Identity lines (anywhere in the file; the first of an id wins) caption the image lines of
    // their id that have no texts of their own.
    std::unordered_map<std::string, std::string> caption_of;
    for (std::size_t n = 0; n < parsed.size(); ++n) {
        if (parsed[n].identity.empty()) continue;
        if (!caption_of.try_emplace(parsed[n].identity, parsed[n].item.caption).second)
            problems.push_back(
                {file.string() + ":" + std::to_string(n + 1),
                 "a second identity line for \"" + parsed[n].identity + "\" (the first is kept)"});
    }
    for (auto& line : parsed) {
        if (line.item.source.empty()) continue;
        if (!line.own_texts) {
            auto it = caption_of.find(line.id);
            if (it != caption_of.end()) line.item.caption = it->second;
        }
        out.push_back(std::move(line.item));
    }
}

}  // namespace

std::vector<IngestItem> expand_sources(const std::vector<std::string>& sources,
                                       std::vector<SourceProblem>& problems) {
    std::vector<IngestItem> out;
    for (const auto& s : sources) {
        if (is_url(s)) {
            out.push_back({s, true, "", nlohmann::json::object(), ""});
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
            const std::string root = fs::absolute(p).lexically_normal().string();
            for (auto& f : files)
                out.push_back({f.string(), false, "", nlohmann::json::object(), root});
        } else if (fs::is_regular_file(p, ec) && p.extension() == ".jsonl") {
            expand_manifest(p, out, problems);
        } else if (fs::is_regular_file(p, ec)) {
            const fs::path file = fs::absolute(p).lexically_normal();
            out.push_back(
                {file.string(), false, "", nlohmann::json::object(), file.parent_path().string()});
        } else {
            problems.push_back({s, "no such file, folder or http(s) URL"});
        }
    }
    return out;
}

}  // namespace qiss
