#include "model/keras/keras_graph.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "common/error.h"
#include "model/keras/keras_ops.h"

namespace qiss {
namespace F = torch::nn::functional;
using keras::activate;
using keras::activate_in_place;
using keras::pad_same;
using keras::symmetric_same;
using nlohmann::json;

namespace {

enum class Op {
    input,
    zero_padding,
    conv,
    depthwise_conv,
    batch_norm,
    relu,
    activation,
    add,
    concatenate,
    average_pooling,
    max_pooling,
    global_average_pooling,
    flatten,
    dense,
    dropout,
};

const std::vector<std::pair<std::string, Op>>& layer_classes() {
    static const std::vector<std::pair<std::string, Op>> classes{
        {"InputLayer", Op::input},
        {"ZeroPadding2D", Op::zero_padding},
        {"Conv2D", Op::conv},
        {"DepthwiseConv2D", Op::depthwise_conv},
        {"BatchNormalization", Op::batch_norm},
        {"ReLU", Op::relu},
        {"Activation", Op::activation},
        {"Add", Op::add},
        {"Concatenate", Op::concatenate},
        {"AveragePooling2D", Op::average_pooling},
        {"MaxPooling2D", Op::max_pooling},
        {"GlobalAveragePooling2D", Op::global_average_pooling},
        {"Flatten", Op::flatten},
        {"Dense", Op::dense},
        {"Dropout", Op::dropout},
    };
    return classes;
}

const std::vector<std::string> kActivations{"linear", "relu",    "relu6", "sigmoid",
                                            "tanh",   "softmax", "swish"};

/// A pair setting (kernel_size, strides, ...) given as [a, b] or a single number.
std::array<int, 2> pair_of(const json& c, const char* key, int fallback, const std::string& layer) {
    if (!c.contains(key) || c.at(key).is_null()) return {fallback, fallback};
    const json& v = c.at(key);
    std::array<int, 2> out{};
    if (v.is_number_integer()) {
        out = {v.get<int>(), v.get<int>()};
    } else {
        QISS_CHECK(
            v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer(),
            "layer {}: {} must be two integers", layer, key);
        out = {v[0].get<int>(), v[1].get<int>()};
    }
    for (int x : out)
        QISS_CHECK(x >= 1 && x <= 4096, "layer {}: {} {} is outside 1..4096", layer, key, x);
    return out;
}

}  // namespace

struct KerasGraphImpl::Layer {
    std::string name;
    Op op = Op::input;
    std::vector<std::size_t> inputs;
    std::size_t last_use = 0;  ///< index of the last layer that reads this one's output
    std::array<int, 2> kernel{1, 1}, strides{1, 1}, dilation{1, 1};
    bool same = false;
    std::array<int64_t, 4> pad{0, 0, 0, 0};  ///< left, right, top, bottom
    std::string activation = "linear";
    double epsilon = 1e-3;
    double max_value = -1, negative_slope = 0, threshold = 0;
    int w_kernel = -1, w_bias = -1, w_gamma = -1, w_beta = -1, w_mean = -1, w_var = -1;
    int readers = 0;  ///< layers that read this one's output
    /// Inference plan only (KerasGraphImpl::prepare): a convolution with the batch
    /// normalization that follows it folded into its kernel and bias, and that normalization,
    /// which then passes its input on.
    torch::Tensor folded_kernel, folded_bias;
    bool pass_through = false;
};

const std::vector<std::string>& supported_keras_layers() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& [name, op] : layer_classes()) n.push_back(name);
        return n;
    }();
    return names;
}

