#pragma once
/// @file mix_style.h
/// MixStyle (Zhou et al., "Domain Generalization with MixStyle", ICLR 2021): a training-time
/// feature augmentation that mixes the per-image channel statistics (mean and standard deviation
/// over the spatial positions, which carry drawing style more than content) of a batch with those
/// of a shuffled copy of the batch. No parameters; the identity at inference.

#include <torch/torch.h>

namespace qiss {

/// Returns x [B,C,H,W] normalised by its own per-image, per-channel statistics and rescaled by
/// lambda * its statistics + (1 - lambda) * those of a random other image of the batch, lambda ~
/// Beta(alpha, alpha) per image. The statistics are not differentiated (as in the paper). Uses
/// the global torch generator.
torch::Tensor mix_style(const torch::Tensor& x, float alpha);

}  // namespace qiss
