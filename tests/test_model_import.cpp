// Model kinds and `qiss model import --tfjs` (issue 14): a Keras layer graph run with libtorch
// gives what TF.js gives for nsfwjs's MobileNetV2; the imported image-only model indexes and
// searches by image, and refuses text with a clear error; bad graphs and damaged files are
// clear errors.
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "image/image_io.h"
#include "model/keras/keras_graph.h"
#include "model/keras/tfjs_model.h"
#include "model/model.h"
#include "model/model_file.h"
#include "model/model_kind.h"
#include "server_fixture.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;
using nlohmann::json;

namespace {

/// Runs a shell command; its exit code and output.
/// nsfwjs's MobileNetV2 written out as model.json + weight file in `dir`.
fs::path unwrapped_mobilenet(const fs::path& dir) {
    const fs::path out = dir / "mobilenet_v2";
    const auto r = test::run_command(
        "node " + (test::source_dir() / "scripts/tfjs_unwrap.cjs").string() + " " +
        (test::source_dir() / "node_modules/nsfwjs/dist/models/mobilenet_v2").string() + " " +
        out.string() + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
}

std::vector<float> read_floats(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<float> v(fs::file_size(p) / sizeof(float));
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
    return v;
}

/// A layer of a hand-written Keras graph.
json layer(const std::string& name, const std::string& cls, json config,
           std::vector<std::string> inputs) {
    json nodes = json::array();
    if (!inputs.empty()) {
        json node = json::array();
        for (const auto& in : inputs) node.push_back({in, 0, 0, json::object()});
        nodes.push_back(node);
    }
    config["name"] = name;
    return {{"name", name}, {"class_name", cls}, {"config", config}, {"inbound_nodes", nodes}};
}

/// A small graph of every kind of layer MobileNets use, 12 px input.
json small_layers() {
    return json::array({
        layer("in", "InputLayer", {{"batch_input_shape", {nullptr, 12, 12, 3}}}, {}),
        layer("pad", "ZeroPadding2D", {{"padding", {{0, 1}, {0, 1}}}}, {"in"}),
        layer("conv", "Conv2D",
              {{"filters", 4},
               {"kernel_size", {3, 3}},
               {"strides", {2, 2}},
               {"padding", "valid"},
               {"use_bias", true},
               {"activation", "linear"}},
              {"pad"}),
        layer("bn", "BatchNormalization", {{"axis", -1}, {"epsilon", 0.001}}, {"conv"}),
        layer("dw", "DepthwiseConv2D",
              {{"kernel_size", {3, 3}},
               {"strides", {1, 1}},
               {"padding", "same"},
               {"use_bias", false},
               {"depth_multiplier", 1}},
              {"bn"}),
        layer("relu6", "ReLU", {{"max_value", 6}}, {"dw"}),
        layer("add", "Add", json::object(), {"bn", "relu6"}),
        layer("gap", "GlobalAveragePooling2D", json::object(), {"add"}),
        layer("dense", "Dense", {{"units", 5}, {"activation", "softmax"}, {"use_bias", true}},
              {"gap"}),
    });
}

std::map<std::string, torch::Tensor> small_keras_weights() {
    torch::manual_seed(3);
    return {{"conv/kernel", torch::randn({3, 3, 3, 4})},
            {"conv/bias", torch::randn({4})},
            {"bn/gamma", torch::rand({4}) + 0.5},
            {"bn/beta", torch::randn({4})},
            {"bn/moving_mean", torch::randn({4})},
            {"bn/moving_variance", torch::rand({4}) + 0.5},
            {"dw/depthwise_kernel", torch::randn({3, 3, 4, 1})},
            {"dense/kernel", torch::randn({4, 5})},
            {"dense/bias", torch::randn({5})}};
}

ModelConfig small_config(const std::map<std::string, torch::Tensor>& torch_weights) {
    ModelConfig c;
    c.kind = "image_graph";
    c.embed_dim = 4;
    c.preprocess.size = 12;
    c.preprocess.resize = "stretch";
    json shapes = json::object();
    for (const auto& [name, w] : torch_weights) shapes[name] = w.sizes().vec();
    c.graph = {{"layers", small_layers()}, {"weights", shapes}, {"feature_layer", "add"},
               {"pooling", "avg"},         {"features", 4},     {"whiten", false}};
    return c;
}

}  // namespace

TEST(ModelKinds, RegistryNamesEveryKindAndRefusesUnknownOnes) {
    EXPECT_TRUE(model_kind("dual").has_text);
    EXPECT_TRUE(model_kind("dual").trainable);
    EXPECT_FALSE(model_kind("image_graph").has_text);
    const std::string msg = test::error_of([] { model_kind("clip"); });
    EXPECT_NE(msg.find("unknown model kind 'clip'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dual, image_graph"), std::string::npos) << msg;
    // A model file of a kind this qiss does not know is a clear error, not a crash.
    ModelConfig c;
    c.kind = "clip";
    EXPECT_NE(test::error_of([&] { Model(c, std::nullopt); }).find("unknown model kind"),
              std::string::npos);
}

TEST(KerasGraph, EveryLayerComputesWhatKerasDefines) {
    const auto keras = small_keras_weights();
    const auto weights = keras_weights_to_torch(small_layers(), keras);
    KerasGraphImpl graph(small_config(weights));
    graph.set_weights(weights);
    torch::manual_seed(4);
    const torch::Tensor x = torch::rand({2, 3, 12, 12});

    // The same layers written directly from Keras's definitions, channels last.
    namespace F = torch::nn::functional;
    torch::Tensor h = x.permute({0, 2, 3, 1});             // NHWC
    h = F::pad(h, F::PadFuncOptions({0, 0, 0, 1, 0, 1}));  // bottom and right
    torch::Tensor conv = torch::zeros({2, 6, 6, 4});       // 13 -> 6 with k3 s2
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j)
            conv.select(1, i).select(1, j).copy_(
                torch::einsum("nabc,abco->no",
                              {h.slice(1, 2 * i, 2 * i + 3).slice(2, 2 * j, 2 * j + 3),
                               keras.at("conv/kernel")}) +
                keras.at("conv/bias"));
    const torch::Tensor bn = (conv - keras.at("bn/moving_mean")) /
                                 torch::sqrt(keras.at("bn/moving_variance") + 0.001) *
                                 keras.at("bn/gamma") +
                             keras.at("bn/beta");
    const torch::Tensor padded = F::pad(bn, F::PadFuncOptions({0, 0, 1, 1, 1, 1}));
    torch::Tensor dw = torch::zeros_like(bn);
    const torch::Tensor dk = keras.at("dw/depthwise_kernel").select(3, 0);  // [3,3,C]
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j)
            dw.select(1, i).select(1, j).copy_(
                (padded.slice(1, i, i + 3).slice(2, j, j + 3) * dk).sum({1, 2}));
    const torch::Tensor add = bn + torch::clamp(dw, 0, 6);
    const torch::Tensor dense = torch::softmax(
        torch::matmul(add.mean({1, 2}), keras.at("dense/kernel")) + keras.at("dense/bias"), 1);

    EXPECT_TRUE(
        torch::allclose(graph.layer_output(x, "add"), add.permute({0, 3, 1, 2}), 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(graph.layer_output(x, "dense"), dense, 1e-4, 1e-6));
    // The embedding: the feature layer, mean-pooled, L2-normalised.
    const torch::Tensor pooled = add.mean({1, 2});
    EXPECT_TRUE(
        torch::allclose(graph.embed_images(x), pooled / pooled.norm(2, 1, true), 1e-4, 1e-6));
}

