#pragma once
/// @file svg.h
/// Rasterizing SVG documents with librsvg and cairo.

#include <cstddef>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace qiss {

/// Limits on the SVG documents rasterize_svg accepts. Every limit has a safe default.
struct SvgLimits {
    std::size_t max_bytes = 8u << 20;  ///< larger documents are refused unparsed
    int max_size = 4096;               ///< largest output side in pixels
};

/// Renders an SVG document into a size x size square: aspect kept, centred, transparent
/// background. Returns CV_8UC4 in BGRA order with straight (not premultiplied) alpha, ready for
/// cv::imwrite. The document is parsed from memory without a base URL, so librsvg resolves no
/// external reference (no `<image href="http://...">`, no file, no stylesheet): only fragments
/// of the document itself and `data:` URLs. Throws qiss::Error (naming `what`) for a malformed
/// document or one over the limits.
cv::Mat rasterize_svg(std::string_view svg, int size, const std::string& what = "svg",
                      const SvgLimits& limits = {});

}  // namespace qiss