std::map<std::string, torch::Tensor> keras_weights_to_torch(
    const json& layers, std::map<std::string, torch::Tensor> keras_weights) {
    std::map<std::string, torch::Tensor> out;
    for (const json& l : layers) {
        const std::string name = l.value("name", "");
        const std::string cls = l.value("class_name", "");
        for (auto it = keras_weights.lower_bound(name + "/");
             it != keras_weights.end() && it->first.starts_with(name + "/");) {
            const std::string param = it->first.substr(name.size() + 1);
            torch::Tensor w = it->second;
            if (param == "kernel" && cls == "Conv2D") {
                QISS_CHECK(w.dim() == 4, "weight {}: a Conv2D kernel has 4 dimensions, not {}",
                           it->first, w.dim());
                w = w.permute({3, 2, 0, 1});
            } else if (param == "depthwise_kernel" && cls == "DepthwiseConv2D") {
                QISS_CHECK(w.dim() == 4, "weight {}: a depthwise kernel has 4 dimensions, not {}",
                           it->first, w.dim());
                w = w.permute({2, 3, 0, 1})
                        .reshape({w.size(2) * w.size(3), 1, w.size(0), w.size(1)});
            } else if (param == "kernel" && cls == "Dense") {
                QISS_CHECK(w.dim() == 2, "weight {}: a Dense kernel has 2 dimensions, not {}",
                           it->first, w.dim());
                w = w.t();
            }
            out.emplace(it->first, w.contiguous());
            it = keras_weights.erase(it);
        }
    }
    QISS_CHECK(keras_weights.empty(), "weight {} belongs to no layer of the graph",
               keras_weights.begin()->first);
    return out;
}

