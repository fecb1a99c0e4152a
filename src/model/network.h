#pragma once
/// @file network.h
/// The network inside a model file, whatever its kind (model/model_kind.h): images, and for
/// kinds with a text branch texts, in, unit vectors of one space out.

#include <torch/torch.h>

#include "model/text_encoder.h"

namespace qiss {

class NetworkImpl : public torch::nn::Module {
  public:
    /// Preprocessed images [N,3,S,S] -> [N,D] unit vectors.
    virtual torch::Tensor embed_images(const torch::Tensor& pixels) = 0;
    /// Tokenized texts -> [N,D] unit vectors. Only called for kinds with a text branch.
    virtual torch::Tensor embed_texts(const TokenBatch& tokens) = 0;
    /// Called once its weights are loaded from a model file: throws qiss::Error when they do
    /// not fit the configuration in a way loading does not see (shapes, graph).
    virtual void check_loaded() {}
};

}  // namespace qiss
