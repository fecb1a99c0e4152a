// Model file format, tokenizer and losses, with real libtorch and SentencePiece.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <malloc.h>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "model/inference_model.h"
#include "model/mix_style.h"
#include "model/model.h"
#include "model/model_file.h"
#include "model/sru.h"
#include "model/tensor_memory.h"
#include "train/losses.h"
#include "train/sampler.h"
#include "train/training_set.h"
#include "test_support.h"

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

TEST(ModelFile, Float16StorageHalvesTheWeightsAndKeepsEmbeddingsClose) {
    Model m = tiny_model();
    m.set_weight_dtype("float16");
    const std::string half = m.to_bytes(), full = m.to_bytes(Model::Precision::full);
    EXPECT_LT(half.size(), full.size() * 6 / 10) << half.size() << " vs " << full.size();
    Model from_half = Model::from_bytes(half, "half.qiss");
    Model from_full = Model::from_bytes(full, "full.qiss");
    EXPECT_EQ(from_half.config().weight_dtype, "float16");
    cv::Mat img(40, 30, CV_8UC3, cv::Scalar(10, 200, 30));
    const std::vector<std::string> texts{"un chat qui dort", "Katze", "猫"};
    auto ia = m.embed_images({img}), ta = m.embed_texts(texts);
    // Checkpoints (Precision::full) resume exactly; float16 moves an embedding by ~1e-3.
    EXPECT_TRUE(torch::equal(ia, from_full.embed_images({img})));
    EXPECT_TRUE(torch::equal(ta, from_full.embed_texts(texts)));
    auto ib = from_half.embed_images({img}), tb = from_half.embed_texts(texts);
    EXPECT_LT((ia - ib).abs().max().item<float>(), 5e-3);
    EXPECT_LT((ta - tb).abs().max().item<float>(), 5e-3);
    EXPECT_GT((ta - tb).abs().max().item<float>(), 0.0f) << "the table was not stored as float16";
    // Widened to float32 in memory, and stored again as float16 without a further loss.
    for (const auto& p : from_half.net()->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat32);
    EXPECT_EQ(from_half.to_bytes(), half);
}

TEST(ModelFile, WeightsThatDisagreeWithTheHeaderNameTheTensor) {
    Model m = tiny_model();
    ModelFileContents c = decode_model_file(m.to_bytes(), "m.qiss");
    c.header["config"]["text"]["vocab_size"] = m.config().vocab_size + 1;
    try {
        Model::from_bytes(encode_model_file(c), "m.qiss");
        ADD_FAILURE() << "a token table of the wrong size was accepted";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("m.qiss"), std::string::npos) << what;
        EXPECT_NE(what.find("text.embed.weight"), std::string::npos) << what;
    }
}

