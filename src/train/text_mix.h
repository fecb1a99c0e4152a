#pragma once
/// @file text_mix.h
/// Two-concept texts for the text phase. What people type often names two things ("the house is
/// on fire", "a penguin standing on the ice"), while every CLDR name and keyword bundle names
/// one, so a text branch that never saw two concepts together embeds such a sentence anywhere
/// (a dress, a fish). With probability `text_mix` a text-phase text is joined, in a random
/// order, with a text (caption or keyword bundle) of another identity in the same locale, and
/// learns both identities' targets at equal weight: a text that names two things should lie
/// where both are near.

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "train/sampler.h"
#include "train/training_set.h"

namespace qiss {

class TextMix {
  public:
    /// Indexes the identities of every locale of `set`; `probability` in [0, 1] (0: apply()
    /// returns its text unchanged and draws nothing from the engine).
    TextMix(const TrainingSet& set, double probability);

    /// A text and the second identity it names (-1: none).
    struct Mixed {
        std::string text;
        std::int64_t partner = -1;
    };

    /// `text` (a text of `item`), joined with probability `probability` with a text of another
    /// identity that has texts in the item's locale (none if it is the only one).
    Mixed apply(const TextItem& item, std::string text, std::mt19937_64& rng) const;

  private:
    const TrainingSet& set_;
    double probability_;
    /// locale -> (group, index into its TrainingGroup::texts) of every identity with texts in it
    std::unordered_map<std::string, std::vector<std::pair<std::uint32_t, std::uint32_t>>>
        by_locale_;
};

}  // namespace qiss