KerasGraphImpl::KerasGraphImpl(const ModelConfig& config) {
    const json& g = config.graph;
    QISS_CHECK(g.is_object(), "an image_graph model needs a graph object in its configuration");
    try {
        input_size_ = config.preprocess.size;
        embed_dim_ = config.embed_dim;
        const json& declared = g.at("weights");
        QISS_CHECK(declared.is_object(), "graph.weights must map weight names to shapes");
        int64_t total = 0;
        for (const auto& [name, shape] : declared.items()) {
            std::vector<int64_t> dims = shape.get<std::vector<int64_t>>();
            QISS_CHECK(!dims.empty() && dims.size() <= 4, "weight {}: {} dimensions", name,
                       dims.size());
            int64_t n = 1;
            for (int64_t d : dims) {
                QISS_CHECK(d >= 1 && d <= (1 << 20), "weight {}: dimension {}", name, d);
                n *= d;
                QISS_CHECK(n <= (int64_t{1} << 28), "weight {} is too large", name);
            }
            total += n;
            QISS_CHECK(total <= (int64_t{1} << 29), "the graph's weights are too large");
            const std::size_t i = weight_names_.size();
            weight_names_.push_back(name);
            weight_shapes_.push_back(dims);
            weights_.push_back(
                register_buffer(fmt::format("w{}", i), torch::zeros(dims, torch::kFloat32)));
        }
        const auto weight_index = [&](const std::string& layer, const char* param, bool required) {
            const auto it =
                std::find(weight_names_.begin(), weight_names_.end(), layer + "/" + param);
            QISS_CHECK(it != weight_names_.end() || !required, "layer {}: no weight {}/{}", layer,
                       layer, param);
            return it == weight_names_.end() ? -1 : static_cast<int>(it - weight_names_.begin());
        };

        const json& layers = g.at("layers");
        QISS_CHECK(layers.is_array() && !layers.empty() && layers.size() <= 10000,
                   "graph.layers must hold 1..10000 layers");
        std::map<std::string, std::size_t> index_of;
        for (const json& l : layers) {
            Layer layer;
            layer.name = l.at("name").get<std::string>();
            QISS_CHECK(!index_of.contains(layer.name), "two layers are named {}", layer.name);
            const std::string cls = l.at("class_name").get<std::string>();
            const auto known = std::find_if(layer_classes().begin(), layer_classes().end(),
                                            [&](const auto& entry) { return entry.first == cls; });
            QISS_CHECK(known != layer_classes().end(),
                       "layer {}: Keras layer class {} is not supported (supported: {})",
                       layer.name, cls, fmt::join(supported_keras_layers(), ", "));
            layer.op = known->second;
            const json& c = l.value("config", json::object());
            const json& nodes = l.value("inbound_nodes", json::array());
            QISS_CHECK(nodes.is_array() && nodes.size() <= 1,
                       "layer {}: a layer used more than once (shared layers) is not supported",
                       layer.name);
            if (!nodes.empty()) {
                for (const json& in : nodes.at(0)) {
                    const std::string from = in.at(0).get<std::string>();
                    const auto at = index_of.find(from);
                    QISS_CHECK(at != index_of.end(),
                               "layer {}: its input {} is not an earlier layer", layer.name, from);
                    layer.inputs.push_back(at->second);
                }
            }
            const bool is_input = layer.op == Op::input;
            QISS_CHECK(is_input == layer.inputs.empty(), "layer {}: {} inputs", layer.name,
                       layer.inputs.size());
            QISS_CHECK(
                layer.op == Op::add || layer.op == Op::concatenate || layer.inputs.size() <= 1,
                "layer {}: a {} takes one input, not {}", layer.name, cls, layer.inputs.size());
            if (c.contains("activation")) {
                layer.activation = c.at("activation").get<std::string>();
                QISS_CHECK(std::find(kActivations.begin(), kActivations.end(), layer.activation) !=
                               kActivations.end(),
                           "layer {}: activation {} is not supported (supported: {})", layer.name,
                           layer.activation, fmt::join(kActivations, ", "));
            }
            const std::string padding = c.value("padding", json("valid")).is_string()
                                            ? c.value("padding", std::string("valid"))
                                            : std::string("valid");
            switch (layer.op) {
                case Op::conv:
                case Op::depthwise_conv:
                case Op::average_pooling:
                case Op::max_pooling: {
                    const bool pool =
                        layer.op == Op::average_pooling || layer.op == Op::max_pooling;
                    layer.kernel = pair_of(c, pool ? "pool_size" : "kernel_size", 1, layer.name);
                    layer.strides = pair_of(c, "strides", pool ? layer.kernel[0] : 1, layer.name);
                    layer.dilation = pair_of(c, "dilation_rate", 1, layer.name);
                    QISS_CHECK(padding == "valid" || padding == "same",
                               "layer {}: padding {} (expected valid or same)", layer.name,
                               padding);
                    layer.same = padding == "same";
                    QISS_CHECK(!(layer.same && layer.op == Op::average_pooling),
                               "layer {}: average pooling with same padding is not supported",
                               layer.name);
                    QISS_CHECK(
                        c.value("data_format", std::string("channels_last")) == "channels_last",
                        "layer {}: only channels_last is supported", layer.name);
                    if (layer.op == Op::conv) {
                        layer.w_kernel = weight_index(layer.name, "kernel", true);
                        layer.w_bias = weight_index(layer.name, "bias", c.value("use_bias", true));
                    } else if (layer.op == Op::depthwise_conv) {
                        layer.w_kernel = weight_index(layer.name, "depthwise_kernel", true);
                        layer.w_bias = weight_index(layer.name, "bias", c.value("use_bias", true));
                    }
                    break;
                }
                case Op::zero_padding: {
                    const json& p = c.at("padding");
                    if (p.is_number_integer()) {
                        const int64_t v = p.get<int64_t>();
                        layer.pad = {v, v, v, v};
                    } else {
                        // [[top, bottom], [left, right]] or [vertical, horizontal]
                        QISS_CHECK(p.is_array() && p.size() == 2, "layer {}: bad padding",
                                   layer.name);
                        const auto side = [&](const json& v) -> std::array<int64_t, 2> {
                            if (v.is_number_integer()) return {v.get<int64_t>(), v.get<int64_t>()};
                            QISS_CHECK(v.is_array() && v.size() == 2, "layer {}: bad padding",
                                       layer.name);
                            return {v[0].get<int64_t>(), v[1].get<int64_t>()};
                        };
                        const auto [top, bottom] = side(p[0]);
                        const auto [left, right] = side(p[1]);
                        layer.pad = {left, right, top, bottom};
                    }
                    for (int64_t v : layer.pad)
                        QISS_CHECK(v >= 0 && v <= 1024, "layer {}: padding {}", layer.name, v);
                    break;
                }
                case Op::batch_norm: {
                    const json& axis = c.value("axis", json(-1));
                    QISS_CHECK(axis == json(-1) || axis == json(3) || axis == json({-1}) ||
                                   axis == json({3}),
                               "layer {}: batch normalization over axis {} (only channels)",
                               layer.name, axis.dump());
                    layer.epsilon = c.value("epsilon", 1e-3);
                    QISS_CHECK(layer.epsilon > 0 && layer.epsilon < 1, "layer {}: epsilon {}",
                               layer.name, layer.epsilon);
                    layer.w_gamma = weight_index(layer.name, "gamma", c.value("scale", true));
                    layer.w_beta = weight_index(layer.name, "beta", c.value("center", true));
                    layer.w_mean = weight_index(layer.name, "moving_mean", true);
                    layer.w_var = weight_index(layer.name, "moving_variance", true);
                    break;
                }
                case Op::relu: {
                    const json& mv = c.value("max_value", json());
                    layer.max_value = mv.is_number() ? mv.get<double>() : -1;
                    layer.negative_slope = c.value("negative_slope", 0.0);
                    layer.threshold = c.value("threshold", 0.0);
                    break;
                }
                case Op::concatenate: {
                    const int axis = c.value("axis", -1);
                    QISS_CHECK(axis == -1 || axis == 3,
                               "layer {}: concatenation over axis {} (only channels)", layer.name,
                               axis);
                    break;
                }
                case Op::dense:
                    layer.w_kernel = weight_index(layer.name, "kernel", true);
                    layer.w_bias = weight_index(layer.name, "bias", c.value("use_bias", true));
                    break;
                default:
                    break;
            }
            for (std::size_t from : layer.inputs) {
                layers_[from].last_use = layers_.size();
                ++layers_[from].readers;
            }
            index_of.emplace(layer.name, layers_.size());
            layers_.push_back(std::move(layer));
        }
        QISS_CHECK(layers_.front().op == Op::input, "the first layer must be the input layer");
        QISS_CHECK(std::count_if(layers_.begin(), layers_.end(),
                                 [](const Layer& l) { return l.op == Op::input; }) == 1,
                   "the graph must have one input layer");

        const std::string feature = g.at("feature_layer").get<std::string>();
        const auto f = index_of.find(feature);
        QISS_CHECK(f != index_of.end(), "the feature layer {} is not a layer of the graph",
                   feature);
        feature_layer_ = f->second;
        pooling_ = g.value("pooling", std::string("gem"));
        QISS_CHECK(pooling_ == "gem" || pooling_ == "avg", "pooling {} (expected gem or avg)",
                   pooling_);
        gem_p_ = g.value("gem_p", 3.0f);
        QISS_CHECK(gem_p_ >= 1 && gem_p_ <= 16, "gem_p {} is outside 1..16", gem_p_);
        power_ = g.value("power", 1.0f);
        QISS_CHECK(power_ > 0 && power_ <= 1, "power {} is outside (0, 1]", power_);
        whiten_ = g.value("whiten", false);
    } catch (const json::exception& e) {
        QISS_THROW("invalid image graph: {}", e.what());
    }
    const int64_t features = g.value("features", int64_t{0});
    QISS_CHECK(features >= 1 && features <= 65536, "graph.features {} is outside 1..65536",
               features);
    QISS_CHECK(whiten_ || features == embed_dim_,
               "without whitening the embedding dimension ({}) must equal the features ({})",
               embed_dim_, features);
    QISS_CHECK(embed_dim_ <= features, "embedding dimension {} is more than the {} features",
               embed_dim_, features);
    whiten_mean_ = register_buffer("whiten_mean", torch::zeros({whiten_ ? features : 0}));
    whiten_proj_ = register_buffer(
        "whiten_proj", torch::zeros({whiten_ ? features : 0, whiten_ ? embed_dim_ : 0}));
}