TEST(ModelFile, HeaderThatDescribesMoreThanItsWeightsIsRefusedBeforeAllocating) {
    Model m = tiny_model();
    const ModelFileContents good = decode_model_file(m.to_bytes(), "m.qiss");
    // Each would ask for gigabytes (a token table of 2^30 rows, a CNN stage of 2^20 channels,
    // 2^24 anchors) before the weights are read: refused from the header and the file's size.
    std::vector<std::function<void(nlohmann::json&)>> damage{
        [](nlohmann::json& h) { h["config"]["text"]["vocab_size"] = 1 << 30; },
        [](nlohmann::json& h) { h["config"]["image"]["cnn_channels"] = {16, 32, 64, 1 << 20}; },
        [](nlohmann::json& h) { h["config"]["image"]["anchors"] = 1 << 24; }};
    for (const auto& change : damage) {
        ModelFileContents c = good;
        change(c.header);
        const std::string msg =
            test::error_of([&] { Model::from_bytes(encode_model_file(c), "m.qiss"); });
        EXPECT_NE(msg.find("m.qiss"), std::string::npos) << c.header["config"].dump();
        EXPECT_NE(msg.find("bytes of weights"), std::string::npos) << msg;
    }
    // The committed models pass the same bound.
    EXPECT_NO_THROW(Model::load(test::source_dir() / "models" / "qiss-default.qiss"));
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

TEST(MixStyle, KeepsEachImagesPatternAndMixesOnlyItsStatistics) {
    torch::manual_seed(3);
    // Two images with very different per-channel statistics.
    auto x = torch::cat({torch::randn({1, 4, 6, 6}) * 0.5 + 2, torch::randn({1, 4, 6, 6}) * 3 - 1});
    auto stats = [](const torch::Tensor& t) {
        return std::pair{t.mean({2, 3}), t.var({2, 3}, false).sqrt()};
    };
    auto [mu, sd] = stats(x);
    for (int trial = 0; trial < 20; ++trial) {
        auto y = mix_style(x, 0.1f);
        auto [mu_y, sd_y] = stats(y);
        // Each output image is its input image, standardised and rescaled: same pattern.
        auto zx = (x - mu.unsqueeze(2).unsqueeze(3)) / sd.unsqueeze(2).unsqueeze(3);
        auto zy = (y - mu_y.unsqueeze(2).unsqueeze(3)) / sd_y.unsqueeze(2).unsqueeze(3);
        EXPECT_TRUE(torch::allclose(zx, zy, 1e-3, 1e-3));
        // Its statistics lie between the two images' own (a convex mix, one weight per image).
        auto lo = torch::minimum(mu[0], mu[1]) - 1e-4, hi = torch::maximum(mu[0], mu[1]) + 1e-4;
        EXPECT_TRUE((mu_y >= lo).all().item<bool>() && (mu_y <= hi).all().item<bool>());
    }
    // A batch of identical images has nothing to mix.
    auto same = x.slice(0, 0, 1).repeat({3, 1, 1, 1});
    EXPECT_TRUE(torch::allclose(mix_style(same, 0.1f), same, 1e-4, 1e-4));
}

TEST(MixStyle, TheImageBranchIgnoresItOutsideTraining) {
    ImageEncoder enc(model_preset("tiny"));
    auto x = torch::randn({4, 3, 32, 32});
    enc->eval();
    auto before = enc->forward(x);
    enc->set_mix_style(1.0f, 0.1f);
    EXPECT_TRUE(torch::equal(before, enc->forward(x)));
    // In training it changes the output (batch-norm uses the batch's statistics either way).
    enc->train();
    enc->set_mix_style(0.0f, 0.1f);
    auto plain = enc->forward(x);
    enc->set_mix_style(1.0f, 0.1f);
    EXPECT_FALSE(torch::allclose(enc->forward(x), plain, 1e-3, 1e-3));
    EXPECT_THROW(enc->set_mix_style(1.5f, 0.1f), Error);
}

// The server embeds queries from many threads at once, without a lock, through a const model.
TEST(InferenceModel, ConcurrentEmbeddingsOfAConstModelMatchSequentialOnes) {
    const InferenceModel m = InferenceModel::load(fs::path(QISS_TEST_DATA) / "tiny.qiss");
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

namespace {

/// Three identities; the first has five locales, each with a caption "cap-LOC" and keywords
/// "kw-LOC-a", "kw-LOC-b", "kw-LOC-c".
TrainingSet synthetic_set() {
    TrainingSet set;
    set.pixels = torch::zeros({6, 8, 8, 3}, torch::kUInt8);
    for (int g = 0; g < 3; ++g) {
        TrainingGroup group;
        group.id = "id" + std::to_string(g);
        group.images = {2 * g, 2 * g + 1};
        for (std::string loc : {"en", "fr", "de", "ja", "zh"})
            group.texts.push_back({loc,
                                   {"cap-" + loc},
                                   {"kw-" + loc + "-a", "kw-" + loc + "-b", "kw-" + loc + "-c"}});
        set.groups.push_back(group);
    }
    return set;
}

/// One identity per id, each with two blank images and an English caption "cap-ID".
TrainingSet set_of_ids(const std::vector<std::string>& ids) {
    TrainingSet set;
    set.pixels = torch::zeros({static_cast<int64_t>(2 * ids.size()), 8, 8, 3}, torch::kUInt8);
    for (std::size_t g = 0; g < ids.size(); ++g) {
        TrainingGroup group;
        group.id = ids[g];
        group.images = {static_cast<int>(2 * g), static_cast<int>(2 * g + 1)};
        group.texts.push_back({"en", {"cap-" + ids[g]}, {}});
        set.groups.push_back(group);
    }
    return set;
}

/// The identities (labels) of an epoch, in the order the sampler's batches give them.
std::vector<int64_t> epoch_order(JointSampler& sampler, int epoch) {
    sampler.start_epoch(epoch);
    std::vector<int64_t> order;
    for (int64_t s = 0; s < sampler.steps_per_epoch(); ++s)
        for (const int64_t l : sampler.batch(s).labels) order.push_back(l);
    return order;
}

/// True if labels first..first + n - 1 sit at n consecutive positions of `order`.
bool consecutive(const std::vector<int64_t>& order, int64_t first, int64_t n) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < order.size(); ++i)
        if (order[i] >= first && order[i] < first + n) at.push_back(i);
    return !at.empty() && static_cast<int64_t>(at.back() - at.front()) == n - 1;
}

/// The locale a synthetic text belongs to, and whether it is a caption.
std::pair<std::string, bool> locale_of(const std::string& text) {
    if (text.rfind("cap-", 0) == 0) return {text.substr(4), true};
    return {text.substr(3, text.find('-', 3) - 3), false};
}

}  // namespace