TEST(KerasGraph, UnsupportedOrBrokenGraphsAreClearErrors) {
    const auto weights = keras_weights_to_torch(small_layers(), small_keras_weights());
    const auto error_for = [&](const std::function<void(ModelConfig&)>& edit) {
        ModelConfig c = small_config(weights);
        edit(c);
        return test::error_of([&] { KerasGraphImpl g(c); });
    };
    std::string msg = error_for(
        [](ModelConfig& c) { c.graph["layers"][3]["class_name"] = "LayerNormalization"; });
    EXPECT_NE(msg.find("layer bn: Keras layer class LayerNormalization is not supported"),
              std::string::npos)
        << msg;
    msg = error_for([](ModelConfig& c) { c.graph["layers"][2]["inbound_nodes"][0][0][0] = "dw"; });
    EXPECT_NE(msg.find("its input dw is not an earlier layer"), std::string::npos) << msg;
    msg = error_for([](ModelConfig& c) { c.graph["feature_layer"] = "nowhere"; });
    EXPECT_NE(msg.find("feature layer nowhere"), std::string::npos) << msg;
    msg = error_for([](ModelConfig& c) { c.graph["weights"].erase("conv/kernel"); });
    EXPECT_NE(msg.find("no weight conv/kernel"), std::string::npos) << msg;
    msg = error_for([](ModelConfig& c) { c.graph["layers"][2]["config"]["strides"] = {0, 2}; });
    EXPECT_NE(msg.find("strides 0"), std::string::npos) << msg;
    // A weight of another shape than declared.
    KerasGraphImpl g(small_config(weights));
    auto wrong = weights;
    wrong["conv/bias"] = torch::zeros({5});
    msg = test::error_of([&] { g.set_weights(wrong); });
    EXPECT_NE(msg.find("weight conv/bias has shape 5, declared 4"), std::string::npos) << msg;
    // A weight that belongs to no layer.
    auto extra = small_keras_weights();
    extra["ghost/kernel"] = torch::zeros({1});
    msg = test::error_of([&] { keras_weights_to_torch(small_layers(), extra); });
    EXPECT_NE(msg.find("ghost/kernel belongs to no layer"), std::string::npos) << msg;
}

