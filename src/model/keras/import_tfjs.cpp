#include "model/keras/import_tfjs.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "image/image_io.h"
#include "model/keras/keras_graph.h"
#include "model/keras/tfjs_model.h"

namespace qiss {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The input layer's square image size (batch_input_shape [null, S, S, 3]).
int input_size_of(const json& layers) {
    for (const json& l : layers) {
        if (l.value("class_name", "") != "InputLayer") continue;
        const json& shape = l.at("config").at("batch_input_shape");
        QISS_CHECK(shape.is_array() && shape.size() == 4 && shape[1].is_number_integer() &&
                       shape[1] == shape[2] && shape[3] == 3,
                   "the input layer takes {}, not square RGB images of a fixed size", shape.dump());
        return shape[1].get<int>();
    }
    QISS_THROW("the model has no input layer");
}

/// The graph section of the model configuration.
json graph_config(const TfjsModel& tfjs, const std::map<std::string, torch::Tensor>& weights,
                  const std::string& feature, const TfjsImportOptions& o, std::int64_t features,
                  bool whiten) {
    json shapes = json::object();
    for (const auto& [name, w] : weights) shapes[name] = w.sizes().vec();
    return {{"format", "keras"},        {"layers", tfjs.layers}, {"weights", shapes},
            {"feature_layer", feature}, {"pooling", o.pooling},  {"gem_p", o.gem_p},
            {"power", o.power},         {"features", features},  {"whiten", whiten}};
}

/// PCA whitening of the pooled features of `images`: mean [C] and projection [C, dim].
std::pair<torch::Tensor, torch::Tensor> fit_whitening(Model& model, KerasGraphImpl& graph,
                                                      const std::vector<fs::path>& images,
                                                      int dim) {
    std::vector<torch::Tensor> parts;
    std::vector<cv::Mat> batch;
    std::size_t unreadable = 0;
    const auto flush = [&] {
        if (batch.empty()) return;
        parts.push_back(graph.pooled_features(model.preprocess(batch)));
        batch.clear();
    };
    for (const fs::path& p : images) {
        try {
            batch.push_back(read_image(p).rgb);
        } catch (const Error& e) {
            ++unreadable;
            spdlog::warn("whitening: skipped {}", e.what());
        }
        if (batch.size() == 16) flush();
    }
    flush();
    const std::int64_t n = parts.empty() ? 0 : torch::cat(parts).size(0);
    QISS_CHECK(n > dim,
               "whitening to {} dimensions needs more than {} readable images; got {} ({} "
               "unreadable)",
               dim, dim, n, unreadable);
    const torch::Tensor x = torch::cat(parts).to(torch::kFloat64);
    const torch::Tensor mean = x.mean(0);
    const torch::Tensor centred = x - mean;
    const torch::Tensor cov = torch::matmul(centred.t(), centred) / static_cast<double>(n - 1);
    auto [values, vectors] = torch::linalg::eigh(cov, "L");  // ascending
    const torch::Tensor top_values = values.flip(0).slice(0, 0, dim);
    const torch::Tensor top_vectors = vectors.flip(1).slice(1, 0, dim);
    // Regularised: directions of almost no variance are not blown up into noise.
    const double floor = 1e-3 * top_values[0].item<double>();
    const torch::Tensor projection = top_vectors / torch::sqrt(top_values.clamp_min(floor) + floor);
    spdlog::info("whitening fitted on {} images: {} -> {} dimensions", n, x.size(1), dim);
    return {mean.to(torch::kFloat32), projection.to(torch::kFloat32)};
}

}  // namespace

std::string default_feature_layer(const json& layers) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string cls = layers[i].value("class_name", "");
        if (cls != "Flatten" && cls != "GlobalAveragePooling2D") continue;
        // The input of the first flattening layer, or of the pooling layer that feeds it.
        std::string from = layers[i].at("inbound_nodes").at(0).at(0).at(0).get<std::string>();
        for (const json& l : layers) {
            if (l.value("name", "") != from) continue;
            const std::string c = l.value("class_name", "");
            if (c == "AveragePooling2D" || c == "MaxPooling2D")
                from = l.at("inbound_nodes").at(0).at(0).at(0).get<std::string>();
            break;
        }
        return from;
    }
    QISS_THROW(
        "the model has no Flatten or GlobalAveragePooling2D layer: name the feature "
        "layer (--feature-layer)");
}

Model import_tfjs(const fs::path& dir, const TfjsImportOptions& o) {
    QISS_CHECK(o.pooling == "gem" || o.pooling == "avg", "pooling {} (expected gem or avg)",
               o.pooling);
    TfjsModel tfjs = read_tfjs_model(dir);
    std::string feature;
    int size = 0;
    try {
        feature = o.feature_layer.empty() ? default_feature_layer(tfjs.layers) : o.feature_layer;
        size = input_size_of(tfjs.layers);
    } catch (const json::exception& e) {
        QISS_THROW("{}: unexpected layer list: {}", dir.string(), e.what());
    }
    const std::map<std::string, torch::Tensor> weights =
        keras_weights_to_torch(tfjs.layers, std::move(tfjs.weights));

    ModelConfig config;
    config.kind = "image_graph";
    config.preset = "imported";
    config.preprocess.size = size;
    config.preprocess.resize = "stretch";
    config.preprocess.mean = o.mean;
    config.preprocess.std = o.std;
    // A first graph, without whitening, to learn the feature layer's width.
    config.graph = graph_config(tfjs, weights, feature, o, 1, true);
    config.embed_dim = 1;
    std::int64_t features = 0;
    {
        KerasGraphImpl probe(config);
        probe.set_weights(weights);
        features = probe.pooled_features(torch::zeros({1, 3, size, size})).size(1);
    }
    const bool whiten = !o.whiten_images.empty();
    const int dim = o.dim > 0 ? o.dim : static_cast<int>(std::min<std::int64_t>(features, 512));
    QISS_CHECK(!whiten || dim <= features, "--dim {} is more than the {} features of layer {}", dim,
               features, feature);
    config.graph = graph_config(tfjs, weights, feature, o, features, whiten);
    config.embed_dim = whiten ? dim : static_cast<int>(features);
    Model model(config, std::nullopt);
    auto& graph = dynamic_cast<KerasGraphImpl&>(model.network());
    graph.set_weights(weights);
    json training = {{"imported_from", dir.string()},
                     {"format", "tfjs"},
                     {"feature_layer", feature},
                     {"features", features}};
    if (whiten) {
        auto [mean, projection] = fit_whitening(model, graph, o.whiten_images, dim);
        graph.set_whitening(mean, projection);
        training["whitened_on_images"] = o.whiten_images.size();
    }
    graph.check_loaded();
    model.training_info() = training;
    return model;
}

}  // namespace qiss
