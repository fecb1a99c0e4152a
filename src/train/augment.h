#pragma once
/// @file augment.h
/// Image augmentation for training. No horizontal flip: left and right carry meaning
/// ("left arrow"); no hue change: colour does too ("blue heart", skin tones).

#include <torch/torch.h>

#include "model/model_config.h"

namespace qiss {

struct AugmentOptions {
    float scale_min = 0.8f, scale_max = 1.1f;  ///< zoom
    float translate = 0.1f;                    ///< fraction of the image, each axis
    float rotate_deg = 8.0f;
    float brightness = 0.1f, contrast = 0.1f;
};

/// Random affine warp (background stays white) and brightness/contrast jitter of a batch of
/// uint8 RGB images [B,S,S,3]; returns the normalised network input [B,3,S,S]. All randomness
/// comes from `gen`.
torch::Tensor augment_batch(const torch::Tensor& rgb_u8, const ImagePreprocess& pre,
                            const AugmentOptions& opt, torch::Generator& gen);

}  // namespace qiss
