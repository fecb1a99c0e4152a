#pragma once
/// @file inference_model.h
/// A model for answering queries and indexing: loaded once, never trained, and safe to call
/// from many threads at once. Training works on the mutable Model (model.h) instead.

#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "model/model.h"

namespace qiss {

class InferenceModel {
  public:
    /// Loads a model file. Throws qiss::Error for a missing, truncated, foreign or newer file.
    static InferenceModel load(const std::filesystem::path& path);
    /// Builds it from a model file's bytes (same errors as load).
    static InferenceModel from_bytes(const std::string& bytes, const std::string& what);
    /// Takes a model over for inference only (evaluation mode for good).
    explicit InferenceModel(Model&& model);

    /// Embeds RGB images (CV_8UC3, any size): [N,D] float unit vectors. Thread-safe: calls
    /// from several threads run concurrently.
    torch::Tensor embed_images(const std::vector<cv::Mat>& rgb_images) const;
    /// Embeds texts in any language: [N,D] float unit vectors. Thread-safe, as embed_images.
    torch::Tensor embed_texts(const std::vector<std::string>& texts) const;

    const ModelConfig& config() const { return model_.config(); }
    /// The model's kind (model/model_kind.h), e.g. "dual".
    const char* kind() const { return model_.kind().name; }
    /// The model embeds texts; else embed_texts throws.
    bool has_text() const { return model_.has_text(); }
    int dim() const { return model_.dim(); }
    /// How the model was made (command, corpus, seed, time, eval), from the model file.
    const nlohmann::json& training_info() const { return model_.training_info(); }
    /// Score -> probability of relevance, per query kind; none for a model without one.
    const std::optional<Calibration>& calibration() const { return model_.calibration(); }

  private:
    /// Mutable only because libtorch modules have no const forward(): the network stays in
    /// evaluation mode and runs under NoGradGuard, where a forward pass reads the weights and
    /// writes only its own tensors.
    mutable Model model_;
};

}  // namespace qiss
