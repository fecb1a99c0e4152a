// Model file format, tokenizer and losses, with real libtorch and SentencePiece.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "model/model.h"
#include "model/model_file.h"
#include "model/sru.h"
#include "train/losses.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

std::vector<std::string> sample_sentences() {
    std::vector<std::string> s;
    const char* words[] = {"grinning face",  "visage rieur", "Katze",      "chat qui dort",
                           "a sleeping cat", "red heart",    "cœur rouge", "猫",
                           "собака",         "dog"};
    for (int r = 0; r < 50; ++r)
        for (const char* w : words) s.push_back(std::string(w) + " " + std::to_string(r % 7));
    return s;
}

Model tiny_model() {
    TokenizerTrainOptions to;
    to.vocab_size = 60;
    Tokenizer tok = Tokenizer::train(sample_sentences(), to);
    ModelConfig c = model_preset("tiny");
    return Model(c, std::move(tok));
}

fs::path temp_dir(const std::string& name) {  // removed by the test
    auto d = fs::temp_directory_path() / ("qiss-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST(Tokenizer, NormalisesCaseAndWidth) {
    TokenizerTrainOptions to;
    to.vocab_size = 60;
    Tokenizer tok = Tokenizer::train(sample_sentences(), to);
    // nfkc_cf: case folded and NFKC, so these tokenize identically.
    EXPECT_EQ(tok.encode("KATZE", 32), tok.encode("katze", 32));
    EXPECT_EQ(tok.encode("ｋａｔｚｅ", 32), tok.encode("katze", 32));
    EXPECT_FALSE(tok.encode("", 32).empty());
    EXPECT_LE(tok.encode("a very long text with many many words in it", 3).size(), 3u);
}

TEST(ModelFile, RoundTripGivesSameEmbeddings) {
    Model m = tiny_model();
    auto dir = temp_dir("model");
    m.training_info()["note"] = "unit test";
    m.save(dir / "m.qiss");
    Model back = Model::load(dir / "m.qiss");
    EXPECT_EQ(back.training_info()["note"], "unit test");
    EXPECT_EQ(back.config().embed_dim, m.config().embed_dim);
    cv::Mat img(40, 30, CV_8UC3, cv::Scalar(10, 200, 30));
    auto a = m.embed_images({img}), b = back.embed_images({img});
    EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6));
    EXPECT_NEAR(a.norm().item<float>(), 1.0f, 1e-4);
    auto ta = m.embed_texts({"un chat qui dort"}), tb = back.embed_texts({"un chat qui dort"});
    EXPECT_TRUE(torch::allclose(ta, tb, 1e-5, 1e-6));
    EXPECT_EQ(ta.size(1), m.config().embed_dim);
    fs::remove_all(dir);
}