TEST(Sampler, BalancedCyclesEveryLocaleWithoutReplacementCaptionsFirst) {
    TrainingSet set = synthetic_set();
    TrainConfig tc;
    tc.batch_size = 2;
    tc.texts_per_identity = 2;
    ASSERT_EQ(tc.sampler, "balanced");
    JointSampler sampler(set, tc, 7);
    for (int cycle = 0; cycle < 4; ++cycle) {
        std::set<std::string> seen;
        for (int v = 0; v < 5; ++v) {
            auto [loc, caption] = locale_of(sampler.text_for(0, cycle * 5 + v));
            EXPECT_TRUE(seen.insert(loc).second) << "cycle " << cycle << " repeats " << loc;
            EXPECT_EQ(caption, cycle % 2 == 0) << "cycle " << cycle;
        }
        EXPECT_EQ(seen.size(), 5u);
    }
    // No locale is privileged: over the first cycle, English is not always first.
    std::set<std::string> firsts;
    for (std::size_t g = 0; g < 3; ++g)
        for (int c = 0; c < 4; ++c) firsts.insert(locale_of(sampler.text_for(g, c * 5)).first);
    EXPECT_GT(firsts.size(), 1u);
}

TEST(Sampler, BatchesDependOnlyOnSeedAndEpoch) {
    TrainingSet set = synthetic_set();
    TrainConfig tc;
    tc.batch_size = 2;
    JointSampler a(set, tc, 3), b(set, tc, 3);
    a.start_epoch(0);
    a.start_epoch(1);
    b.start_epoch(1);  // a resumed run starts directly at epoch 1
    for (int64_t s = 0; s < a.steps_per_epoch(); ++s) {
        JointBatch x = a.batch(s), y = b.batch(s);
        EXPECT_EQ(x.rows, y.rows);
        EXPECT_EQ(x.labels, y.labels);
        EXPECT_EQ(x.texts, y.texts);
        ASSERT_EQ(x.texts.size(), static_cast<std::size_t>(tc.texts_per_identity * 2));
        for (std::size_t i = 0; i < 2; ++i) EXPECT_NE(x.rows[i], x.rows[i + 2]);  // two views
    }
}

