#pragma once
/// @file emoji_styles.h
/// Drawing styles of the emoji corpus beyond emoji-datasource's four vendors: npm packages that
/// hold one PNG, SVG or WebP file per emoji, or Iconify JSON sets of SVG bodies. Licences are
/// listed in docs/model-card.md ("Drawing styles and licences").

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qiss {

/// How a style's package stores its images and names their code points.
enum class StyleLayout {
    DatasourcePng,  ///< emoji-datasource-<vendor>: emoji.json + img/<vendor>/64/<image>
    SvgFiles,       ///< one SVG file per emoji in `folder`, named by code points (1F44B-1F3FB.svg)
    RasterFiles,    ///< one raster file (WebP, PNG) per emoji in `folder`, named by code points
    IconifyChars,   ///< Iconify JSON: icons.json bodies, chars.json maps code points to names
    IconifyNames,   ///< Iconify JSON whose icon names are CLDR English names, slugified
};

/// One drawing style: where its images are and how they map to emoji.
struct EmojiStyle {
    std::string vendor;   ///< the manifest's vendor value
    std::string package;  ///< npm package name
    std::string folder;   ///< inside the package (files layouts) or its datasource vendor name
    std::string licence;  ///< SPDX identifier the package declares
    StyleLayout layout = StyleLayout::SvgFiles;
};

/// The styles `qiss corpus emoji` adds to the training split (none is derived from Twemoji).
const std::vector<EmojiStyle>& emoji_styles();

/// One image of a style, before it is rasterized: a file, or an SVG document in memory.
struct StyleImage {
    std::string key;             ///< code points, lowercase, no U+FE0F: "1f44b-1f3fb"
    std::filesystem::path file;  ///< the package's file (empty for Iconify sets)
    std::string svg;             ///< the SVG document (Iconify sets)
};

/// CLDR English name slug ("waving-hand-light-skin-tone") -> code point key; used by the
/// IconifyNames layout. Build it with name_slug().
using SlugIndex = std::unordered_map<std::string, std::string>;

/// Lists the images of `style` installed under node_modules. Throws qiss::Error naming the
/// package (and scripts/install-deps.sh) if it is missing or unreadable.
std::vector<StyleImage> list_style_images(const EmojiStyle& style,
                                          const std::filesystem::path& node_modules,
                                          const SlugIndex& slugs);

/// The `version` of an installed npm package (its package.json). Throws qiss::Error if absent.
std::string package_version(const std::filesystem::path& node_modules, const std::string& package);

/// Key of a code point sequence written "1F44B-FE0F-1F3FB" (any case, '-' or '_' between):
/// lowercase, U+FE0F removed: "1f44b-1f3fb".
std::string codepoint_key(std::string_view unified);

/// An English name as Iconify names icons: lowercase ASCII letters and digits, every other run
/// of characters one '-', '&' spelt "and": "man’s shoe" -> "man-s-shoe".
std::string name_slug(std::string_view name);

}  // namespace qiss
