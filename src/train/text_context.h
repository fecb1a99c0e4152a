#pragma once
/// @file text_context.h
/// Query-like texts for the text phase. CLDR gives names and keywords ("crying cat face",
/// "cat | crying | sad"), people type sentences ("a crying cat", "chat qui pleure"): words
/// around the ones that matter. With probability `text_context` a training text gets
/// (a) another text of the same identity and locale joined to it, and/or (b) one to three
/// context words inserted at random word boundaries. Context words are the locale's common
/// words: those in the texts of at least 1 % of the identities ("face", "with", "de", "skin"),
/// never a word of the identity's own texts in that locale, drawn uniformly. The text keeps
/// its identity as target, so the branch learns to carry the rare words of a text through the
/// common ones, as IDF weighting does for keyword search.

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "train/sampler.h"
#include "train/training_set.h"

namespace qiss {

class TextContext {
  public:
    /// Builds the common words of every locale of `set`; `probability` in [0, 1] (0: apply()
    /// returns its text unchanged and draws nothing from the engine).
    TextContext(const TrainingSet& set, double probability);

    /// `text` (a text of `item`) with context, with the configured probability.
    std::string apply(const TextItem& item, std::string text, std::mt19937_64& rng) const;

    /// The common words of `locale`, sorted (empty for an unknown locale).
    std::vector<std::string> common_words(const std::string& locale) const;

  private:
    const TrainingSet& set_;
    double probability_;
    std::unordered_map<std::string, std::vector<std::string>> common_;  ///< locale -> words
};

/// The space-separated words of `text` (empty words dropped).
std::vector<std::string> split_words(const std::string& text);

}  // namespace qiss
