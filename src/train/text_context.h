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
/// Independently, with probability `text_fillers`, a text gets one to three filler words of its
/// locale's language (corpus/fillers.h: "a", "my", "qui", "der") inserted at random word
/// boundaries: the words of a sentence that no name contains. A filler that is a whole caption
/// or keyword of some identity in that locale is left out (stop-word lists hold "tv", "six").

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "corpus/fillers.h"
#include "train/sampler.h"
#include "train/training_set.h"

namespace qiss {

class TextContext {
  public:
    /// Builds the common words of every locale of `set`; `probability` in [0, 1] (0: apply()
    /// returns its text unchanged and draws nothing from the engine).
    TextContext(const TrainingSet& set, double probability);

    /// As above, and filler words from `fillers` (by language) with probability
    /// `filler_probability` in [0, 1] (0: none drawn, nothing drawn from the engine for them).
    TextContext(const TrainingSet& set, double probability, const FillerWords& fillers,
                double filler_probability);

    /// `text` (a text of `item`) with context and fillers, with the configured probabilities.
    std::string apply(const TextItem& item, std::string text, std::mt19937_64& rng) const;

    /// The common words of `locale`, sorted (empty for an unknown locale).
    std::vector<std::string> common_words(const std::string& locale) const;

    /// The filler words that `locale`'s texts can get, sorted (empty without fillers).
    std::vector<std::string> filler_words(const std::string& locale) const;

    /// How many locales have filler words.
    std::size_t filler_locales() const;

  private:
    const TrainingSet& set_;
    double probability_;
    double filler_probability_ = 0;
    std::unordered_map<std::string, std::vector<std::string>> common_;   ///< locale -> words
    std::unordered_map<std::string, std::vector<std::string>> fillers_;  ///< locale -> words

    /// Inserts one to three of `pool`'s words, none of `own`, at random boundaries of `words`.
    static void insert_some(std::vector<std::string>& words, const std::vector<std::string>& pool,
                            const std::unordered_set<std::string>& own, std::mt19937_64& rng);
};

/// The space-separated words of `text` (empty words dropped).
std::vector<std::string> split_words(const std::string& text);

}  // namespace qiss
