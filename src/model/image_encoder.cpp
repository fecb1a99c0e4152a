#include "model/image_encoder.h"

#include <algorithm>

#include "common/error.h"
#include "model/mix_style.h"

namespace qiss {
namespace nn = torch::nn;

namespace {
nn::Conv2d conv(int in, int out, int k, int stride) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false));
}
}  // namespace

ResBlockImpl::ResBlockImpl(int in, int out, int stride) {
    conv1_ = register_module("conv1", conv(in, out, 3, stride));
    bn1_ = register_module("bn1", nn::BatchNorm2d(out));
    conv2_ = register_module("conv2", conv(out, out, 3, 1));
    bn2_ = register_module("bn2", nn::BatchNorm2d(out));
    if (in != out || stride != 1) {
        proj_ = register_module("proj", conv(in, out, 1, stride));
        proj_bn_ = register_module("proj_bn", nn::BatchNorm2d(out));
    }
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1_(conv1_(x)));
    y = bn2_(conv2_(y));
    auto shortcut = proj_ ? proj_bn_(proj_(x)) : x;
    return torch::relu(y + shortcut);
}

torch::Tensor weldon_pool(const torch::Tensor& x, int k, float alpha) {
    auto flat = x.flatten(2);  // [B,C,HW]
    int64_t kk = std::min<int64_t>(k, flat.size(2));
    auto top = std::get<0>(flat.topk(kk, 2, /*largest=*/true)).mean(2);
    auto bottom = std::get<0>(flat.topk(kk, 2, /*largest=*/false)).mean(2);
    return top + alpha * bottom;
}

ImageEncoderImpl::ImageEncoderImpl(const ModelConfig& c)
    : weldon_k_(c.weldon_k), weldon_alpha_(c.weldon_alpha) {
    QISS_CHECK(!c.cnn_channels.empty() && c.cnn_blocks >= 1, "invalid CNN configuration");
    features_ = nn::Sequential();
    // Stem: 3x3 stride 2 halves the input once.
    features_->push_back(conv(3, c.cnn_channels[0], 3, 2));
    features_->push_back(nn::BatchNorm2d(c.cnn_channels[0]));
    features_->push_back(nn::ReLU());
    int in = c.cnn_channels[0];
    for (std::size_t s = 0; s < c.cnn_channels.size(); ++s) {
        int out = c.cnn_channels[s];
        for (int b = 0; b < c.cnn_blocks; ++b) {
            features_->push_back(ResBlock(in, out, (s > 0 && b == 0) ? 2 : 1));
            in = out;
        }
        if (s < 2 && s + 1 < c.cnn_channels.size()) mix_after_.push_back(features_->size() - 1);
    }
    register_module("features", features_);
    fc_ = register_module("fc", nn::Linear(in, c.embed_dim));
}

void ImageEncoderImpl::set_mix_style(float p, float alpha) {
    QISS_CHECK(p >= 0 && p <= 1 && alpha > 0, "invalid MixStyle settings p={} alpha={}", p, alpha);
    mix_p_ = p;
    mix_alpha_ = alpha;
}

torch::Tensor ImageEncoderImpl::forward(const torch::Tensor& x) {
    torch::Tensor f = x.contiguous(at::MemoryFormat::ChannelsLast);
    const bool mix = is_training() && mix_p_ > 0 && torch::rand({1}).item<float>() < mix_p_;
    std::size_t i = 0, next_mix = 0;
    for (auto& module : *features_) {
        f = module.forward(f);
        if (mix && next_mix < mix_after_.size() && mix_after_[next_mix] == i) {
            f = mix_style(f, mix_alpha_);
            ++next_mix;
        }
        ++i;
    }
    auto pooled = weldon_pool(f, weldon_k_, weldon_alpha_);
    return torch::nn::functional::normalize(fc_(pooled),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
}

}  // namespace qiss
