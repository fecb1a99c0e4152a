#pragma once
/// @file text_phase.h
/// The locked-image text phase (LiT, Zhai et al. 2022; M-CLIP teacher learning): the image
/// branch is frozen and the text branch learns every (identity, locale) caption and keyword
/// bundle against one fixed target per identity.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/model.h"
#include "train/sampler.h"
#include "train/schedule.h"
#include "train/text_context.h"
#include "train/text_mix.h"
#include "train/training_set.h"

namespace qiss {

/// Unit target per identity [K,D]: "mean_image" (mean embedding of its training images, no
/// augmentation), "proxy" (its learned proxy) or "both" (normalised sum of the two).
torch::Tensor identity_targets(Model& model, const TrainingSet& set, const torch::Tensor& proxies,
                               const std::string& kind);

/// Text embeddings [N,D] with gradients, the texts encoded in chunks of similar token length
/// (padding every text to the batch's longest costs up to max_tokens / mean length times more
/// recurrent steps), returned in the input order.
torch::Tensor encode_texts_bucketed(Model& model, const std::vector<std::string>& texts,
                                    int64_t chunk = 256);

/// Steps of one text-phase epoch.
int64_t text_steps_per_epoch(std::size_t items, const TrainConfig& config);

/// Called every step with (step in epoch, loss, texts done in this epoch).
using TextProgress = std::function<void(int64_t, double, int64_t)>;

/// One epoch of the text phase: a seeded share of the epoch's items (text_epoch_items of
/// `items`) in a seeded order, batches of TrainConfig::text_batch_size, each text given context
/// by `context`, then joined with another identity's by `mix`; returns the mean loss.
/// Each optimizer group's learning rate is the schedule's times its entry in `group_scale`.
double run_text_epoch(Model& model, const TrainingSet& set, const std::vector<TextItem>& items,
                      const TextContext& context, const TextMix& mix, const torch::Tensor& targets,
                      const TrainConfig& config, torch::optim::AdamW& optimizer,
                      const LrSchedule& schedule, const std::vector<double>& group_scale,
                      int text_epoch, std::uint64_t seed, const TextProgress& progress);

}  // namespace qiss