TEST(ModelFile, RejectsTruncatedForeignAndNewerFiles) {
    Model m = tiny_model();
    std::string bytes = m.to_bytes();
    auto expect_error = [](const std::string& data, const std::string& fragment) {
        try {
            Model::from_bytes(data, "x.qiss");
            ADD_FAILURE() << "expected an error containing '" << fragment << "'";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    expect_error(bytes.substr(0, bytes.size() / 2), "truncated");
    expect_error(bytes.substr(0, 12), "truncated");
    expect_error("PK\x03\x04 this is a zip, not a model", "not a qiss model file");
    expect_error("", "not a qiss model file");
    std::string newer = bytes;
    newer[8] = static_cast<char>(kModelFormatVersion + 1);
    expect_error(newer, "newer");
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x5A;
    expect_error(flipped, "corrupted");
    EXPECT_THROW(Model::load("/nonexistent/model.qiss"), Error);
}

TEST(Losses, PerfectAlignmentCostsLessThanShuffled) {
    torch::manual_seed(0);
    auto a = torch::nn::functional::normalize(torch::randn({16, 32}),
                                              torch::nn::functional::NormalizeFuncOptions().dim(1));
    auto shuffled = a.roll(1, 0);
    EXPECT_LT(vse_loss(a, a, 0.2f, true).item<float>(),
              vse_loss(a, shuffled, 0.2f, true).item<float>());
    EXPECT_LT(infonce_loss(a, a, 0.05f).item<float>(),
              infonce_loss(a, shuffled, 0.05f).item<float>());
    // Max of hinges is never above the sum of hinges.
    EXPECT_LE(vse_loss(a, shuffled, 0.2f, true).item<float>(),
              vse_loss(a, shuffled, 0.2f, false).item<float>() + 1e-6);
    // Orthogonal, perfectly matched pairs: every hinge is 0.2 - (1 - 0) < 0, so zero loss.
    auto eye = torch::eye(8);
    EXPECT_FLOAT_EQ(vse_loss(eye, eye, 0.2f, true).item<float>(), 0.0f);
}

TEST(TextEncoder, PaddingNeverChangesAText) {
    // A text embedded alone and inside a batch of longer and shorter texts gets the same vector,
    // for both recurrent encoders (the SRU's backward scan reverses each row within its length).
    for (const char* rnn : {"sru", "gru"}) {
        TokenizerTrainOptions to;
        to.vocab_size = 60;
        ModelConfig c = model_preset("tiny");
        c.rnn = rnn;
        c.gru_layers = 2;
        Model m(c, Tokenizer::train(sample_sentences(), to));
        auto alone = m.embed_texts({"chat qui dort"});
        auto batch = m.embed_texts({"a", "chat qui dort", "grinning face visage rieur Katze 3"});
        EXPECT_TRUE(torch::allclose(alone[0], batch[1], 1e-5, 1e-5)) << rnn;
        EXPECT_NEAR(batch.norm(2, 1).sub(1).abs().max().item<float>(), 0.f, 1e-4) << rnn;
    }
}

TEST(TextEncoder, ReverseWithinLengthIsAnInvolutionThatKeepsPadding) {
    auto idx = reverse_within_length(torch::tensor({3, 1, 5}, torch::kInt64), 5);
    auto expected =
        torch::tensor({2, 1, 0, 3, 4, 0, 1, 2, 3, 4, 4, 3, 2, 1, 0}, torch::kInt64).view({3, 5});
    EXPECT_TRUE(torch::equal(idx, expected));
    EXPECT_TRUE(torch::equal(idx.gather(1, idx), torch::arange(5).expand({3, 5})));
}

// The server embeds queries from many threads at once, without a lock.
TEST(Model, ConcurrentEmbeddingsMatchSequentialOnes) {
    Model m = Model::load(fs::path(QISS_TEST_DATA) / "tiny.qiss");
    const std::vector<std::string> texts = {"un chat qui dort",  "Katze",        "red heart", "猫",
                                            "bandera de España", "grinning face"};
    cv::Mat image(64, 64, CV_8UC3);
    cv::randu(image, 0, 255);
    std::vector<torch::Tensor> expected;
    for (const auto& t : texts) expected.push_back(m.embed_texts({t}));
    const torch::Tensor expected_image = m.embed_images({image});

    std::vector<std::thread> threads;
    std::vector<int> mismatches(4, 0);
    for (int w = 0; w < 4; ++w)
        threads.emplace_back([&, w] {
            for (int round = 0; round < 20; ++round) {
                const std::size_t i = (w + round) % texts.size();
                if (!torch::allclose(m.embed_texts({texts[i]}), expected[i], 1e-5, 1e-6))
                    ++mismatches[w];
                if (!torch::allclose(m.embed_images({image}), expected_image, 1e-5, 1e-6))
                    ++mismatches[w];
            }
        });
    for (auto& t : threads) t.join();
    for (int w = 0; w < 4; ++w) EXPECT_EQ(mismatches[w], 0) << "thread " << w;
}
