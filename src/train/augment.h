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
    /// Probability of each drawing-style change, drawn independently per image: posterize
    /// (2-4 bits), 3x3 blur, outline thickening or thinning (3x3 min/max filter), saturation and
    /// gamma jitter (hue kept). 0 = none.
    float style_p = 0.0f;
};

/// Random affine warp (background stays white), drawing-style changes (`style_p`) and
/// brightness/contrast jitter of a batch of uint8 RGB images [B,S,S,3]; returns the normalised
/// network input [B,3,S,S]. All randomness comes from `gen`.
torch::Tensor augment_batch(const torch::Tensor& rgb_u8, const ImagePreprocess& pre,
                            const AugmentOptions& opt, torch::Generator& gen);

}  // namespace qiss