KerasGraphImpl::~KerasGraphImpl() = default;

const torch::Tensor& KerasGraphImpl::weight(int index) const {
    QISS_ASSERT(index >= 0 && static_cast<std::size_t>(index) < weights_.size());
    return weights_[static_cast<std::size_t>(index)];
}

std::pair<torch::Tensor, torch::Tensor> KerasGraphImpl::scale_and_shift(const Layer& norm) const {
    torch::Tensor scale = torch::rsqrt(weight(norm.w_var) + norm.epsilon);
    if (norm.w_gamma >= 0) scale = scale * weight(norm.w_gamma);
    torch::Tensor shift = -weight(norm.w_mean) * scale;
    if (norm.w_beta >= 0) shift = shift + weight(norm.w_beta);
    return {scale, shift};
}

torch::Tensor KerasGraphImpl::apply(const Layer& l, const std::vector<torch::Tensor>& in,
                                    bool overwrite) const {
    const auto opt = [&](int w) { return w < 0 ? torch::Tensor() : weight(w); };
    switch (l.op) {
        case Op::input:
            return in[0];
        case Op::zero_padding:
            return F::pad(in[0], F::PadFuncOptions({l.pad[0], l.pad[1], l.pad[2], l.pad[3]}));
        case Op::conv:
        case Op::depthwise_conv: {
            std::vector<int64_t> padding{0, 0};
            torch::Tensor x = in[0];
            if (l.same) {
                if (auto both = symmetric_same(x, l.kernel, l.strides, l.dilation))
                    padding = *both;
                else
                    x = pad_same(x, l.kernel, l.strides, l.dilation, 0.0);
            }
            const int64_t groups = l.op == Op::depthwise_conv ? x.size(1) : 1;
            const std::vector<int64_t> strides{l.strides[0], l.strides[1]},
                dilation{l.dilation[0], l.dilation[1]};
            const bool folded = l.folded_kernel.defined();
            return activate_in_place(torch::conv2d(x, folded ? l.folded_kernel : weight(l.w_kernel),
                                                   folded ? l.folded_bias : opt(l.w_bias), strides,
                                                   padding, dilation, groups),
                                     l.activation);
        }
        case Op::batch_norm: {
            if (l.pass_through) return in[0];
            auto [scale, shift] = scale_and_shift(l);
            if (in[0].dim() == 4) {
                const int64_t c = scale.size(0);
                scale = scale.view({1, c, 1, 1});
                shift = shift.view({1, c, 1, 1});
            }
            if (overwrite) return in[0].mul_(scale).add_(shift);
            return in[0] * scale + shift;
        }
        case Op::relu: {
            const torch::Tensor& x = in[0];
            if (overwrite && l.threshold == 0 && l.negative_slope == 0)
                return l.max_value >= 0 ? x.clamp_(0.0, l.max_value) : x.relu_();
            const torch::Tensor y =
                l.threshold == 0 && l.negative_slope == 0
                    ? torch::relu(x)
                    : torch::where(x >= l.threshold, x, (x - l.threshold) * l.negative_slope);
            return l.max_value >= 0 ? torch::clamp_max(y, l.max_value) : y;
        }
        case Op::activation:
            return overwrite ? activate_in_place(in[0], l.activation)
                             : activate(in[0], l.activation);
        case Op::add: {
            torch::Tensor sum = overwrite || in.size() == 1 ? in[0] : in[0] + in[1];
            for (std::size_t i = overwrite || in.size() == 1 ? 1 : 2; i < in.size(); ++i)
                sum.add_(in[i]);
            return sum;
        }
        case Op::concatenate:
            return torch::cat(in, 1);
        case Op::average_pooling:
            return torch::avg_pool2d(in[0], {l.kernel[0], l.kernel[1]},
                                     {l.strides[0], l.strides[1]});
        case Op::max_pooling: {
            const torch::Tensor x = l.same ? pad_same(in[0], l.kernel, l.strides, {1, 1},
                                                      -std::numeric_limits<double>::infinity())
                                           : in[0];
            return torch::max_pool2d(x, {l.kernel[0], l.kernel[1]}, {l.strides[0], l.strides[1]});
        }
        case Op::global_average_pooling:
            return in[0].mean({2, 3});
        case Op::flatten:  // Keras flattens channels last
            return in[0].dim() == 4 ? in[0].permute({0, 2, 3, 1}).flatten(1) : in[0].flatten(1);
        case Op::dense:
            QISS_CHECK(in[0].dim() == 2, "layer {}: Dense on a {}-dimensional input", l.name,
                       in[0].dim());
            return activate_in_place(torch::linear(in[0], weight(l.w_kernel), opt(l.w_bias)),
                                     l.activation);
        case Op::dropout:
            return in[0];
    }
    QISS_ASSERT(false);
    return {};
}

