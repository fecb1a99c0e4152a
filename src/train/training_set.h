#pragma once
/// @file training_set.h
/// A manifest split loaded into memory for training: decoded images at the model's input
/// size, grouped by identity, with the texts of each identity.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include <torch/torch.h>

#include "corpus/manifest.h"
#include "model/model_config.h"

namespace qiss {

/// One identity (e.g. one emoji): its images and every text that describes it.
struct TrainingGroup {
    std::string id;
    std::vector<int> images;  ///< rows of TrainingSet::pixels
    /// Per locale: captions then keywords, for sampling a text.
    struct LocaleTexts {
        std::string locale;
        std::vector<std::string> captions;
        std::vector<std::string> keywords;
    };
    std::vector<LocaleTexts> texts;
};

struct TrainingSet {
    torch::Tensor pixels;  ///< [N,S,S,3] uint8 RGB, already fit to the input size
    std::vector<TrainingGroup> groups;
    std::size_t skipped = 0;  ///< images that could not be decoded (each logged)
};

/// True if `locale`'s language (locale_language: the part before the first '-' or '_') is in
/// `langs`.
bool locale_in(const std::string& locale, const std::unordered_set<std::string>& langs);

/// Loads the entries of one split. Texts of locales whose language is in `exclude_langs` are
/// dropped; groups left with no text are kept only if `keep_textless`. Images that fail to
/// decode are skipped with a warning naming them. Decoding uses OpenMP threads.
TrainingSet load_training_set(const std::vector<ManifestEntry>& entries, Split split,
                              const ImagePreprocess& pre,
                              const std::unordered_set<std::string>& exclude_langs,
                              bool keep_textless);

/// Every caption and keyword of the set.
std::vector<std::string> all_texts(const TrainingSet& set);

/// Texts for training the tokenizer, at most `max_sentences`. "uniform": a seeded uniform
/// sample of all_texts(). "balanced": the same number from every locale, drawn without
/// replacement from the locale's captions (each counted round(caption_weight) times) and
/// keywords, so that rare scripts get as many pieces' worth of text as Latin ones.
/// "distinct": every distinct caption (counted round(caption_weight) times) and every distinct
/// keyword that is not also a caption, of every locale, so that no name is left out of the
/// sample for the repeats of others (skin-tone variants repeat their family's keywords); a
/// seeded uniform sample of them if there are more than `max_sentences`.
std::vector<std::string> tokenizer_texts(const TrainingSet& set, const std::string& sampling,
                                         std::size_t max_sentences, double caption_weight,
                                         std::uint64_t seed);

}  // namespace qiss