TEST(Sampler, FamilyBatchesKeepSkinToneVariantsTogether) {
    // Two families of four (a base emoji and three tones; a two-person emoji whose tones differ
    // per person) and four single identities; batches of four.
    const std::vector<std::string> ids = {"1f44b",
                                          "1f44b-1f3fb",
                                          "1f44b-1f3fd",
                                          "1f44b-1f3ff",
                                          "1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3fc",
                                          "1f9d1-1f3fc-200d-1f91d-200d-1f9d1-1f3fb",
                                          "1f9d1-200d-1f91d-200d-1f9d1",
                                          "1f9d1-1f3ff-200d-1f91d-200d-1f9d1-1f3ff",
                                          "2764",
                                          "1f600",
                                          "1f3fb",
                                          "1f431"};
    const TrainingSet set = set_of_ids(ids);
    TrainConfig tc;
    tc.batch_size = 4;
    tc.passes_per_epoch = 1;
    // The epoch's identity order; true if both families sit at consecutive positions.
    auto families_together = [&](JointSampler& sampler, int epoch) {
        const std::vector<int64_t> order = epoch_order(sampler, epoch);
        EXPECT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), ids.size());
        // Labels 0-3 and 4-7 are the two families.
        return consecutive(order, 0, 4) && consecutive(order, 4, 4);
    };
    tc.family_batches = true;
    JointSampler grouped(set, tc, 5);
    ASSERT_EQ(grouped.steps_per_epoch(), 3);
    for (int epoch = 0; epoch < 6; ++epoch) EXPECT_TRUE(families_together(grouped, epoch));
    tc.family_batches = false;  // the plain order scatters them in some epoch
    JointSampler plain(set, tc, 5);
    bool scattered = false;
    for (int epoch = 0; epoch < 6; ++epoch)
        scattered = scattered || !families_together(plain, epoch);
    EXPECT_TRUE(scattered);
}

TEST(Sampler, GenderFamiliesKeepManWomanPersonVariantsTogether) {
    // Two gender families of three (a profession in one skin tone; a runner and its ZWJ
    // gender signs), a profession in another tone (its own family) and single identities;
    // batches of three.
    const std::vector<std::string> ids = {"1f468-1f3fd-200d-1f33e",
                                          "1f469-1f3fd-200d-1f33e",
                                          "1f9d1-1f3fd-200d-1f33e",
                                          "1f3c3",
                                          "1f3c3-200d-2640-fe0f",
                                          "1f3c3-200d-2642-fe0f",
                                          "1f9d1-1f3ff-200d-1f33e",
                                          "2764",
                                          "1f600"};
    const TrainingSet set = set_of_ids(ids);
    TrainConfig tc;
    tc.batch_size = 3;
    tc.passes_per_epoch = 1;
    tc.family_batches = true;
    tc.family_by = "gender";
    JointSampler sampler(set, tc, 5);
    ASSERT_EQ(sampler.steps_per_epoch(), 3);
    for (int epoch = 0; epoch < 6; ++epoch) {
        const std::vector<int64_t> order = epoch_order(sampler, epoch);
        ASSERT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), ids.size());
        // Labels 0-2 and 3-5 are the two families; label 6 (the other tone) is not in the
        // first, or it would sit between its members in some epoch.
        EXPECT_TRUE(consecutive(order, 0, 3)) << "epoch " << epoch;
        EXPECT_TRUE(consecutive(order, 3, 3)) << "epoch " << epoch;
    }
}

TEST(Sampler, TextItemsCoverEveryLocaleCaptionAndKeywordBundle) {
    TrainingSet set = synthetic_set();
    auto items = all_text_items(set, "all");
    EXPECT_EQ(items.size(), 3u * 5u * 2u);
    EXPECT_EQ(all_text_items(set, "family").size(), items.size());  // no skin tones: the same
    std::mt19937_64 rng(1);
    std::set<std::pair<std::string, bool>> kinds;
    for (const auto& it : items) {
        if (it.group != 1) continue;
        auto [loc, caption] = locale_of(item_text(set, it, rng));
        EXPECT_EQ(caption, it.caption);
        EXPECT_EQ(loc, set.groups[1].texts[it.locale].locale);
        kinds.insert({loc, caption});
    }
    EXPECT_EQ(kinds.size(), 10u);
}