torch::Tensor KerasGraphImpl::run(const torch::Tensor& pixels, std::size_t until, bool planned) {
    QISS_ASSERT(until < layers_.size());
    const std::vector<Layer>& layers = planned && !plan_.empty() ? plan_ : layers_;
    std::vector<torch::Tensor> out(layers.size());
    out[0] = pixels;
    for (std::size_t i = 1; i <= until; ++i) {
        const Layer& l = layers[i];
        std::vector<torch::Tensor> in;
        in.reserve(l.inputs.size());
        for (std::size_t from : l.inputs) in.push_back(out[from]);
        // The first input may be overwritten when no later layer reads it and no other tensor
        // holds its memory (out[] and `in` are the two references; the caller's pixels have a
        // third).
        const std::size_t first = l.inputs.empty() ? 0 : l.inputs[0];
        const bool overwrite = !l.inputs.empty() && layers[first].last_use == i && first != until &&
                               in[0].use_count() == 2 && in[0].storage().use_count() == 1;
        try {
            out[i] = apply(l, in, overwrite);
        } catch (const c10::Error& e) {
            QISS_THROW("layer {}: {}", l.name, e.what_without_backtrace());
        }
        // Free what no later layer reads (activations of a large batch are hundreds of MB).
        in.clear();
        for (std::size_t from : l.inputs)
            if (layers[from].last_use <= i && from != until) out[from] = torch::Tensor();
    }
    return out[until];
}