TEST(KerasGraph, ModelFileRoundTripsAndDamagedWeightsAreRefused) {
    const auto weights = keras_weights_to_torch(small_layers(), small_keras_weights());
    Model m(small_config(weights), std::nullopt);
    dynamic_cast<KerasGraphImpl&>(m.network()).set_weights(weights);
    EXPECT_FALSE(m.has_text());
    const std::string bytes = m.to_bytes();
    Model back = Model::from_bytes(bytes, "small.qiss");
    EXPECT_EQ(back.kind().name, std::string("image_graph"));
    const cv::Mat img(20, 30, CV_8UC3, cv::Scalar(200, 30, 90));
    EXPECT_TRUE(torch::allclose(back.embed_images({img}), m.embed_images({img})));
    const std::string msg = test::error_of([&] { back.embed_texts({"cat"}); });
    EXPECT_NE(msg.find("embeds images only"), std::string::npos) << msg;
    EXPECT_NE(test::error_of([&] { back.net(); }).find("cannot be trained"), std::string::npos);

    // Weights of another shape inside a well-formed file (a valid CRC): found when it is read.
    ModelConfig other = small_config(weights);
    other.graph["layers"][8]["config"]["units"] = 7;
    other.graph["weights"]["dense/bias"] = {7};
    other.graph["weights"]["dense/kernel"] = {7, 4};
    Model wide(other, std::nullopt);
    ModelFileContents mixed = decode_model_file(bytes, "small.qiss");
    mixed.weights = decode_model_file(wide.to_bytes(), "wide.qiss").weights;
    const std::string swapped =
        test::error_of([&] { Model::from_bytes(encode_model_file(mixed), "mixed.qiss"); });
    EXPECT_NE(swapped.find("mixed.qiss: weight dense/"), std::string::npos) << swapped;
    EXPECT_NE(swapped.find("does not have its declared shape"), std::string::npos) << swapped;
}