TEST(Sampler, FamilyKeywordsComeFromOneMemberOfEachSkinToneFamily) {
    // A waving hand and two of its tones, a two-person emoji without its tone-free member, and
    // a flame: with "family" the tones' captions stay, their keyword bundles go.
    TrainingSet set;
    const std::vector<std::string> ids = {"1f44b-1f3fb",
                                          "1f44b",
                                          "1f44b-1f3fd",
                                          "1f9d1-1f3fc-200d-1f91d-200d-1f9d1-1f3fb",
                                          "1f9d1-1f3ff-200d-1f91d-200d-1f9d1-1f3ff",
                                          "1f525"};
    for (const auto& id : ids) {
        TrainingGroup group;
        group.id = id;
        for (std::string loc : {"en", "de"}) group.texts.push_back({loc, {"cap-" + loc}, {"kw"}});
        set.groups.push_back(group);
    }
    auto count = [](const std::vector<TextItem>& items, bool caption) {
        std::map<std::uint32_t, int> per_group;
        for (const auto& it : items)
            if (it.caption == caption) ++per_group[it.group];
        return per_group;
    };
    const auto all = all_text_items(set, "all");
    const auto family = all_text_items(set, "family");
    EXPECT_EQ(count(all, true), count(family, true));  // every caption, both ways
    EXPECT_EQ(count(all, false),
              (std::map<std::uint32_t, int>{{0, 2}, {1, 2}, {2, 2}, {3, 2}, {4, 2}, {5, 2}}));
    // The tone-free "1f44b" (group 1) speaks for its family; the couple, which has none, by its
    // first member (group 3).
    EXPECT_EQ(count(family, false), (std::map<std::uint32_t, int>{{1, 2}, {3, 2}, {5, 2}}));
}

TEST(Sampler, TextEpochRepeatsToneFreeItemsAndDrawsAShareOfTheTones) {
    // A waving hand, four of its tones and a flame, one English caption each.
    const TrainingSet set =
        set_of_ids({"1f44b", "1f44b-1f3fb", "1f44b-1f3fc", "1f44b-1f3fd", "1f44b-1f3fe", "1f525"});
    const auto items = all_text_items(set, "all");
    ASSERT_EQ(items.size(), 6u);
    auto groups = [](const std::vector<TextItem>& epoch) {
        std::map<std::uint32_t, int> n;
        for (const auto& it : epoch) ++n[it.group];
        return n;
    };
    TrainConfig tc;
    std::mt19937_64 rng(3);
    EXPECT_EQ(groups(text_epoch_items(set, items, tc, rng)), groups(items));  // defaults: as is
    EXPECT_EQ(text_epoch_size(set, items, tc), 6u);

    tc.text_base_repeat = 3;
    tc.text_tone_share = 0.5f;
    EXPECT_EQ(text_epoch_size(set, items, tc), 3u * 2u + 2u);
    std::set<std::uint32_t> tones_seen;
    for (int epoch = 0; epoch < 20; ++epoch) {
        const auto n = groups(text_epoch_items(set, items, tc, rng));
        EXPECT_EQ(n.at(0), 3);  // the tone-free hand and the flame, three times each
        EXPECT_EQ(n.at(5), 3);
        int tones = 0;
        for (std::uint32_t g = 1; g <= 4; ++g)
            if (n.count(g)) {
                EXPECT_EQ(n.at(g), 1) << "tone " << g;
                tones_seen.insert(g);
                ++tones;
            }
        EXPECT_EQ(tones, 2) << "epoch " << epoch;
    }
    EXPECT_EQ(tones_seen.size(), 4u);  // the share is drawn anew: every tone comes up
}

TEST(TokenizerTexts, BalancedSampleTakesAsManyFromEveryLocale) {
    TrainingSet set;
    TrainingGroup g;
    for (int i = 0; i < 400; ++i) {
        std::vector<std::string> kw;
        for (int k = 0; k < 5; ++k) kw.push_back("en" + std::to_string(i * 5 + k));
        g.texts.push_back({"en", {"en caption " + std::to_string(i)}, kw});
    }
    g.texts.push_back({"ja", {"猫"}, {"ねこ", "動物"}});
    for (int i = 0; i < 100; ++i) g.texts.push_back({"fr", {"fr " + std::to_string(i)}, {}});
    set.groups.push_back(g);
    auto texts = tokenizer_texts(set, "balanced", 90, 4.0, 1);
    std::map<std::string, int> per;
    for (const auto& t : texts) per[t.substr(0, 2)]++;
    EXPECT_EQ(per["en"], 30);  // 30 of 2,400 English texts
    EXPECT_EQ(per["fr"], 30);  // 30 of 100 French captions (each counted 4 times)
    // Japanese has 3 texts: the caption 4 times and both keywords, 6 in all, fewer than 30.
    EXPECT_EQ(static_cast<int>(texts.size()) - per["en"] - per["fr"], 6);
    auto uniform = tokenizer_texts(set, "uniform", 90, 4.0, 1);
    EXPECT_EQ(uniform.size(), 90u);
}