void KerasGraphImpl::prepare() {
    torch::NoGradGuard no_grad;
    plan_ = layers_;
    for (Layer& norm : plan_) {
        if (norm.op != Op::batch_norm || norm.inputs.size() != 1) continue;
        Layer& conv = plan_[norm.inputs[0]];
        if ((conv.op != Op::conv && conv.op != Op::depthwise_conv) || conv.activation != "linear" ||
            conv.readers != 1 || conv.folded_kernel.defined())
            continue;
        const torch::Tensor& kernel = weight(conv.w_kernel);
        const auto [scale, shift] = scale_and_shift(norm);
        if (scale.size(0) != kernel.size(0)) continue;
        conv.folded_kernel = (kernel * scale.view({-1, 1, 1, 1})).contiguous();
        conv.folded_bias =
            (conv.w_bias >= 0 ? weight(conv.w_bias) * scale + shift : shift).contiguous();
        norm.pass_through = true;
    }
}

torch::Tensor KerasGraphImpl::layer_output(const torch::Tensor& pixels, const std::string& name) {
    const auto it = std::find_if(layers_.begin(), layers_.end(),
                                 [&](const Layer& l) { return l.name == name; });
    QISS_CHECK(it != layers_.end(), "the graph has no layer {}", name);
    torch::NoGradGuard no_grad;
    return run(pixels, static_cast<std::size_t>(it - layers_.begin()), false);
}

