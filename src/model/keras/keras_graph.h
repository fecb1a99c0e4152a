#pragma once
/// @file keras_graph.h
/// Model kind "image_graph": an image network imported from a Keras layer graph (a TF.js
/// layers model, `qiss model import --tfjs`), run with libtorch, and its embedding head: the
/// output of one layer, pooled (GeM or mean), power-normalised, optionally PCA-whitened, then
/// L2-normalised. The graph and head are stored in the model file's `config.graph`
/// (docs/format.md, "Image graph"); the weights, in libtorch's layout, as buffers w0, w1, ...

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "model/model_config.h"
#include "model/network.h"

namespace qiss {

/// The Keras layer classes a graph may hold.
const std::vector<std::string>& supported_keras_layers();

/// Keras-layout weights ("<layer>/<name>" -> tensor, as TF.js stores them) -> libtorch layout
/// (convolution kernels [out,in,kh,kw], depthwise [in*m,1,kh,kw], dense [out,in]). Throws
/// qiss::Error for a weight no layer of `layers` (Keras `model_config.config.layers`) uses.
std::map<std::string, torch::Tensor> keras_weights_to_torch(
    const nlohmann::json& layers, std::map<std::string, torch::Tensor> keras_weights);

class KerasGraphImpl : public NetworkImpl {
  public:
    /// Builds the graph of `config.graph` with zero weights of the declared shapes. Throws
    /// qiss::Error naming the layer for an unsupported class, setting or connection.
    explicit KerasGraphImpl(const ModelConfig& config);
    ~KerasGraphImpl() override;

    torch::Tensor embed_images(const torch::Tensor& pixels) override;
    torch::Tensor embed_texts(const TokenBatch& tokens) override;
    void check_loaded() override;

    /// The output of layer `name` for preprocessed images [N,3,S,S]: [N,C,H,W] for image
    /// layers (Keras's NHWC, transposed), [N,C] for vectors. Throws qiss::Error for an
    /// unknown layer.
    torch::Tensor layer_output(const torch::Tensor& pixels, const std::string& name);
    /// Pooled, power-normalised features of the feature layer, before whitening: [N,C].
    torch::Tensor pooled_features(const torch::Tensor& pixels);
    /// Sets the PCA whitening (mean [C], projection [C,D]) applied after pooling.
    void set_whitening(const torch::Tensor& mean, const torch::Tensor& projection);
    /// Fills the weights ("<layer>/<name>", libtorch layout); throws qiss::Error for a missing
    /// weight or a shape other than declared.
    void set_weights(const std::map<std::string, torch::Tensor>& weights);

  private:
    struct Layer;
    /// The layers up to `until`: as imported, or (`planned`) by the inference plan.
    torch::Tensor run(const torch::Tensor& pixels, std::size_t until, bool planned);
    /// One layer; `overwrite`: in[0] is read by nothing else and may be computed in place.
    torch::Tensor apply(const Layer& layer, const std::vector<torch::Tensor>& in,
                        bool overwrite) const;
    /// Builds plan_ from the weights: batch normalizations folded into their convolutions.
    void prepare();
    /// A batch normalization as x * scale + shift, per channel (inference: moving statistics).
    std::pair<torch::Tensor, torch::Tensor> scale_and_shift(const Layer& norm) const;
    const torch::Tensor& weight(int index) const;

    std::vector<Layer> layers_;
    std::vector<Layer> plan_;  ///< layers_ for inference (prepare()); empty before weights
    std::vector<std::string> weight_names_;            ///< buffer i is w<i>
    std::vector<std::vector<int64_t>> weight_shapes_;  ///< declared, libtorch layout
    std::vector<torch::Tensor> weights_;
    std::size_t feature_layer_ = 0;
    std::string pooling_;
    float gem_p_ = 3.0f;
    float power_ = 1.0f;
    bool whiten_ = false;
    int input_size_ = 224;
    int embed_dim_ = 0;
    torch::Tensor whiten_mean_, whiten_proj_;
};

}  // namespace qiss
