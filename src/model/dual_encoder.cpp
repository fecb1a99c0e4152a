#include "model/dual_encoder.h"

#include "common/error.h"
#include "model/anchors.h"

namespace qiss {

DualEncoderImpl::DualEncoderImpl(const ModelConfig& config)
    : image(register_module("image", ImageEncoder(config))),
      text(register_module("text", TextEncoder(config))),
      embed_dim_(config.embed_dim),
      anchor_temperature_(config.anchor_temperature),
      anchor_weight_(config.anchor_weight) {
    if (config.anchor_count > 0)  // filled by the model file's weights, then check_loaded()
        store_anchors(torch::zeros({config.anchor_count, config.embed_dim}, torch::kInt8),
                      torch::ones({config.anchor_count}));
}

torch::Tensor DualEncoderImpl::embed_images(const torch::Tensor& pixels) {
    auto e = image->forward(pixels);
    if (!anchors_.defined() || anchor_weight_ <= 0) return e;
    return anchor_project(e, anchors_, anchor_temperature_, anchor_weight_);
}

void DualEncoderImpl::check_loaded() {
    if (!anchor_codes_.defined()) return;
    anchors_ = dequantize_rows(anchor_codes_, anchor_scales_);
    QISS_CHECK(torch::isfinite(anchors_).all().item<bool>() &&
                   (anchors_.norm(2, 1) > 0.5).all().item<bool>(),
               "the identity anchors are not unit vectors");
}

void DualEncoderImpl::set_anchors(const torch::Tensor& proxies, float temperature, float weight) {
    QISS_ASSERT(proxies.dim() == 2 && proxies.size(0) >= 1 && proxies.size(1) == embed_dim_);
    torch::NoGradGuard no_grad;
    auto unit = torch::nn::functional::normalize(
        proxies.detach().to(torch::kFloat32), torch::nn::functional::NormalizeFuncOptions().dim(1));
    QuantizedRows q = quantize_rows(unit);
    store_anchors(q.codes, q.scales);
    anchors_ = dequantize_rows(anchor_codes_, anchor_scales_);
    anchor_temperature_ = temperature;
    anchor_weight_ = weight;
}

double DualEncoderImpl::minimum_weight_bytes(const ModelConfig& c) {
    // Element counts of the largest tensors (image_encoder.cpp, text_encoder.cpp, sru.cpp), in
    // double so that no header can overflow the sum.
    double floats = 27.0 * (c.cnn_channels.empty() ? 0 : c.cnn_channels.front());  // stem
    double in = c.cnn_channels.empty() ? 0 : c.cnn_channels.front();
    for (int out : c.cnn_channels) {
        // The stage's first block (in -> out), then its other blocks (out -> out): two 3x3 each.
        floats += 9.0 * (in * out + double(out) * out) + 18.0 * (c.cnn_blocks - 1) * out * out;
        in = out;
    }
    floats += in * c.embed_dim;                                            // image fc
    floats += double(c.vocab_size) * c.token_dim;                          // token table
    floats += 6.0 * c.token_dim * c.gru_hidden + 4.0 * c.gru_hidden * c.embed_dim;  // rnn, fc
    return 2.0 * floats + double(c.anchor_count) * c.embed_dim;
}

void DualEncoderImpl::store_anchors(const torch::Tensor& codes, const torch::Tensor& scales) {
    if (!anchor_codes_.defined()) {
        anchor_codes_ = register_buffer("anchor_codes", codes);
        anchor_scales_ = register_buffer("anchor_scales", scales);
    } else {
        anchor_codes_.set_data(codes);
        anchor_scales_.set_data(scales);
    }
}

}  // namespace qiss