torch::Tensor KerasGraphImpl::pooled_features(const torch::Tensor& pixels) {
    torch::NoGradGuard no_grad;
    torch::Tensor x = run(pixels, feature_layer_, true);
    if (x.dim() == 4) {
        x = pooling_ == "gem" ? x.clamp_min(1e-6).pow(gem_p_).mean({2, 3}).pow(1.0 / gem_p_)
                              : x.mean({2, 3});
    }
    QISS_CHECK(x.dim() == 2, "the feature layer gives {} dimensions", x.dim());
    if (power_ != 1.0f) x = torch::sign(x) * x.abs().pow(power_);
    return x;
}

torch::Tensor KerasGraphImpl::embed_images(const torch::Tensor& pixels) {
    torch::Tensor x = pooled_features(pixels);
    if (whiten_) x = torch::matmul(x - whiten_mean_, whiten_proj_);
    return F::normalize(x, F::NormalizeFuncOptions().dim(1));
}

torch::Tensor KerasGraphImpl::embed_texts(const TokenBatch&) {
    QISS_THROW("an image graph has no text branch");
}

void KerasGraphImpl::set_weights(const std::map<std::string, torch::Tensor>& weights) {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < weight_names_.size(); ++i) {
        const auto it = weights.find(weight_names_[i]);
        QISS_CHECK(it != weights.end(), "no weight {}", weight_names_[i]);
        QISS_CHECK(it->second.sizes().vec() == weight_shapes_[i],
                   "weight {} has shape {}, declared {}", weight_names_[i],
                   fmt::join(it->second.sizes().vec(), "x"), fmt::join(weight_shapes_[i], "x"));
        weights_[i].copy_(it->second);
    }
    prepare();
}

void KerasGraphImpl::set_whitening(const torch::Tensor& mean, const torch::Tensor& projection) {
    QISS_CHECK(whiten_, "the graph was configured without whitening");
    QISS_CHECK(mean.sizes() == whiten_mean_.sizes() && projection.sizes() == whiten_proj_.sizes(),
               "whitening of shape {} / {}, expected {} / {}", fmt::join(mean.sizes().vec(), "x"),
               fmt::join(projection.sizes().vec(), "x"), fmt::join(whiten_mean_.sizes().vec(), "x"),
               fmt::join(whiten_proj_.sizes().vec(), "x"));
    torch::NoGradGuard no_grad;
    whiten_mean_.copy_(mean);
    whiten_proj_.copy_(projection);
}

void KerasGraphImpl::check_loaded() {
    // Loading replaces a buffer with the archive's tensor whatever its shape: check them all.
    const auto buffers = named_buffers(false);
    for (const auto& item : buffers) {
        const std::string& name = item.key();
        const torch::Tensor& buffer = item.value();
        if (name == "whiten_mean" || name == "whiten_proj") continue;
        const std::size_t i = std::stoul(name.substr(1));
        QISS_CHECK(i < weight_shapes_.size() && buffer.sizes().vec() == weight_shapes_[i] &&
                       buffer.scalar_type() == torch::kFloat32,
                   "weight {} does not have its declared shape {}",
                   i < weight_names_.size() ? weight_names_[i] : name,
                   i < weight_shapes_.size() ? fmt::format("{}", fmt::join(weight_shapes_[i], "x"))
                                             : std::string("?"));
        weights_[i] = buffer;
    }
    whiten_mean_ = buffers["whiten_mean"];
    whiten_proj_ = buffers["whiten_proj"];
    prepare();
    // One image through the whole head: connections and shapes fit, and the dimension is the
    // configuration's.
    const torch::Tensor probe = torch::zeros({1, 3, input_size_, input_size_});
    torch::Tensor v;
    try {
        torch::NoGradGuard no_grad;
        v = embed_images(probe);
    } catch (const c10::Error& e) {
        QISS_THROW("the image graph does not run: {}", e.what_without_backtrace());
    }
    QISS_CHECK(v.dim() == 2 && v.size(1) == embed_dim_,
               "the image graph embeds in {} dimensions, its configuration says {}", v.size(-1),
               embed_dim_);
}

}  // namespace qiss
