// Kind "torchscript" and `qiss model import --torchscript` (issue 14, item 3): tiny TorchScript
// encoders built here with libtorch's own compiler are imported, index images and answer text
// and image queries, and the ranking is the one a direct libtorch computation gives; CLIP's BPE
// and SentencePiece ids are laid out as the export describes; bad exports are clear errors.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/script.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "model/inference_model.h"
#include "model/torchscript/import_torchscript.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;
using nlohmann::json;

namespace {

constexpr int kSize = 16, kDim = 8;
// CLIP-style merges (test_clip_bpe.cpp): "hello" is 515, "world" 519, start 520, end 521.
constexpr const char* kMerges =
    "#version: 0.2\nh e\nl l\nhe ll\nhell o</w>\nw o\nwo r\nwor l\nworl d</w>\n";
const std::array<float, 3> kMean{0.4f, 0.5f, 0.6f}, kStd{0.2f, 0.25f, 0.3f};

/// Pixels [N,3,16,16] -> [N,kDim]: 4x4 mean pooling, then a seeded random projection.
torch::jit::Module image_encoder(int dim = kDim) {
    torch::manual_seed(7);
    torch::jit::Module m("ImageEncoder");
    m.register_parameter("w", torch::randn({3 * 16, dim}), false);
    m.define(R"(
def forward(self, x):
    pooled = x.reshape([x.size(0), 3, 4, 4, 4, 4]).mean([3, 5]).flatten(1)
    return torch.tanh(pooled @ self.w)
)");
    return m;
}

/// Ids, mask [N,T] -> [N,kDim]: the masked mean of seeded random token embeddings.
torch::jit::Module text_encoder(int vocab) {
    torch::manual_seed(8);
    torch::jit::Module m("TextEncoder");
    m.register_parameter("emb", torch::randn({vocab, kDim}), false);
    m.define(R"(
def forward(self, ids, mask):
    e = torch.embedding(self.emb, ids)
    m = mask.unsqueeze(2).float()
    return (e * m).sum(1) / m.sum(1)
)");
    return m;
}

void write(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

/// An export folder as scripts/export_torchscript.py writes it.
fs::path write_export(const fs::path& dir, const json& description, const std::string& tokenizer,
                      int vocab) {
    fs::create_directories(dir);
    image_encoder().save((dir / "image_encoder.pt").string());
    text_encoder(vocab).save((dir / "text_encoder.pt").string());
    write(dir / description.at("tokenizer_file").get<std::string>(), tokenizer);
    write(dir / "qiss.json", description.dump(2));
    return dir;
}

json clip_description() {
    return {{"embed_dim", kDim},   {"image_size", kSize},     {"mean", kMean},
            {"std", kStd},         {"tokenizer", "clip_bpe"}, {"tokenizer_file", "merges.txt"},
            {"context_length", 8}, {"bpe_merges", 0}};
}

/// `n` random 16 px PNGs (no resize or crop applies to them).
std::vector<fs::path> random_pngs(const fs::path& dir, int n) {
    fs::create_directories(dir);
    cv::RNG rng(3);
    std::vector<fs::path> files;
    for (int i = 0; i < n; ++i) {
        cv::Mat bgr(kSize, kSize, CV_8UC3);
        rng.fill(bgr, cv::RNG::UNIFORM, 0, 256);
        files.push_back(dir / ("img" + std::to_string(i) + ".png"));
        cv::imwrite(files.back().string(), bgr);
    }
    return files;
}

torch::Tensor unit(const torch::Tensor& v) {
    return torch::nn::functional::normalize(v,
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
}

/// The image's embedding computed directly: pixels / 255, (x - mean) / std, the module, L2.
torch::Tensor direct_image(torch::jit::Module& m, const fs::path& png) {
    cv::Mat rgb;
    cv::cvtColor(cv::imread(png.string(), cv::IMREAD_COLOR), rgb, cv::COLOR_BGR2RGB);
    auto x = torch::from_blob(rgb.data, {kSize, kSize, 3}, torch::kUInt8)
                 .permute({2, 0, 1})
                 .to(torch::kFloat32)
                 .div(255);
    for (int c = 0; c < 3; ++c) x[c] = (x[c] - kMean[c]) / kStd[c];
    return unit(m.forward({x.unsqueeze(0)}).toTensor());
}

/// The text embedding of the given ids, padded with `pad` to `context`.
torch::Tensor direct_text(torch::jit::Module& m, const std::vector<int64_t>& ids, int context,
                          int64_t pad) {
    auto t = torch::full({1, context}, pad, torch::kInt64);
    auto mask = torch::zeros({1, context}, torch::kInt64);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        t[0][static_cast<int64_t>(i)] = ids[i];
        mask[0][static_cast<int64_t>(i)] = 1;
    }
    return unit(m.forward({t, mask}).toTensor());
}

TEST(TorchScriptImport, ClipModelIndexesAndRanksAsADirectLibtorchComputation) {
    test::TempDir dir("ts-clip");
    const auto images = random_pngs(dir / "in", 12);
    const fs::path exp = write_export(dir / "export", clip_description(), kMerges, 522);
    const std::string model = (dir / "clip.qiss").string();
    const auto imported =
        test::run_qiss("model import --torchscript " + exp.string() + " --out " + model);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    const auto info = test::run_qiss("model info " + model, false);
    ASSERT_EQ(info.exit_code, 0) << info.output;
    const json j = json::parse(info.output);
    EXPECT_EQ(j["kind"], "torchscript");
    EXPECT_EQ(j["dim"], kDim);
    EXPECT_EQ(j["has_text"], true);
    EXPECT_EQ(j["preprocess"]["resize"], "center_crop");

    const std::string data = (dir / "data").string();
    const auto indexed =
        test::run_qiss("index --data " + data + " --model " + model + " " + (dir / "in").string());
    ASSERT_EQ(indexed.exit_code, 0) << indexed.output;

    // Direct: "Hello, world" is <start> hello , world <end> = 520 515 267 519 521, padded with 0.
    auto img = torch::jit::load((exp / "image_encoder.pt").string());
    auto txt = torch::jit::load((exp / "text_encoder.pt").string());
    const torch::Tensor q = direct_text(txt, {520, 515, 267, 519, 521}, 8, 0);
    std::vector<std::pair<float, std::string>> expected;
    for (const auto& p : images)
        expected.emplace_back((direct_image(img, p) * q).sum().item<float>(), p.filename());
    std::sort(expected.begin(), expected.end(), std::greater<>());

    const auto by_text =
        test::run_qiss("search --json --data " + data + " --text 'Hello, world' -k 12", false);
    ASSERT_EQ(by_text.exit_code, 0) << by_text.output;
    const json results = json::parse(by_text.output)["results"];
    ASSERT_EQ(results.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(fs::path(results[i]["source"].get<std::string>()).filename(), expected[i].second)
            << "rank " << i;
        EXPECT_NEAR(results[i]["score"].get<double>(), expected[i].first, 1e-4) << "rank " << i;
    }

    const auto by_image = test::run_qiss(
        "search --json --data " + data + " --image " + images[5].string() + " -k 1", false);
    ASSERT_EQ(by_image.exit_code, 0) << by_image.output;
    const json first = json::parse(by_image.output)["results"][0];
    EXPECT_EQ(fs::path(first["source"].get<std::string>()).filename(), "img5.png");
    EXPECT_NEAR(first["score"].get<double>(), 1.0, 1e-4);
}

TEST(TorchScriptImport, SentencePieceIdsAreLaidOutAsTheExportSays) {
    test::TempDir dir("ts-spm");
    const Model tiny = Model::load(fs::path(QISS_TEST_DATA) / "tiny.qiss");
    const Tokenizer& sp = tiny.tokenizer();
    // fairseq's XLM-R layout: <s> 0, <pad> 1, </s> 2, <unk> 3, every other piece + 1.
    json d = {{"embed_dim", kDim},
              {"image_size", kSize},
              {"resize", "stretch"},
              {"tokenizer", "sentencepiece"},
              {"tokenizer_file", "spm.model"},
              {"context_length", 6},
              {"bos", 0},
              {"eos", 2},
              {"pad", 1},
              {"offset", 1},
              {"unk", 3}};
    const fs::path exp = write_export(dir / "export", d, sp.serialized(), sp.vocab_size() + 4);
    Model m = import_torchscript(exp);
    m.save(dir / "spm.qiss");
    const InferenceModel loaded = InferenceModel::load(dir / "spm.qiss");

    const std::string text = "a red heart and a sleeping cat";
    std::vector<int64_t> ids{0};
    for (int p : sp.pieces(text)) ids.push_back(p == sp.unk_id() ? 3 : p + 1);
    ASSERT_GT(ids.size(), 5u);
    ids.resize(5);  // context 6: <s>, four pieces, </s>
    ids.push_back(2);
    const TokenBatch batch = m.tokenize({text, "cat"});
    EXPECT_EQ(batch.ids.size(1), 6);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(batch.ids[0][i].item<int64_t>(), ids[i]) << i;
    EXPECT_EQ(batch.lengths[0].item<int64_t>(), 6);
    EXPECT_EQ(batch.ids[1][batch.lengths[1].item<int64_t>()].item<int64_t>(), 1);  // padding

    auto txt = torch::jit::load((exp / "text_encoder.pt").string());
    const torch::Tensor direct = direct_text(txt, ids, 6, 1);
    EXPECT_LT((loaded.embed_texts({text}) - direct).abs().max().item<float>(), 1e-5f);
    EXPECT_LT((m.embed_texts({text}) - direct).abs().max().item<float>(), 1e-5f);
}

TEST(TorchScriptImport, BadExportsAreClearErrors) {
    test::TempDir dir("ts-bad");
    auto import_error = [&](const fs::path& exp) {
        return test::error_of([&] { import_torchscript(exp); });
    };
    const fs::path good = write_export(dir / "good", clip_description(), kMerges, 522);
    EXPECT_EQ(import_error(good), "");

    const fs::path no_text = write_export(dir / "no-text", clip_description(), kMerges, 522);
    fs::remove(no_text / "text_encoder.pt");
    EXPECT_NE(import_error(no_text).find("text_encoder.pt: missing"), std::string::npos);

    const fs::path garbage = write_export(dir / "garbage", clip_description(), kMerges, 522);
    write(garbage / "image_encoder.pt", "not a TorchScript archive");
    EXPECT_NE(import_error(garbage).find("cannot load the image encoder"), std::string::npos)
        << import_error(garbage);

    json typo = clip_description();
    typo["tokeniser"] = "clip_bpe";
    EXPECT_NE(import_error(write_export(dir / "typo", typo, kMerges, 522))
                  .find("unknown key 'tokeniser'"),
              std::string::npos);

    json wide = clip_description();
    wide["embed_dim"] = 9;  // the encoders answer 8
    EXPECT_NE(import_error(write_export(dir / "wide", wide, kMerges, 522)).find("expected [1, 9]"),
              std::string::npos)
        << import_error(dir / "wide");

    json outside = clip_description();
    outside["tokenizer_file"] = "../merges.txt";
    EXPECT_NE(import_error(write_export(dir / "outside", outside, kMerges, 522))
                  .find("must be a file name"),
              std::string::npos);

    // A vocabulary too small for the tokenizer's ids fails at import, not at the first query.
    EXPECT_NE(import_error(write_export(dir / "small", clip_description(), kMerges, 100))
                  .find("text encoder failed"),
              std::string::npos);

    const auto cli = test::run_qiss("model import --torchscript " + (dir / "nowhere").string() +
                                    " --out " + (dir / "x.qiss").string());
    EXPECT_EQ(cli.exit_code, 1);
    EXPECT_NE(cli.output.find("not a folder"), std::string::npos) << cli.output;
}

// scripts/export_torchscript.py, run with Debian's python3-torch (1.13, as the libtorch qiss
// links): a traced transformer text tower and a conv image tower import and embed exactly as
// torch computed in Python.
TEST(TorchScriptImport, ExportScriptsTracedModelEmbedsAsTorchDid) {
    if (test::run_command("/usr/bin/python3 -c 'import torch' 2>/dev/null").exit_code != 0)
        GTEST_SKIP() << "python3-torch is not installed (scripts/install-deps.sh installs it)";
    test::TempDir dir("ts-export");
    const fs::path out = dir / "export";
    const auto exported = test::run_command(
        "/usr/bin/python3 " + (test::source_dir() / "scripts/export_torchscript.py").string() +
        " selftest - " + out.string() + " 2>&1");
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    const std::string model = (dir / "tiny-clip.qiss").string();
    const auto imported =
        test::run_qiss("model import --torchscript " + out.string() + " --out " + model);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    const json expected = json::parse(std::ifstream(out / "expected.json"));
    auto embedded = [&](const std::string& args) {
        const auto r = test::run_qiss("embed --model " + model + " " + args, false);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return json::parse(r.output).get<std::vector<float>>();
    };
    const auto text = embedded("--text 'hello world'");
    const auto image = embedded("--image " + (out / "probe.png").string());
    const auto want_text = expected["text_embedding"].get<std::vector<float>>();
    const auto want_image = expected["image_embedding"].get<std::vector<float>>();
    ASSERT_EQ(text.size(), want_text.size());
    ASSERT_EQ(image.size(), want_image.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        EXPECT_NEAR(text[i], want_text[i], 1e-5) << i;
        EXPECT_NEAR(image[i], want_image[i], 1e-5) << i;
    }
}

}  // namespace
