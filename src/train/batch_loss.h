#pragma once
/// @file batch_loss.h
/// The loss of one training step, assembled from the terms of losses.h.

#include <torch/torch.h>

#include "model/model_config.h"

namespace qiss {

/// Joint phase. `images`: [2B,D] (first views, then second views of B identities); `texts`:
/// [kB,D] slot-major; `labels`: [B] identity indices; `proxies`: [K,D]. Terms: image-image,
/// each image view against each text slot, the first text slot against the others, and the
/// identity-proxy term (TrainConfig documents the weights).
torch::Tensor joint_loss(const TrainConfig& config, const torch::Tensor& images,
                         const torch::Tensor& texts, const torch::Tensor& labels,
                         const torch::Tensor& proxies, int epoch);

/// Locked-image text phase: each text [N,D] classified against every identity target [K,D]
/// (fixed, unit rows) at TrainConfig::text_temperature.
/// `partners` [N]: each text's second identity (TrainConfig::text_mix), -1 for none; without
/// text_mix the term is the plain cross-entropy (bit for bit as before the setting existed).
torch::Tensor text_phase_loss(const TrainConfig& config, const torch::Tensor& texts,
                              const torch::Tensor& labels, const torch::Tensor& partners,
                              const torch::Tensor& targets);

}  // namespace qiss
