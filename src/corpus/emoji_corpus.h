#pragma once
/// @file emoji_corpus.h
/// `qiss corpus emoji`: the multilingual emoji corpus built from npm packages: images drawn by
/// four vendors (emoji-datasource-*) and CLDR names and keywords in ~170 locales.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "corpus/manifest.h"

namespace qiss {

struct EmojiCorpusOptions {
    std::filesystem::path node_modules = "node_modules";
    std::filesystem::path out;   ///< the corpus folder; DIR/manifest.jsonl is written
    double val_fraction = 0.05;  ///< share of identities whose training-vendor images become val
    std::uint64_t seed = 1;
};

struct EmojiCorpusStats {
    std::size_t identities = 0;
    std::size_t locales = 0;
    std::size_t without_captions = 0;
    std::map<std::string, std::size_t> images_per_vendor;
    std::map<std::string, std::size_t> images_per_split;
};

/// The test gallery's vendor: its images are never used for training or model selection.
inline constexpr const char* kEmojiTestVendor = "twitter";
inline const std::vector<std::string> kEmojiVendors = {"apple", "google", "facebook", "twitter"};

/// Builds the manifest entries. Throws qiss::Error if the npm packages are missing.
std::vector<ManifestEntry> build_emoji_corpus(const EmojiCorpusOptions& options,
                                              EmojiCorpusStats& stats);

/// UTF-8 string of a code point sequence written as "1F44B-1F3FB".
std::string utf8_from_unified(const std::string& unified);

}  // namespace qiss
