// Identity anchors (model/anchors.h): the projection, its int8 storage in the model file, and
// `qiss model anchors` with the real binary and the tests' tiny model.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "common/error.h"
#include "model/anchors.h"
#include "model/model.h"
#include "model/model_file.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

torch::Tensor unit_rows(const torch::Tensor& x) {
    return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

fs::path tiny_model_path() {
    return fs::path(QISS_TEST_DATA) / "tiny.qiss";
}

/// Writes an optimizer archive holding `proxies`, as a training checkpoint's optim-N.pt does.
void write_proxies(const fs::path& file, const torch::Tensor& proxies) {
    torch::serialize::OutputArchive archive;
    archive.write("proxies", proxies);
    archive.save_to(file.string());
}

std::vector<cv::Mat> test_images() {
    return {cv::Mat(40, 30, CV_8UC3, cv::Scalar(10, 200, 30)),
            cv::Mat(64, 64, CV_8UC3, cv::Scalar(250, 20, 90)),
            cv::Mat(50, 70, CV_8UC3, cv::Scalar(120, 120, 240))};
}

}  // namespace

TEST(Anchors, ProjectionPullsTowardsTheNearestAnchorAndKeepsUnitLength) {
    // Anchors: the first three axes of a 4-dimensional space. e lies nearest the first.
    const auto anchors = torch::eye(4).slice(0, 0, 3);
    const auto e = unit_rows(torch::tensor({{0.8f, 0.1f, 0.0f, 0.6f}}));
    for (float weight : {0.5f, 1.0f, 4.0f}) {
        auto v = anchor_project(e, anchors, 0.02f, weight);
        EXPECT_NEAR(v.norm().item<float>(), 1.0f, 1e-5);
        // At a low temperature the attention is all on the first axis: v = normalize(e + w x1).
        auto expected = unit_rows(e + weight * torch::tensor({{1.0f, 0.0f, 0.0f, 0.0f}}));
        EXPECT_TRUE(torch::allclose(v, expected, 1e-4, 1e-5)) << v << expected;
        EXPECT_GT(v[0][0].item<float>(), e[0][0].item<float>());
    }
    // At a high temperature it spreads over the three anchors alike.
    auto spread = anchor_project(e, anchors, 100.0f, 1.0f);
    auto mean = unit_rows(e + unit_rows(torch::tensor({{1.0f, 1.0f, 1.0f, 0.0f}})));
    EXPECT_TRUE(torch::allclose(spread, mean, 1e-2, 1e-3)) << spread << mean;
}

TEST(Anchors, Int8RowsKeepEachRowWithinHalfItsStep) {
    torch::manual_seed(3);
    auto x = torch::randn({20, 16}) * torch::linspace(0.01, 5, 20).unsqueeze(1);
    QuantizedRows q = quantize_rows(x);
    EXPECT_EQ(q.codes.scalar_type(), torch::kInt8);
    auto back = dequantize_rows(q.codes, q.scales);
    auto error = (back - x).abs().amax(1);
    EXPECT_TRUE((error <= q.scales * 0.5001).all().item<bool>()) << error << q.scales;
}

TEST(ModelFile, IdentityAnchorsAreStoredAsInt8AndMoveOnlyImages) {
    Model plain = Model::load(tiny_model_path());
    ASSERT_EQ(plain.config().anchor_count, 0);
    ASSERT_TRUE(plain.calibration());
    Model m = Model::load(tiny_model_path());
    const int64_t k = 64, d = m.dim();
    torch::manual_seed(5);
    m.set_anchors(torch::randn({k, d}), 0.02f, 1.0f);
    EXPECT_EQ(m.config().anchor_count, k);
    EXPECT_FALSE(m.calibration()) << "anchors move image embeddings: the calibration is stale";

    const std::string before = plain.to_bytes(), after = m.to_bytes();
    // int8 rows and a float scale each, not float32 (k * d * 4 bytes).
    EXPECT_GT(after.size(), before.size() + static_cast<std::size_t>(k * d));
    EXPECT_LT(after.size(), before.size() + static_cast<std::size_t>(k * d * 2));
    Model back = Model::from_bytes(after, "anchored.qiss");
    EXPECT_EQ(back.config().anchor_count, k);

    const auto images = test_images();
    const std::vector<std::string> texts{"un chat qui dort", "Katze"};
    auto raw = plain.embed_images(images);
    auto anchored = m.embed_images(images);
    // The network in memory embeds as the file it writes does.
    EXPECT_TRUE(torch::equal(anchored, back.embed_images(images)));
    EXPECT_GT((anchored - raw).abs().max().item<float>(), 1e-3);
    EXPECT_TRUE(torch::allclose(anchored.norm(2, 1), torch::ones({3}), 1e-4, 1e-5));
    EXPECT_TRUE(torch::equal(back.embed_texts(texts), plain.embed_texts(texts)));
    EXPECT_EQ(back.to_bytes(), after);

    EXPECT_THROW(m.set_anchors(torch::randn({k, d + 1}), 0.02f, 1.0f), Error);
    EXPECT_THROW(m.set_anchors(torch::randn({k, d}), 0.0f, 1.0f), Error);
}

