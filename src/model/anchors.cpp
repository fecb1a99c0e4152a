#include "model/anchors.h"

namespace qiss {

torch::Tensor anchor_project(const torch::Tensor& e, const torch::Tensor& anchors,
                             float temperature, float weight) {
    namespace F = torch::nn::functional;
    auto attention = torch::softmax(torch::matmul(e, anchors.t()) / temperature, 1);
    auto pulled = F::normalize(torch::matmul(attention, anchors), F::NormalizeFuncOptions().dim(1));
    return F::normalize(e + weight * pulled, F::NormalizeFuncOptions().dim(1));
}

QuantizedRows quantize_rows(const torch::Tensor& x) {
    auto scales = x.abs().amax(1).clamp_min(1e-12) / 127.0;
    auto codes = torch::round(x / scales.unsqueeze(1)).clamp(-127, 127).to(torch::kInt8);
    return {codes, scales.to(torch::kFloat32).contiguous()};
}

torch::Tensor dequantize_rows(const torch::Tensor& codes, const torch::Tensor& scales) {
    return codes.to(torch::kFloat32) * scales.unsqueeze(1);
}

}  // namespace qiss
