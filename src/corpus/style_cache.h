#pragma once
/// @file style_cache.h
/// Rasterizes the images of a drawing style once to size x size PNG files, then reuses them:
/// `qiss corpus emoji` stays fast on its next runs.

#include <cstddef>
#include <filesystem>
#include <vector>

#include "corpus/emoji_styles.h"

namespace qiss {

struct StyleCacheStats {
    std::size_t rendered = 0;  ///< PNG files written by this call
    std::size_t reused = 0;    ///< PNG files found in the cache
    std::size_t failed = 0;    ///< images that could not be rasterized (warned, left out)
};

/// For each image, the PNG `dir/<key>.png` (size x size): reused when present, otherwise
/// rasterized (SVG with librsvg; raster files decoded, fitted on white) and written atomically
/// (a temporary file renamed). Runs on `threads` threads (0: one per core). Returns one path per
/// image, empty where the image failed (a warning names it).
std::vector<std::filesystem::path> cache_style_images(const std::vector<StyleImage>& images,
                                                      const std::filesystem::path& dir, int size,
                                                      int threads, StyleCacheStats& stats);

}  // namespace qiss
