#pragma once
/// @file emoji_corpus.h
/// `qiss corpus emoji`: the multilingual emoji corpus built from npm packages: images drawn by
/// four vendors (emoji-datasource-*) and further drawing styles (corpus/emoji_styles.h), CLDR
/// names and keywords in ~170 locales.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "corpus/manifest.h"

namespace qiss {

/// The vendor names of every extra drawing style.
std::vector<std::string> default_emoji_styles();

/// Drawings of a held-out identity that become validation images (two, so that image->image
/// validation has a relevant image for each), and the training drawings it must keep.
inline constexpr std::size_t kValDrawings = 2;
inline constexpr std::size_t kMinTrainDrawings = 2;

/// Size of the square images of the corpus (emoji-datasource's 64 px; styles are rasterized to it).
inline constexpr int kEmojiImageSize = 64;

struct EmojiCorpusOptions {
    std::filesystem::path node_modules = "node_modules";
    std::filesystem::path out;  ///< the corpus folder; DIR/manifest.jsonl is written
    /// Share of identities with kValDrawings of their drawings held out for validation (and the
    /// relevance calibration): every identity keeps its other drawings for training, so that
    /// the model learns every emoji and is validated on drawings it never saw.
    double val_fraction = 0.2;
    std::uint64_t seed = 1;
    /// Extra drawing styles to add (vendor names of emoji_styles()); all of them by default.
    std::vector<std::string> styles = default_emoji_styles();
    /// Where rasterized style images are cached; empty: DIR/cache (`out`).
    std::filesystem::path cache;
    int threads = 0;  ///< rasterizing threads; 0: one per core
};

struct EmojiCorpusStats {
    std::size_t identities = 0;
    std::size_t locales = 0;
    std::size_t without_captions = 0;
    std::map<std::string, std::size_t> images_per_vendor;
    std::map<std::string, std::size_t> images_per_split;
    std::size_t rendered = 0;  ///< style images rasterized into the cache by this run
    std::size_t reused = 0;    ///< style images found in the cache
    std::size_t failed = 0;    ///< style images that could not be rasterized (left out)
    /// Per style: skin-tone families whose two exchanged tones were put back (tone_audit.h).
    std::map<std::string, std::size_t> tone_families_exchanged;
    /// Per style: skin-tone families left out, their tones out of order (tone_audit.h).
    std::map<std::string, std::size_t> tone_families_dropped;
};

/// The test gallery's vendor: its images are never used for training or model selection.
inline constexpr const char* kEmojiTestVendor = "twitter";
/// emoji-datasource's vendors (emoji-datasource-<vendor>, images in img/<vendor>/64).
inline const std::vector<std::string> kEmojiVendors = {"apple", "google", "facebook", "twitter"};

/// Builds the manifest entries. Throws qiss::Error if the npm packages are missing.
std::vector<ManifestEntry> build_emoji_corpus(const EmojiCorpusOptions& options,
                                              EmojiCorpusStats& stats);

/// UTF-8 string of a code point sequence written as "1F44B-1F3FB".
std::string utf8_from_unified(const std::string& unified);

}  // namespace qiss