TEST(ModelFile, DamagedIdentityAnchorsAreRefusedByName) {
    Model m = Model::load(tiny_model_path());
    torch::manual_seed(6);
    m.set_anchors(torch::randn({8, m.dim()}), 0.02f, 1.0f);
    const ModelFileContents good = decode_model_file(m.to_bytes(), "a.qiss");
    // A count that no file can hold is refused before anything is allocated; one that the
    // weights do not hold names the tensor; a negative weight or temperature is refused.
    for (auto [key, value, message] : std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
             {"anchors", 1 << 30, "model/image/anchors"},
             {"anchors", -1, "model/image/anchors"},
             {"anchors", 9, "anchor_codes"},
             {"anchor_weight", -1.0, "model/image/anchor_weight"},
             {"anchor_temperature", 0.0, "model/image/anchor_temperature"}}) {
        ModelFileContents c = good;
        c.header["config"]["image"][key] = value;
        const std::string msg =
            test::error_of([&] { Model::from_bytes(encode_model_file(c), "a.qiss"); });
        EXPECT_NE(msg.find("a.qiss"), std::string::npos) << key << ": " << msg;
        EXPECT_NE(msg.find(message), std::string::npos) << key << ": " << msg;
    }
    // Rows that are not unit vectors (all codes 0) are refused once read.
    Model zero = Model::load(tiny_model_path());
    zero.set_anchors(torch::randn({8, m.dim()}), 0.02f, 1.0f);
    for (auto& b : zero.net()->named_buffers())
        if (b.key().find("anchor_codes") != std::string::npos) b.value().zero_();
    const std::string msg = test::error_of([&] { Model::from_bytes(zero.to_bytes(), "z.qiss"); });
    EXPECT_NE(msg.find("not unit vectors"), std::string::npos) << msg;
}

TEST(ModelCli, AnchorsAttachACheckpointsProxies) {
    test::TempDir dir("model-anchors");
    const Model tiny = Model::load(tiny_model_path());
    const int64_t k = 40;
    write_proxies(dir / "optim-3.pt", torch::randn({k, tiny.dim()}));
    std::ofstream(dir / "state.json") << R"({"epoch": 3, "elapsed_s": 1.0, "signature": {}})";
    const auto out = dir / "anchored.qiss";
    // From the optim file, and from the checkpoint folder (its last epoch's file).
    for (const fs::path& checkpoint : {dir / "optim-3.pt", dir.path()}) {
        fs::remove(out);
        auto r = test::run_qiss("model anchors " + tiny_model_path().string() + " --checkpoint " +
                                checkpoint.string() + " --out " + out.string());
        ASSERT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(r.output.find("qiss calibrate"), std::string::npos) << r.output;
        auto info = test::run_qiss("model info " + out.string(), /*with_stderr=*/false);
        ASSERT_EQ(info.exit_code, 0) << info.output;
        EXPECT_EQ(nlohmann::json::parse(info.output).at("identity_anchors"), k) << info.output;
    }
    // Proxies of another dimension, a file that is no archive, a missing checkpoint.
    write_proxies(dir / "wide.pt", torch::randn({k, tiny.dim() + 1}));
    std::ofstream(dir / "junk.pt") << "not an archive";
    for (auto [checkpoint, message] : std::vector<std::pair<fs::path, std::string>>{
             {dir / "wide.pt", "dimensions"},
             {dir / "junk.pt", "not a training checkpoint"},
             {dir / "missing", "no such checkpoint"}}) {
        fs::remove(dir / "x.qiss");
        auto r = test::run_qiss("model anchors " + tiny_model_path().string() + " --checkpoint " +
                                checkpoint.string() + " --out " + (dir / "x.qiss").string());
        EXPECT_EQ(r.exit_code, 1) << checkpoint;
        EXPECT_NE(r.output.find(message), std::string::npos) << checkpoint << ": " << r.output;
        EXPECT_FALSE(fs::exists(dir / "x.qiss"));
    }
}
