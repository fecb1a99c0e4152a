#pragma once
/// @file model.h
/// A loaded model ready to embed images (and texts, for kinds with a text branch):
/// configuration, tokenizer and network of its kind (model/model_kind.h), all from one model
/// file.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "model/calibration.h"
#include "model/dual_encoder.h"
#include "model/model_config.h"
#include "model/model_kind.h"
#include "model/network.h"
#include "text/clip_bpe.h"
#include "text/tokenizer.h"

namespace qiss {

/// The trainable model (the trainer, `qiss eval`, `qiss embed`). Searching and indexing use
/// InferenceModel (inference_model.h), which is safe to call concurrently.
class Model {
  public:
    /// A fresh, untrained network of the configuration's kind around an existing tokenizer
    /// (none for image-only kinds; `bpe` instead for an imported model whose text input is
    /// CLIP's BPE). Throws qiss::Error for an invalid configuration.
    Model(ModelConfig config, std::optional<Tokenizer> tokenizer,
          std::shared_ptr<const ClipBpe> bpe = nullptr);

    /// Loads a model file. Throws qiss::Error for a missing, truncated, foreign or newer file.
    static Model load(const std::filesystem::path& path);
    /// Builds a model from a model file's bytes (same errors as load).
    static Model from_bytes(const std::string& bytes, const std::string& what);
    /// How to_bytes() stores the weights: as the configuration's `weight_dtype` says, or every
    /// tensor in float32 (training checkpoints, which must resume exactly).
    enum class Precision { configured, full };
    /// Serialises to the model file format; `training` is stored in the header.
    std::string to_bytes(Precision precision = Precision::configured) const;
    /// Atomically writes the model file.
    void save(const std::filesystem::path& path, Precision precision = Precision::configured) const;

    /// Embeds RGB images (CV_8UC3, any size): [N,D] float unit vectors. Thread-compatible: one
    /// call at a time per Model.
    torch::Tensor embed_images(const std::vector<cv::Mat>& rgb_images);
    /// Embeds texts in any language: [N,D] float unit vectors. Empty texts are allowed here
    /// (they embed as <unk>); callers that face users reject them first. Throws qiss::Error
    /// for an image-only model.
    torch::Tensor embed_texts(const std::vector<std::string>& texts);

    /// Preprocesses RGB images into the network's input [N,3,S,S].
    torch::Tensor preprocess(const std::vector<cv::Mat>& rgb_images) const;
    /// Tokenizes texts into a padded batch (for kind "torchscript", laid out as its
    /// TextInput says).
    TokenBatch tokenize(const std::vector<std::string>& texts) const;
    /// Pieces, unknown and byte pieces of one text (untruncated), whatever the tokenizer.
    Tokenizer::PieceStats piece_stats(std::string_view text) const;
    /// The most pieces of a text the network sees; longer texts are truncated.
    int max_text_pieces() const;

    const ModelConfig& config() const { return config_; }
    /// Sets how save() stores the weights ("float16" or "float32"; ModelConfig::weight_dtype):
    /// storage only, the network is unchanged.
    void set_weight_dtype(const std::string& dtype);
    /// Attaches identity anchors (model/anchors.h): `proxies` [K,D], one per training
    /// identity, with the attention temperature and weight (> 0). Image embeddings change, so
    /// the relevance calibration is dropped (fit it again: qiss calibrate). Dual models only.
    void set_anchors(const torch::Tensor& proxies, float temperature, float weight);
    /// Sets the weight of the words of a text query searched on their own
    /// (ModelConfig::word_weight, in [0, 1]; 0 = off): a query rule, the network and its
    /// calibration are unchanged. Dual models only.
    void set_word_weight(float weight);
    const ModelKind& kind() const { return *kind_; }
    /// The model embeds texts (its kind has a text branch).
    bool has_text() const { return kind_->has_text; }
    /// The tokenizer; throws qiss::Error for an image-only model.
    const Tokenizer& tokenizer() const;
    /// The network, whatever its kind.
    NetworkImpl& network() { return *net_; }
    /// The dual-path network, for training; throws qiss::Error for another kind.
    DualEncoder& net();
    int dim() const { return config_.embed_dim; }
    /// Free-form record of how the model was made (command, corpus, seed, time, eval).
    nlohmann::json& training_info() { return training_info_; }
    const nlohmann::json& training_info() const { return training_info_; }
    /// The relevance calibration stored with the model (none in files written before it).
    const std::optional<Calibration>& calibration() const { return calibration_; }
    void set_calibration(std::optional<Calibration> c) { calibration_ = std::move(c); }

  private:
    /// Kind "torchscript": the ids of one text before bos/eos (offset and <unk> mapped).
    std::vector<int> imported_ids(std::string_view text) const;
    TokenBatch tokenize_imported(const std::vector<std::string>& texts) const;

    ModelConfig config_;
    const ModelKind* kind_;
    std::optional<Tokenizer> tokenizer_;
    std::shared_ptr<const ClipBpe> bpe_;
    std::shared_ptr<NetworkImpl> net_;
    DualEncoder dual_{nullptr};  ///< net_ when the kind is "dual"
    nlohmann::json training_info_ = nlohmann::json::object();
    std::optional<Calibration> calibration_;
};

/// uint8 RGB images [N,S,S,3] -> floats in [0,1], [N,3,S,S].
torch::Tensor to_unit_float(const torch::Tensor& rgb_u8);
/// Floats in [0,1] [N,3,S,S] -> the network's normalised input (shared by inference and
/// training).
torch::Tensor normalize_pixels(const torch::Tensor& x01, const ImagePreprocess& p);

}  // namespace qiss
