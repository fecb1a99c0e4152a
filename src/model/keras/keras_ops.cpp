#include "model/keras/keras_ops.h"

#include <algorithm>

#include "common/error.h"

namespace qiss::keras {
namespace F = torch::nn::functional;

namespace {

/// TensorFlow's "same" padding of one dimension: (before, after).
std::pair<int64_t, int64_t> same_padding(int64_t in, int k, int stride, int dilation) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(
        (out - 1) * stride + (static_cast<int64_t>(k) - 1) * dilation + 1 - in, 0);
    return {total / 2, total - total / 2};
}

}  // namespace

torch::Tensor activate(const torch::Tensor& x, const std::string& name) {
    if (name == "linear") return x;
    if (name == "relu") return torch::relu(x);
    if (name == "relu6") return torch::clamp(x, 0.0, 6.0);
    if (name == "sigmoid") return torch::sigmoid(x);
    if (name == "tanh") return torch::tanh(x);
    if (name == "swish") return x * torch::sigmoid(x);
    QISS_ASSERT(name == "softmax");
    return torch::softmax(x, 1);
}

torch::Tensor activate_in_place(torch::Tensor x, const std::string& name) {
    if (name == "linear") return x;
    if (name == "relu") return x.relu_();
    if (name == "relu6") return x.clamp_(0.0, 6.0);
    if (name == "sigmoid") return x.sigmoid_();
    if (name == "tanh") return x.tanh_();
    if (name == "swish") return x.mul_(torch::sigmoid(x));
    return activate(x, name);
}

torch::Tensor pad_same(const torch::Tensor& x, std::array<int, 2> k, std::array<int, 2> stride,
                       std::array<int, 2> dilation, double value) {
    const auto [top, bottom] = same_padding(x.size(2), k[0], stride[0], dilation[0]);
    const auto [left, right] = same_padding(x.size(3), k[1], stride[1], dilation[1]);
    if (top == 0 && bottom == 0 && left == 0 && right == 0) return x;
    return F::pad(x, F::PadFuncOptions({left, right, top, bottom}).value(value));
}

std::optional<std::vector<int64_t>> symmetric_same(const torch::Tensor& x, std::array<int, 2> k,
                                                   std::array<int, 2> stride,
                                                   std::array<int, 2> dilation) {
    const auto [top, bottom] = same_padding(x.size(2), k[0], stride[0], dilation[0]);
    const auto [left, right] = same_padding(x.size(3), k[1], stride[1], dilation[1]);
    if (top != bottom || left != right) return std::nullopt;
    return std::vector<int64_t>{top, left};
}

}  // namespace qiss::keras
