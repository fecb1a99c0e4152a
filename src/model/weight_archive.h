#pragma once
/// @file weight_archive.h
/// Writes and reads a network's parameters and buffers as libtorch's Module::save/load do (one
/// nested archive per submodule), except that large float32 tensors may be stored as float16
/// (docs/format.md, "Model file"): the file's weights take half the space, and reading widens
/// them back to the network's float32 whatever the file holds.

#include <cstdint>

#include <torch/torch.h>

namespace qiss {

/// Writes `module`'s tensors into `archive`; float32 tensors with at least `half_from`
/// elements are stored as float16 (0: none, every tensor as it is).
void write_weights(const torch::nn::Module& module, torch::serialize::OutputArchive& archive,
                   std::int64_t half_from);

/// Reads `module`'s tensors from `archive` into the module's own tensors, converting float16
/// to their type. Throws qiss::Error for a tensor whose shape differs from the module's
/// (c10::Error for one the archive lacks).
void read_weights(torch::nn::Module& module, torch::serialize::InputArchive& archive);

}  // namespace qiss
