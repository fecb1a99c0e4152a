#pragma once
/// @file import_tfjs.h
/// `qiss model import --tfjs`: a TF.js layers model (model/keras/tfjs_model.h) becomes an
/// image-only qiss model of kind "image_graph" (model/keras/keras_graph.h), optionally with a
/// PCA whitening fitted on sample images.

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "model/model.h"

namespace qiss {

struct TfjsImportOptions {
    /// The layer whose output is pooled; "" = the last image layer before the network's first
    /// Flatten or global pooling (and the pooling layer feeding it, if any).
    std::string feature_layer;
    std::string pooling = "gem";  ///< "gem" (generalised mean) or "avg"
    float gem_p = 3.0f;
    float power = 0.5f;  ///< signed power normalisation of the pooled features (1 = none)
    /// Images to fit the whitening on (none: no whitening, the embedding is the features).
    std::vector<std::filesystem::path> whiten_images;
    int dim = 0;  ///< whitened dimension; 0 = min(features, 512)
    /// Preprocessing: (x/255 - mean) / std after stretching to the input layer's size.
    std::array<float, 3> mean{0, 0, 0};
    std::array<float, 3> std{1, 1, 1};
};

/// The model of a TF.js layers model folder. Throws qiss::Error for an unreadable model, an
/// unsupported layer, a bad option, or too few readable whitening images.
Model import_tfjs(const std::filesystem::path& dir, const TfjsImportOptions& options);

/// The default feature layer of a Keras layer list (see TfjsImportOptions::feature_layer).
std::string default_feature_layer(const nlohmann::json& layers);

}  // namespace qiss
