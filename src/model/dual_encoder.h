#pragma once
/// @file dual_encoder.h
/// The dual-path network: an image branch and a text branch that meet in one joint space.

#include <torch/torch.h>

#include "model/image_encoder.h"
#include "model/text_encoder.h"

namespace qiss {

class DualEncoderImpl : public torch::nn::Module {
  public:
    explicit DualEncoderImpl(const ModelConfig& config)
        : image(register_module("image", ImageEncoder(config))),
          text(register_module("text", TextEncoder(config))) {}

    ImageEncoder image;
    TextEncoder text;
};
TORCH_MODULE(DualEncoder);

}  // namespace qiss
