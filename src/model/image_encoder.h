#pragma once
/// @file image_encoder.h
/// The image branch: a residual CNN, WELDON top/bottom-k pooling, a linear projection and
/// L2 normalisation into the joint space.

#include <torch/torch.h>

#include "model/model_config.h"

namespace qiss {

/// conv3x3-BN-ReLU-conv3x3-BN plus a (projected) shortcut, then ReLU.
class ResBlockImpl : public torch::nn::Module {
  public:
    ResBlockImpl(int in, int out, int stride);
    torch::Tensor forward(const torch::Tensor& x);

  private:
    torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, proj_{nullptr};
    torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, proj_bn_{nullptr};
};
TORCH_MODULE(ResBlock);

/// WELDON pooling (Durand et al., 2016): per channel, the mean of the k highest activations
/// plus alpha times the mean of the k lowest. [B,C,H,W] -> [B,C].
torch::Tensor weldon_pool(const torch::Tensor& x, int k, float alpha);

class ImageEncoderImpl : public torch::nn::Module {
  public:
    explicit ImageEncoderImpl(const ModelConfig& config);
    /// x: [B,3,S,S] preprocessed images -> [B,D] unit vectors.
    torch::Tensor forward(const torch::Tensor& x);
    /// Training only: MixStyle (model/mix_style.h) after each of the first two CNN stages, with
    /// probability `p` per forward pass; 0 = off (the default, and always so in eval mode).
    void set_mix_style(float p, float alpha);

  private:
    int weldon_k_;
    float mix_p_ = 0.0f, mix_alpha_ = 0.1f;
    std::vector<std::size_t> mix_after_;  ///< indices in features_ after which MixStyle runs
    float weldon_alpha_;
    torch::nn::Sequential features_{nullptr};
    torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(ImageEncoder);

}  // namespace qiss
