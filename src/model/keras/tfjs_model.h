#pragma once
/// @file tfjs_model.h
/// Reads a TF.js layers model from its folder: `model.json` (the Keras topology and the
/// weights manifest) and the binary weight files it names, dequantising uint8/uint16/float16
/// weights. nsfwjs ships its models as JavaScript modules instead; scripts/tfjs_unwrap.cjs
/// writes them out as these files.

#include <filesystem>
#include <map>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace qiss {

struct TfjsModel {
    /// The Keras functional model's layers (`model_config.config.layers`): name, class_name,
    /// config, inbound_nodes.
    nlohmann::json layers;
    /// The weights by manifest name ("<layer>/<name>"), float32, in Keras's layout.
    std::map<std::string, torch::Tensor> weights;
};

/// Limits on what read_tfjs_model accepts.
struct TfjsLimits {
    std::uint64_t max_model_json_bytes = 64ull << 20;
    std::uint64_t max_weight_bytes = 1ull << 30;  ///< all weight files together
};

/// Reads `dir`/model.json and its weight files. Throws qiss::Error for a missing or malformed
/// file, a weight file outside `dir`, a dtype or quantisation it does not know, or weight
/// files that do not hold exactly the bytes the manifest describes.
TfjsModel read_tfjs_model(const std::filesystem::path& dir, const TfjsLimits& limits = {});

}  // namespace qiss
