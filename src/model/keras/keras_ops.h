#pragma once
/// @file keras_ops.h
/// Keras layers' TensorFlow semantics in libtorch, for the image graph (keras_graph): the
/// activations by their Keras names and TensorFlow's "same" padding.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace qiss::keras {

/// The Keras activation `name` ("linear", "relu", "relu6", "sigmoid", "tanh", "softmax" over
/// dimension 1, "swish") of x; the caller has checked the name.
torch::Tensor activate(const torch::Tensor& x, const std::string& name);

/// activate() overwriting x, which nothing else reads (a fresh output): no new tensor of an
/// activation's size, which at a batch of photos is tens of MB a layer.
torch::Tensor activate_in_place(torch::Tensor x, const std::string& name);

/// Pads x [N,C,H,W] as TensorFlow's "same" does for a window k with stride and dilation.
torch::Tensor pad_same(const torch::Tensor& x, std::array<int, 2> k, std::array<int, 2> stride,
                       std::array<int, 2> dilation, double value);

/// The "same" padding {top, left} of a convolution when it is the same on both sides of each
/// dimension (then the convolution pads by itself, without a padded copy of its input);
/// nullopt when it is not.
std::optional<std::vector<int64_t>> symmetric_same(const torch::Tensor& x, std::array<int, 2> k,
                                                   std::array<int, 2> stride,
                                                   std::array<int, 2> dilation);

}  // namespace qiss::keras
