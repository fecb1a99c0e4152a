#pragma once
/// @file dual_encoder.h
/// The dual-path network (model kind "dual"): an image branch and a text branch that meet in
/// one joint space. The only kind qiss trains.

#include <torch/torch.h>

#include "model/image_encoder.h"
#include "model/network.h"
#include "model/text_encoder.h"

namespace qiss {

class DualEncoderImpl : public NetworkImpl {
  public:
    explicit DualEncoderImpl(const ModelConfig& config)
        : image(register_module("image", ImageEncoder(config))),
          text(register_module("text", TextEncoder(config))) {}

    torch::Tensor embed_images(const torch::Tensor& pixels) override {
        return image->forward(pixels);
    }
    torch::Tensor embed_texts(const TokenBatch& tokens) override { return text->forward(tokens); }

    ImageEncoder image;
    TextEncoder text;
};
TORCH_MODULE(DualEncoder);

}  // namespace qiss
