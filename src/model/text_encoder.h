#pragma once
/// @file text_encoder.h
/// The text branch: token embeddings, a multi-layer bidirectional GRU, mean+max pooling over
/// the tokens, a linear projection and L2 normalisation into the joint space.

#include <vector>

#include <torch/torch.h>

#include "model/model_config.h"

namespace qiss {

/// A padded batch of token ids.
struct TokenBatch {
    torch::Tensor ids;      ///< [B,T] int64, padded with Tokenizer::kPadId
    torch::Tensor lengths;  ///< [B] int64, >= 1
};

/// Pads token sequences into a batch.
TokenBatch make_token_batch(const std::vector<std::vector<int>>& tokens);

class TextEncoderImpl : public torch::nn::Module {
  public:
    explicit TextEncoderImpl(const ModelConfig& config);
    /// -> [B,D] unit vectors.
    torch::Tensor forward(const TokenBatch& batch);

  private:
    torch::nn::Embedding embed_{nullptr};
    torch::nn::Dropout dropout_{nullptr};
    torch::nn::GRU gru_{nullptr};         ///< rnn == "gru"
    torch::nn::ModuleList sru_{nullptr};  ///< rnn == "sru": BiSruLayer per layer
    torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(TextEncoder);

}  // namespace qiss
