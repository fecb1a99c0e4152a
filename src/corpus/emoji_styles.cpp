#include "corpus/emoji_styles.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<EmojiStyle>& emoji_styles() {
    static const std::vector<EmojiStyle> styles = {
        {"emojione", "emoji-datasource-emojione", "emojione", "MIT", StyleLayout::DatasourcePng},
        {"openmoji", "openmoji", "color/svg", "CC-BY-SA-4.0", StyleLayout::SvgFiles},
        {"openmoji-black", "openmoji", "black/svg", "CC-BY-SA-4.0", StyleLayout::SvgFiles},
        {"fluent-3d", "@lobehub/fluent-emoji-3d", "assets", "MIT", StyleLayout::RasterFiles},
        {"fluent-flat", "@iconify-json/fluent-emoji-flat", "", "MIT", StyleLayout::IconifyChars},
        {"fluent-high-contrast", "@iconify-json/fluent-emoji-high-contrast", "", "MIT",
         StyleLayout::IconifyChars},
        {"noto-v1", "@iconify-json/noto-v1", "", "Apache-2.0", StyleLayout::IconifyNames},
    };
    return styles;
}

std::string codepoint_key(std::string_view unified) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= unified.size()) {
        std::size_t end = unified.find_first_of("-_", pos);
        if (end == std::string_view::npos) end = unified.size();
        std::string part(unified.substr(pos, end - pos));
        for (auto& c : part) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        part.erase(0, std::min(part.find_first_not_of('0'), part.size()));
        if (!part.empty() && part.size() < 4) part.insert(0, 4 - part.size(), '0');
        if (!part.empty() && part != "fe0f") {
            if (!out.empty()) out += '-';
            out += part;
        }
        pos = end + 1;
    }
    return out;
}

std::string name_slug(std::string_view name) {
    std::string out;
    bool dash = false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        if (std::isalnum(c) && c < 0x80) {
            if (dash && !out.empty()) out += '-';
            dash = false;
            out += static_cast<char>(std::tolower(c));
        } else if (c == '&') {
            if (!out.empty()) out += '-';
            out += "and";
            dash = true;
        } else {
            dash = true;
        }
    }
    return out;
}

std::string package_version(const fs::path& node_modules, const std::string& package) {
    fs::path file = node_modules / package / "package.json";
    QISS_CHECK(fs::is_regular_file(file), "{} not found: run scripts/install-deps.sh",
               file.string());
    try {
        return json::parse(read_file_bytes(file)).at("version").get<std::string>();
    } catch (const json::exception& e) {
        QISS_THROW("{}: no version: {}", file.string(), e.what());
    }
}

namespace {

json read_json(const fs::path& file) {
    QISS_CHECK(fs::is_regular_file(file), "{} not found: run scripts/install-deps.sh",
               file.string());
    try {
        return json::parse(read_file_bytes(file));
    } catch (const json::exception& e) {
        QISS_THROW("{}: invalid JSON: {}", file.string(), e.what());
    }
}

std::vector<StyleImage> list_datasource(const fs::path& pkg, const std::string& vendor) {
    json all = read_json(pkg / "emoji.json");
    fs::path dir = pkg / "img" / vendor / "64";
    std::vector<StyleImage> out;
    auto add = [&](const json& e) {
        if (!e.value("has_img_" + vendor, false) || !e.contains("image")) return;
        fs::path file = dir / e["image"].get<std::string>();
        if (fs::is_regular_file(file))
            out.push_back({codepoint_key(e.at("unified").get<std::string>()), file, {}});
    };
    for (const auto& e : all) {
        add(e);
        if (e.contains("skin_variations"))
            for (const auto& [_, v] : e["skin_variations"].items()) add(v);
    }
    return out;
}

std::vector<StyleImage> list_files(const fs::path& dir, const std::string& extension) {
    QISS_CHECK(fs::is_directory(dir), "{} not found: run scripts/install-deps.sh", dir.string());
    std::vector<StyleImage> out;
    for (const auto& f : fs::directory_iterator(dir)) {
        const fs::path& p = f.path();
        if (!f.is_regular_file() || p.extension() != extension) continue;
        std::string stem = p.stem().string();
        bool hex = !stem.empty() &&
                   stem.find_first_not_of("0123456789abcdefABCDEF-_") == std::string::npos;
        if (hex) out.push_back({codepoint_key(stem), p, {}});
    }
    return out;
}

/// An Iconify icon as a standalone SVG document (the set's defaults, the icon's own box).
/// Returns "" for icons that need transformations (flips, rotations) or are hidden.
std::string iconify_svg(const json& set, const json& icon) {
    if (icon.value("hidden", false) || icon.contains("hFlip") || icon.contains("vFlip") ||
        icon.contains("rotate"))
        return "";
    auto num = [&](const char* k, double def) { return icon.value(k, set.value(k, def)); };
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
        "viewBox=\"{} {} {} {}\">{}</svg>",
        num("left", 0), num("top", 0), num("width", 16), num("height", 16),
        icon.at("body").get<std::string>());
}

std::vector<StyleImage> list_iconify(const fs::path& pkg, StyleLayout layout,
                                     const SlugIndex& slugs) {
    json set = read_json(pkg / "icons.json");
    QISS_CHECK(set.contains("icons") && set["icons"].is_object(), "{}: no icons",
               (pkg / "icons.json").string());
    const json& icons = set["icons"];
    std::vector<StyleImage> out;
    auto add = [&](const std::string& key, const std::string& name) {
        auto it = icons.find(name);
        if (it == icons.end()) return;
        std::string svg = iconify_svg(set, *it);
        if (!svg.empty()) out.push_back({key, {}, std::move(svg)});
    };
    if (layout == StyleLayout::IconifyChars) {
        json chars = read_json(pkg / "chars.json");
        for (const auto& [cps, name] : chars.items())
            if (name.is_string()) add(codepoint_key(cps), name.get<std::string>());
    } else {
        for (const auto& [name, _] : icons.items()) {
            auto it = slugs.find(name);
            if (it != slugs.end()) add(it->second, name);
        }
    }
    return out;
}

}  // namespace

std::vector<StyleImage> list_style_images(const EmojiStyle& style, const fs::path& node_modules,
                                          const SlugIndex& slugs) {
    fs::path pkg = node_modules / style.package;
    QISS_CHECK(fs::is_directory(pkg), "{} not found: run scripts/install-deps.sh", pkg.string());
    std::vector<StyleImage> images;
    switch (style.layout) {
        case StyleLayout::DatasourcePng:
            images = list_datasource(pkg, style.folder);
            break;
        case StyleLayout::SvgFiles:
            images = list_files(pkg / style.folder, ".svg");
            break;
        case StyleLayout::RasterFiles:
            images = list_files(pkg / style.folder, ".webp");
            break;
        case StyleLayout::IconifyChars:
        case StyleLayout::IconifyNames:
            images = list_iconify(pkg, style.layout, slugs);
            break;
    }
    // One image per key (a package may ship a sequence with and without U+FE0F): the file
    // listed first in name order wins, so the choice does not depend on the file system.
    std::stable_sort(images.begin(), images.end(), [](const StyleImage& a, const StyleImage& b) {
        return std::tie(a.key, a.file) < std::tie(b.key, b.file);
    });
    auto dup = std::unique(images.begin(), images.end(),
                           [](const StyleImage& a, const StyleImage& b) { return a.key == b.key; });
    images.erase(dup, images.end());
    return images;
}

}  // namespace qiss