TEST(TfjsImport, MobileNetV2MatchesTfjsOwnOutput) {
    test::TempDir dir("tfjs-golden");
    const fs::path tfjs = unwrapped_mobilenet(dir.path());
    const auto imported = test::run_qiss("model import --tfjs " + tfjs.string() + " --out " +
                                         (dir / "m.qiss").string());
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    Model m = Model::load(dir / "m.qiss");
    EXPECT_EQ(m.config().preprocess.size, 224);
    EXPECT_EQ(m.dim(), 1280) << "out_relu's channels, no whitening";
    // Three images through the same preprocessing, then through both implementations.
    std::vector<cv::Mat> images;
    const std::vector<fs::path> emoji = test::emoji_files();
    for (std::size_t i = 0; i < 2; ++i) images.push_back(read_image(emoji[i * 100]).rgb);
    cv::Mat noise(100, 160, CV_8UC3);
    cv::randu(noise, 0, 255);
    images.push_back(noise);
    const torch::Tensor x = m.preprocess(images);
    const torch::Tensor nhwc = x.permute({0, 2, 3, 1}).contiguous();
    {
        std::ofstream out(dir / "input.f32", std::ios::binary);
        out.write(reinterpret_cast<const char*>(nhwc.data_ptr<float>()),
                  static_cast<std::streamsize>(nhwc.numel() * 4));
    }
    const auto golden =
        test::run_command("node " + (test::source_dir() / "tests/node/tfjs_golden.cjs").string() +
                          " " + tfjs.string() + " " + (dir / "input.f32").string() + " 3 " +
                          (dir / "tfjs").string() + " out_relu dense_3 2>&1");
    ASSERT_EQ(golden.exit_code, 0) << golden.output;
    auto& graph = dynamic_cast<KerasGraphImpl&>(m.network());
    for (const std::string layer_name : {"out_relu", "dense_3"}) {
        torch::Tensor ours = graph.layer_output(x, layer_name);
        if (ours.dim() == 4) ours = ours.permute({0, 2, 3, 1}).contiguous();
        const std::vector<float> theirs = read_floats(dir / ("tfjs." + layer_name + ".f32"));
        ASSERT_EQ(static_cast<std::size_t>(ours.numel()), theirs.size()) << layer_name;
        const torch::Tensor t =
            torch::from_blob(const_cast<float*>(theirs.data()), {ours.numel()}, torch::kFloat32);
        const float diff = (ours.flatten() - t).abs().max().item<float>();
        EXPECT_LE(diff, 1e-3f) << layer_name << ": largest difference from TF.js";
        EXPECT_GT(t.abs().max().item<float>(), 0.1f) << layer_name << " is not all zeros";
    }
    // The embedding runs the inference plan (batch normalizations folded into their
    // convolutions, activations computed in place), not layer_output's layers as imported:
    // it must equal TF.js's out_relu under the model's head (GeM p = 3, square root, L2).
    const std::vector<float> theirs = read_floats(dir / "tfjs.out_relu.f32");
    ASSERT_EQ(theirs.size(), std::size_t{3 * 7 * 7 * 1280});
    torch::Tensor t =
        torch::from_blob(const_cast<float*>(theirs.data()), {3, 7, 7, 1280}, torch::kFloat32);
    t = t.clamp_min(1e-6).pow(3).mean({1, 2}).pow(1.0 / 3);
    t = torch::sign(t) * t.abs().sqrt();
    t = t / t.norm(2, 1, true);
    const float diff = (m.embed_images(images) - t).abs().max().item<float>();
    EXPECT_LE(diff, 1e-3f) << "embedding against TF.js's out_relu, pooled";
}

