#pragma once
/// @file sampler.h
/// What each training step holds: which identities, which two images of each and which texts.
/// Every choice derives from (seed, epoch, step), so a resumed run draws the same batches.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "train/training_set.h"

namespace qiss {

/// One joint-phase step: B identities, two image rows and k texts each.
struct JointBatch {
    std::vector<int64_t> rows;       ///< 2B rows of TrainingSet::pixels: first views, then second
    std::vector<int64_t> labels;     ///< B identity indices (into TrainingSet::groups)
    std::vector<std::string> texts;  ///< k*B texts, slot-major: texts[s * B + i]
};

/// The joint phase's batches. An epoch is `passes()` shuffled passes over the identities.
class JointSampler {
  public:
    JointSampler(const TrainingSet& set, const TrainConfig& config, std::uint64_t seed);

    int64_t batch_size() const { return batch_; }
    int passes() const { return passes_; }
    int64_t steps_per_epoch() const { return passes_ * batches_per_pass_; }

    /// Draws the identity order of an epoch; call before batch() for that epoch.
    void start_epoch(int epoch);
    /// The step-th batch of the current epoch (steps in order, 0 .. steps_per_epoch()-1).
    JointBatch batch(int64_t step);

    /// The text of identity `group` for its visit-th text slot of the run.
    std::string text_for(std::size_t group, int64_t visit) const;

  private:
    const TrainingSet& set_;
    const TrainConfig& config_;
    std::uint64_t seed_;
    int64_t batch_ = 0, batches_per_pass_ = 0;
    int passes_ = 1;
    int epoch_ = 0;
    std::vector<std::vector<std::size_t>> orders_;    ///< per pass: identity order
    std::vector<std::vector<std::size_t>> families_;  ///< family_batches: identities per family
    std::mt19937_64 rng_;                             ///< image choices of the epoch
};

/// One text of the locked-image phase: an identity, one of its locales, and whether it is a
/// caption or a keyword bundle.
struct TextItem {
    std::uint32_t group;
    std::uint32_t locale;  ///< index into TrainingGroup::texts
    bool caption;
};

/// Every (identity, locale) caption of the set, and its keyword bundles: of every identity
/// (`keywords` "all") or of one identity per skin-tone family ("family";
/// TrainConfig::text_keywords).
std::vector<TextItem> all_text_items(const TrainingSet& set, const std::string& keywords);

/// The items of one text-phase epoch, before its shuffle: `items` themselves when
/// TrainConfig::text_base_repeat and text_tone_share are 1; otherwise every item of an identity
/// without skin-tone modifiers text_base_repeat times and a random text_tone_share of the
/// others' (drawn from `rng`). Always text_epoch_size() items.
std::vector<TextItem> text_epoch_items(const TrainingSet& set, const std::vector<TextItem>& items,
                                       const TrainConfig& config, std::mt19937_64& rng);
std::size_t text_epoch_size(const TrainingSet& set, const std::vector<TextItem>& items,
                            const TrainConfig& config);

/// The text of an item: one of the locale's captions, or 1-3 of its keywords.
std::string item_text(const TrainingSet& set, const TextItem& item, std::mt19937_64& rng);

/// Seeds an engine from several integers (a stable mix, independent of call order).
std::mt19937_64 seeded_rng(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                           std::uint64_t c = 0);

}  // namespace qiss
