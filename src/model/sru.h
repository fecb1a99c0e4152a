#pragma once
/// @file sru.h
/// A bidirectional Simple Recurrent Unit layer (Lei et al., "Simple Recurrent Units for Highly
/// Parallelizable Recurrence", 2018). Every matrix product is done for all time steps at once;
/// only an element-wise scan is sequential, which makes it several times cheaper than a GRU on
/// a CPU.
///
///   [z, f, r, x'] = x W^T + b          (all steps at once)
///   c_t = sigmoid(f_t) * c_{t-1} + (1 - sigmoid(f_t)) * z_t
///   h_t = sigmoid(r_t) * tanh(c_t) + (1 - sigmoid(r_t)) * x'_t   (highway)
///
/// The backward direction runs the same scan over each sequence reversed within its length, so
/// padding never leaks into real positions.

#include <torch/torch.h>

namespace qiss {

class BiSruLayerImpl : public torch::nn::Module {
  public:
    BiSruLayerImpl(int input_dim, int hidden);
    /// x: [B,T,input_dim], lengths: [B] int64 -> [B,T,2*hidden] (values past a row's length are
    /// unspecified).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& lengths);

  private:
    torch::Tensor scan(const torch::Tensor& proj);  ///< [B,T,4H] -> [B,T,H]
    int hidden_;
    torch::nn::Linear fwd_{nullptr}, bwd_{nullptr};
};
TORCH_MODULE(BiSruLayer);

/// Per row, the time index that reverses the row within its length and keeps padding in place:
/// [B,T] int64. Applying it twice gives the identity.
torch::Tensor reverse_within_length(const torch::Tensor& lengths, int64_t steps);

}  // namespace qiss
