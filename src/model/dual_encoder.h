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
    explicit DualEncoderImpl(const ModelConfig& config);

    /// The image branch's embedding, pulled towards the identity anchors when the network has
    /// them (model/anchors.h). Training calls `image` itself: it learns without anchors.
    torch::Tensor embed_images(const torch::Tensor& pixels) override;
    torch::Tensor embed_texts(const TokenBatch& tokens) override { return text->forward(tokens); }
    void check_loaded() override;

    /// Attaches `proxies` ([K,D], any norm; K >= 1) as identity anchors, stored as int8 rows
    /// (so the network embeds after this call exactly as after saving and loading it).
    void set_anchors(const torch::Tensor& proxies, float temperature, float weight);
    /// Number of anchors (0: none).
    int64_t anchor_count() const { return anchors_.defined() ? anchors_.size(0) : 0; }
    /// A lower bound of the bytes that a network of `config` takes in a model file's weights
    /// (float tensors as float16 at least, anchors as int8), from the configuration alone: a
    /// header that describes more than its file holds is refused before anything is allocated.
    static double minimum_weight_bytes(const ModelConfig& config);

    ImageEncoder image;
    TextEncoder text;

  private:
    void store_anchors(const torch::Tensor& codes, const torch::Tensor& scales);

    torch::Tensor anchor_codes_, anchor_scales_;  ///< buffers: what the model file holds
    torch::Tensor anchors_;                       ///< the rows they give, unit vectors
    int64_t embed_dim_;
    float anchor_temperature_, anchor_weight_;
};
TORCH_MODULE(DualEncoder);

}  // namespace qiss