TEST(TokenizerTexts, DistinctSampleHoldsEveryNameOnce) {
    // Five skin-tone variants repeat one keyword list; a rare animal's name is said once.
    TrainingSet set;
    for (int tone = 0; tone < 5; ++tone) {
        TrainingGroup g;
        g.texts.push_back({"en", {"waving hand: tone " + std::to_string(tone)}, {"hand", "wave"}});
        g.texts.push_back({"fr", {"main qui salue " + std::to_string(tone)}, {"main"}});
        set.groups.push_back(g);
    }
    TrainingGroup lion;
    lion.texts.push_back({"en", {"lion"}, {"lion", "Leo", "zodiac"}});
    lion.texts.push_back({"fr", {"tête de lion"}, {"lion"}});
    set.groups.push_back(lion);

    const auto texts = tokenizer_texts(set, "distinct", 1000, 2.0, 1);
    std::map<std::string, int> count;
    for (const auto& t : texts) count[t]++;
    EXPECT_EQ(count["hand"], 1) << "a keyword repeated by five variants counts once";
    EXPECT_EQ(count["wave"], 1);
    EXPECT_EQ(count["main"], 1);
    EXPECT_EQ(count["waving hand: tone 3"], 2) << "captions count caption_weight times";
    // Distinct per locale: twice as the English caption (not again as its keyword), once as
    // a French keyword.
    EXPECT_EQ(count["lion"], 3);
    EXPECT_EQ(count["tête de lion"], 2);
    EXPECT_EQ(count["Leo"], 1);
    EXPECT_EQ(count["zodiac"], 1);
    // Per locale, six captions twice: en + hand, wave, Leo, zodiac; fr + main, lion.
    EXPECT_EQ(texts.size(), 12u + 4 + 12 + 2);
    EXPECT_EQ(tokenizer_texts(set, "distinct", 7, 2.0, 1).size(), 7u) << "at most max_sentences";
    EXPECT_EQ(tokenizer_texts(set, "distinct", 1000, 2.0, 1), texts) << "seeded";
}

TEST(Tokenizer, ByteFallbackLeavesNoUnknownCharacter) {
    TokenizerTrainOptions to;
    to.vocab_size = 400;
    to.character_coverage = 1.0;
    to.byte_fallback = true;
    Tokenizer tok = Tokenizer::train(sample_sentences(), to);
    auto s = tok.piece_stats(
        "猫 grinning 🦄 ქართული");  // Georgian never seen in training
    EXPECT_EQ(s.unknown, 0);
    EXPECT_GT(s.bytes, 0);
    to.byte_fallback = false;
    Tokenizer plain = Tokenizer::train(sample_sentences(), to);
    EXPECT_GT(plain.piece_stats("猫 grinning 🦄 ქართული").unknown, 0);
}

TEST(TensorMemory, LargeFreedBlocksStayInTheProcessUnlessTheOperatorChose) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's";
#else
    // The operator's setting stands.
    ::setenv("MALLOC_TRIM_THRESHOLD_", "4096", 1);
    EXPECT_FALSE(keep_tensor_memory());
    ::unsetenv("MALLOC_TRIM_THRESHOLD_");
    // A 64 MB block (an activation of a batch of photos) is mapped apart from the heap, and
    // unmapped when freed, until keep_tensor_memory(); after it, it comes from the heap.
    const auto mapped_while_held = [] {
        constexpr std::size_t kSize = 64 << 20;
        void* volatile block = std::malloc(kSize);
        const bool mapped = ::mallinfo2().hblkhd >= kSize;
        std::free(block);
        return mapped;
    };
    EXPECT_TRUE(mapped_while_held()) << "glibc's default maps a 64 MB block";
    ASSERT_TRUE(keep_tensor_memory());
    EXPECT_FALSE(mapped_while_held());
#endif
}