TEST(TfjsImport, ImageOnlyModelIndexesSearchesByImageAndRefusesText) {
    test::TempDir dir("tfjs-index");
    const fs::path tfjs = unwrapped_mobilenet(dir.path());
    const auto images = test::copy_emoji(dir / "in", 24);
    const auto imported = test::run_qiss("model import --tfjs " + tfjs.string() + " --out " +
                                         (dir / "photo.qiss").string() + " --whiten-on " +
                                         (dir / "in").string() + " --dim 8");
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    const auto info = test::run_qiss("model info " + (dir / "photo.qiss").string(), false);
    ASSERT_EQ(info.exit_code, 0) << info.output;
    const json j = json::parse(info.output);
    EXPECT_EQ(j["kind"], "image_graph");
    EXPECT_EQ(j["dim"], 8);
    EXPECT_EQ(j["has_text"], false);
    EXPECT_EQ(j["preprocess"]["resize"], "stretch");

    const std::string data = (dir / "data").string();
    const auto indexed =
        test::run_qiss("index --data " + data + " --model " + (dir / "photo.qiss").string() + " " +
                       (dir / "in").string());
    ASSERT_EQ(indexed.exit_code, 0) << indexed.output;
    const auto by_image = test::run_qiss(
        "search --json --data " + data + " --image " + images[7].string() + " -k 3", false);
    ASSERT_EQ(by_image.exit_code, 0) << by_image.output;
    const json answer = json::parse(by_image.output);
    EXPECT_EQ(fs::path(answer["results"][0]["source"].get<std::string>()).filename(),
              images[7].filename());
    EXPECT_GT(answer["results"][0]["score"].get<double>(), 0.99);

    const auto by_text = test::run_qiss("search --data " + data + " --text cat");
    EXPECT_EQ(by_text.exit_code, 1) << by_text.output;
    EXPECT_NE(by_text.output.find("embeds images only"), std::string::npos) << by_text.output;
    EXPECT_NE(by_text.output.find("model.qiss (kind image_graph)"), std::string::npos)
        << by_text.output;

    // Over HTTP: a text query is a 400 that names the model; similar images are answered.
    {
        test::ServeProcess serve(dir / "data", dir.path());
        ASSERT_GT(serve.wait_port(), 0) << serve.output();
        auto cli = serve.client();
        test::expect_error(cli.Get("/api/search?q=cat"), 400, "embeds images only");
        const auto similar = cli.Get(
            "/api/images/" + std::to_string(answer["results"][0]["id"].get<std::uint64_t>()) +
            "/similar?k=2");
        ASSERT_TRUE(similar);
        EXPECT_EQ(similar->status, 200) << similar->body;
    }

    // Whitening to more dimensions than there are images is refused, with the counts.
    const auto too_few = test::run_qiss("model import --tfjs " + tfjs.string() + " --out " +
                                        (dir / "x.qiss").string() + " --whiten-on " +
                                        (dir / "in").string() + " --dim 64");
    EXPECT_EQ(too_few.exit_code, 1);
    EXPECT_NE(too_few.output.find("needs more than 64 readable images; got 24"), std::string::npos)
        << too_few.output;
}

TEST(TfjsImport, DamagedOrMissingFilesAreClearErrors) {
    test::TempDir dir("tfjs-damaged");
    const fs::path tfjs = unwrapped_mobilenet(dir.path());
    // nsfwjs's own folder holds .min.js modules, not model.json: the message says what to run.
    auto r = test::run_qiss(
        "model import --tfjs " +
        (test::source_dir() / "node_modules/nsfwjs/dist/models/mobilenet_v2").string() + " --out " +
        (dir / "m.qiss").string());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("tfjs_unwrap.cjs"), std::string::npos) << r.output;
    // A weight file cut short.
    const fs::path shard = tfjs / "group1-shard1of1";
    fs::resize_file(shard, fs::file_size(shard) - 100);
    EXPECT_NE(test::error_of([&] { read_tfjs_model(tfjs); }).find("needs"), std::string::npos);
    r = test::run_qiss("model import --tfjs " + tfjs.string() + " --out " +
                       (dir / "m.qiss").string());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_FALSE(fs::exists(dir / "m.qiss"));
    // A manifest naming a file outside the folder.
    json j = json::parse(std::ifstream(tfjs / "model.json"));
    j["weightsManifest"][0]["paths"][0] = "../../etc/passwd";
    std::ofstream(tfjs / "model.json") << j.dump();
    EXPECT_NE(test::error_of([&] { read_tfjs_model(tfjs); }).find("not a plain file name"),
              std::string::npos);
}
