// `qiss train`, `qiss eval`, `qiss embed` end to end with the real binary, on a small slice of
// the emoji corpus (built by the corpus fixture in tests/CMakeLists.txt).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "corpus/manifest.h"
#include "eval/embedding_dump.h"
#include "eval/retrieval_eval.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

fs::path corpus_manifest() {
    return fs::path(QISS_TEST_DATA) / "emoji" / "manifest.jsonl";
}

/// A manifest with the first `n` identities of the emoji corpus, plus bad lines: a corrupt
/// PNG, a missing file and an empty caption.
fs::path write_slice(const test::TempDir& dir, std::size_t n) {
    Manifest full = read_manifest(corpus_manifest());
    std::vector<ManifestEntry> keep;
    std::set<std::string> ids;
    for (const auto& e : full.entries) {
        if (ids.size() >= n && !ids.count(e.id)) continue;
        ids.insert(e.id);
        keep.push_back(e);
    }
    fs::path m = dir / "slice.jsonl";
    write_manifest(m, keep);
    std::ofstream(dir / "corrupt.png") << "\x89PNG\r\n\x1a\n this is not really a png";
    std::ofstream out(m, std::ios::app);
    out << R"({"path": "corrupt.png", "id": "bad", "captions": {"en": ["broken"]}})"
        << "\n";
    out << R"({"path": "gone.png", "id": "gone", "captions": {"en": ["missing"]}})"
        << "\n";
    out << R"({"path": "corrupt.png", "id": "empty", "captions": {"en": [""]}})"
        << "\n";
    return m;
}

std::string embed(const fs::path& model, const std::string& text) {
    auto r = test::run_qiss("embed --model " + model.string() + " --text '" + text + "'",
                            /*with_stderr=*/false);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
}

/// Starts `qiss train ARGS` and kills it (SIGKILL) as soon as its checkpoint state file
/// `state` exists, or after 5 minutes.
void kill_once_checkpointed(const std::string& train_args, const fs::path& state) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string sh =
            "exec " + std::string(QISS_BINARY) + " train" + train_args + " >/dev/null 2>&1";
        ::execl("/bin/sh", "sh", "-c", sh.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!fs::exists(state) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

}  // namespace

TEST(TrainCli, SeededReproducibleResumableAndSkipsBadLines) {
    test::TempDir dir("train");
    fs::path slice = write_slice(dir, 150);
    const std::string common = " --corpus " + slice.string() + " --config tiny --epochs 2 --seed 7";

    auto a = test::run_qiss("train" + common + " --out " + (dir / "a.qiss").string());
    ASSERT_EQ(a.exit_code, 0) << a.output;
    EXPECT_NE(a.output.find("corrupt.png"), std::string::npos) << a.output;
    EXPECT_NE(a.output.find("gone.png"), std::string::npos);
    EXPECT_NE(a.output.find("empty text"), std::string::npos);
    EXPECT_NE(a.output.find("images/s"), std::string::npos);
    EXPECT_NE(a.output.find("ETA"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir / "a.qiss.ckpt"));

    auto b = test::run_qiss("train" + common + " --out " + (dir / "b.qiss").string());
    ASSERT_EQ(b.exit_code, 0) << b.output;
    EXPECT_EQ(embed(dir / "a.qiss", "grinning face"), embed(dir / "b.qiss", "grinning face"));

    // Kill a run once its first epoch is checkpointed; the next run resumes and ends with the
    // same model as the uninterrupted one.
    auto state = dir / "c.qiss.ckpt" / "state.json";
    kill_once_checkpointed(common + " --out " + (dir / "c.qiss").string(), state);
    ASSERT_TRUE(fs::exists(state)) << "no checkpoint was written";
    ASSERT_FALSE(fs::exists(dir / "c.qiss"));
    auto c = test::run_qiss("train" + common + " --out " + (dir / "c.qiss").string());
    ASSERT_EQ(c.exit_code, 0) << c.output;
    EXPECT_NE(c.output.find("resuming"), std::string::npos) << c.output;
    EXPECT_EQ(embed(dir / "a.qiss", "un chat qui dort"), embed(dir / "c.qiss", "un chat qui dort"));
}

TEST(TrainCli, BadOptionsAndModelFilesGiveClearErrors) {
    test::TempDir dir("train-bad");
    auto r = test::run_qiss("train --corpus " + (dir / "nothing").string() + " --out x.qiss");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("not found"), std::string::npos) << r.output;

    std::string model = std::string(QISS_TEST_DATA) + "/tiny.qiss";
    std::string bytes;
    {
        std::ifstream in(model, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    ASSERT_GT(bytes.size(), 1000u);
    std::ofstream(dir / "trunc.qiss", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    std::ofstream(dir / "text.qiss") << "hello, I am not a model\n";
    std::string newer = bytes;
    newer[8] = 99;
    std::ofstream(dir / "newer.qiss", std::ios::binary) << newer;
    for (auto [file, message] :
         std::vector<std::pair<std::string, std::string>>{{"trunc.qiss", "truncated"},
                                                          {"text.qiss", "not a qiss model file"},
                                                          {"newer.qiss", "newer"},
                                                          {"missing.qiss", "no such model file"}}) {
        auto e = test::run_qiss("embed --model " + (dir / file).string() + " --text cat");
        EXPECT_EQ(e.exit_code, 1) << file;
        EXPECT_NE(e.output.find(message), std::string::npos) << file << ": " << e.output;
    }
    auto empty = test::run_qiss("embed --model " + model + " --text ''");
    EXPECT_NE(empty.exit_code, 0);
}

TEST(ModelCli, ConvertStoresTheWeightsAsFloat16OrFloat32) {
    test::TempDir dir("model-convert");
    const std::string model = std::string(QISS_TEST_DATA) + "/tiny.qiss";
    const auto half = dir / "half.qiss", full = dir / "full.qiss";
    auto r =
        test::run_qiss("model convert " + model + " --weight-dtype float16 --out " + half.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_LT(fs::file_size(half), fs::file_size(model) * 6 / 10);
    r = test::run_qiss("model convert " + half.string() + " --weight-dtype float32 --out " +
                       full.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_GT(fs::file_size(full), fs::file_size(model) * 9 / 10);
    for (const char* text : {"grinning face", "un chat qui dort"}) {
        auto a = nlohmann::json::parse(embed(model, text)).get<std::vector<float>>();
        auto b = nlohmann::json::parse(embed(half, text)).get<std::vector<float>>();
        auto c = nlohmann::json::parse(embed(full, text)).get<std::vector<float>>();
        ASSERT_EQ(a.size(), b.size());
        float most = 0;
        for (std::size_t i = 0; i < a.size(); ++i) most = std::max(most, std::abs(a[i] - b[i]));
        EXPECT_LT(most, 5e-3f) << text;
        EXPECT_EQ(b, c) << "float16 widened to float32 is the same model";
    }
    r = test::run_qiss("model convert " + model + " --weight-dtype float8 --out " +
                       (dir / "x.qiss").string());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("float16"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "x.qiss"));
}

TEST(EvalCli, JsonReportOnTheTwitterGallery) {
    std::string model = std::string(QISS_TEST_DATA) + "/tiny.qiss";
    auto r = test::run_qiss("eval --json --locales en,fr,ja --model " + model + " --corpus " +
                                corpus_manifest().parent_path().string(),
                            /*with_stderr=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output);
    Manifest m = read_manifest(corpus_manifest());
    std::size_t twitter = 0;
    for (const auto& e : m.entries) twitter += e.vendor == "twitter";
    EXPECT_EQ(j.at("gallery_size").get<std::size_t>(), twitter);
    ASSERT_EQ(j.at("text_to_image").size(), 3u);
    double sum = 0;
    for (const auto& loc : {"en", "fr", "ja"}) {
        const auto& s = j.at("text_to_image").at(loc);
        double r1 = s.at("r1"), r5 = s.at("r5"), r10 = s.at("r10");
        EXPECT_LE(0.0, r1);
        EXPECT_LE(r1, r5);
        EXPECT_LE(r5, r10);
        EXPECT_LE(r10, 1.0);
        EXPECT_GE(s.at("median_rank").get<double>(), 1.0);
        sum += r10;
    }
    EXPECT_NEAR(j.at("text_to_image_mean").at("r10").get<double>(), sum / 3, 1e-9);
    const auto& ii = j.at("image_to_image");
    EXPECT_GT(ii.at("queries").get<int>(), 3000);
    // A trained model finds same-emoji images far above chance (10/3786 for R@10).
    EXPECT_GT(ii.at("r10").get<double>(), 0.05);
    // Counting an emoji's skin-tone variants as hits can only find more.
    const auto& merged = j.at("image_to_image_skin_tones_merged");
    EXPECT_EQ(merged.at("queries"), ii.at("queries"));
    EXPECT_GE(merged.at("r1").get<double>(), ii.at("r1").get<double>());
    EXPECT_GE(merged.at("r10").get<double>(), ii.at("r10").get<double>());

    auto v = test::run_qiss("embed --model " + model + " --text Katze", /*with_stderr=*/false);
    ASSERT_EQ(v.exit_code, 0);
    auto vec = nlohmann::json::parse(v.output);
    double norm = 0;
    for (double x : vec) norm += x * x;
    EXPECT_EQ(vec.size(), 256u);
    EXPECT_NEAR(norm, 1.0, 1e-3);
}

TEST(TrainCli, InvalidSettingsNameTheKeyAndTheAllowedValues) {
    test::TempDir dir("train-set");
    const std::string base = "train --corpus " + corpus_manifest().string() + " --out " +
                             (dir / "x.qiss").string() + " --config tiny --set ";
    // Each of these used to train (another loss, a negative rate...) or crash (batch_size=0
    // divided by zero); all fail before the corpus is read.
    for (auto [set, words] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"loss=typo", {"loss", "\"typo\"", "infonce", "vse_max"}},
             {"'loss=\"typo\"'", {"loss", "infonce", "vse_max"}},
             {"batch_size=0", {"batch_size", ">= 2"}},
             {"lr=-0.01", {"lr", "> 0"}},
             {"texts_per_identity=0", {"texts_per_identity", ">= 1"}},
             {"model/text/rnn=lstm", {"model/text/rnn", "sru", "gru"}},
             {"model/weight_dtype=float8", {"model/weight_dtype", "float16", "float32"}},
             {"model/image/anchor_temperature=0", {"model/image/anchor_temperature", "> 0"}},
             {"model/image/anchor_weight=-1", {"model/image/anchor_weight", ">= 0"}},
             {"model/image/anchors=5", {"model/image/anchors", "not a setting"}},
             {"sampler=fancy", {"sampler", "balanced", "random"}},
             {"family_by=age", {"family_by", "skin_tone", "gender"}},
             {"text_target=teacher", {"text_target", "mean_image", "proxy"}},
             {"text_epoch_share=2", {"text_epoch_share", "(0, 1]"}},
             {"text_context=1.5", {"text_context", "[0, 1]"}},
             {"text_fillers=-0.5", {"text_fillers", "[0, 1]"}},
             {"text_mix=1.5", {"text_mix", "[0, 1]"}},
             {"text_keywords=some", {"text_keywords", "family", "all"}},
             {"text_base_repeat=0", {"text_base_repeat", "[1, 100]"}},
             {"text_tone_share=0", {"text_tone_share", "(0, 1]"}},
             {"text_name_keywords=some", {"text_name_keywords", "keep", "drop"}},
             {"text_embed_lr_scale=0", {"text_embed_lr_scale", "(0, 1000]"}},
             {"embed_lr_scale=1001", {"embed_lr_scale", "(0, 1000]"}},
             {"model/text/max_tokens=0", {"model/text/max_tokens", "[1, 256]"}},
             {"bogus=1", {"unknown setting", "bogus"}}}) {
        auto r = test::run_qiss(base + set);
        EXPECT_EQ(r.exit_code, 1) << set << ": " << r.output;
        for (const auto& w : words)
            EXPECT_NE(r.output.find(w), std::string::npos) << set << ": " << r.output;
        EXPECT_EQ(r.output.find("training set"), std::string::npos) << set << ": " << r.output;
    }
    EXPECT_FALSE(fs::exists(dir / "x.qiss.ckpt"));
}

TEST(TrainCli, FillerWordsComeFromTheCorpusFolderOrTheRunFailsAtOnce) {
    test::TempDir dir("train-fillers");
    const fs::path slice = write_slice(dir, 40);
    const std::string args = "train --corpus " + slice.string() + " --config tiny --epochs 1 " +
                             "--set text_epochs=1 --set text_epoch_share=0.2 --set text_fillers=1";
    // No fillers.tsv beside the manifest: a clear error before any training.
    auto missing = test::run_qiss(args + " --out " + (dir / "a.qiss").string());
    EXPECT_EQ(missing.exit_code, 1) << missing.output;
    EXPECT_NE(missing.output.find("text_fillers"), std::string::npos) << missing.output;
    EXPECT_NE(missing.output.find((dir / "fillers.tsv").string()), std::string::npos)
        << missing.output;
    EXPECT_EQ(missing.output.find("training set"), std::string::npos) << missing.output;
    // A damaged one names its line.
    std::ofstream(dir / "fillers.tsv") << "# qiss fillers 1\nen\tmy\nno tab here\n";
    auto damaged = test::run_qiss(args + " --out " + (dir / "b.qiss").string());
    EXPECT_EQ(damaged.exit_code, 1) << damaged.output;
    EXPECT_NE(damaged.output.find("fillers.tsv:3"), std::string::npos) << damaged.output;
    // The corpus fixture's: the text phase uses it.
    fs::copy_file(corpus_manifest().parent_path() / "fillers.tsv", dir / "fillers.tsv",
                  fs::copy_options::overwrite_existing);
    auto ok = test::run_qiss(args + " --out " + (dir / "c.qiss").string());
    ASSERT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("filler words for"), std::string::npos) << ok.output;
    EXPECT_TRUE(fs::is_regular_file(dir / "c.qiss"));
}

TEST(TrainCli, ExcludedVendorsAreLeftOutOfTraining) {
    test::TempDir dir("train-vendors");
    fs::path slice = write_slice(dir, 60);
    Manifest m = read_manifest(slice);
    std::size_t train_images = 0, without_google = 0;
    for (const auto& e : m.entries)
        if (e.split == Split::Train) {
            ++train_images;
            without_google += e.vendor != "google";
        }
    ASSERT_LT(without_google, train_images);
    auto r =
        test::run_qiss("train --corpus " + slice.string() + " --out " + (dir / "v.qiss").string() +
                       " --config tiny --epochs 1 --set text_epochs=0 --exclude-vendors google");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // The slice's corrupt line has no vendor: it stays and is skipped as undecodable.
    EXPECT_NE(r.output.find(fmt::format("training set: {} images", without_google - 1)),
              std::string::npos)
        << r.output;
    // Leaving out every vendor that has training images leaves nothing to train on.
    std::set<std::string> train_vendors;
    for (const auto& e : m.entries)
        if (e.split == Split::Train && !e.vendor.empty()) train_vendors.insert(e.vendor);
    std::string every;
    for (const auto& v : train_vendors) every += (every.empty() ? "" : ",") + v;
    auto all =
        test::run_qiss("train --corpus " + slice.string() + " --out " + (dir / "w.qiss").string() +
                       " --config tiny --epochs 1 --exclude-vendors " + every);
    EXPECT_EQ(all.exit_code, 1);
    EXPECT_NE(all.output.find("usable training identities"), std::string::npos) << all.output;
}

TEST(TrainCli, IdentityAnchorsAreTheRunsProxies) {
    test::TempDir dir("train-anchors");
    fs::path slice = write_slice(dir, 60);
    const std::string common = " --corpus " + slice.string() +
                               " --config tiny --epochs 1 --set text_epochs=0 --seed 3 --out ";
    auto plain = test::run_qiss("train" + common + (dir / "p.qiss").string());
    ASSERT_EQ(plain.exit_code, 0) << plain.output;
    auto r = test::run_qiss("train" + common + (dir / "a.qiss").string() +
                            " --set model/image/anchor_weight=1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // One anchor per training identity ("training set: N images, K identities, ...").
    const auto at = r.output.find(" images, ", r.output.find("training set: "));
    ASSERT_NE(at, std::string::npos) << r.output;
    const int identities = std::stoi(r.output.substr(at + 9));
    EXPECT_GT(identities, 40);
    EXPECT_NE(r.output.find(fmt::format("identity anchors: the {} proxies", identities)),
              std::string::npos)
        << r.output;
    auto info = test::run_qiss("model info " + (dir / "a.qiss").string(), /*with_stderr=*/false);
    ASSERT_EQ(info.exit_code, 0) << info.output;
    EXPECT_EQ(nlohmann::json::parse(info.output).at("identity_anchors"), identities)
        << info.output;
    // The same run otherwise: texts embed alike, images do not.
    EXPECT_EQ(embed(dir / "p.qiss", "grinning face"), embed(dir / "a.qiss", "grinning face"));
    auto image = [&](const fs::path& model) {
        auto e = test::run_qiss("embed --model " + model.string() + " --image " +
                                    read_manifest(slice).entries.front().path.string(),
                                /*with_stderr=*/false);
        EXPECT_EQ(e.exit_code, 0) << e.output;
        return e.output;
    };
    EXPECT_NE(image(dir / "p.qiss"), image(dir / "a.qiss"));
}

TEST(EvalCli, HeldOutVendorGalleryAndTokenizerRates) {
    std::string model = std::string(QISS_TEST_DATA) + "/tiny.qiss";
    auto r = test::run_qiss("eval --json --locales en,ja,ka --gallery-vendor google --model " +
                                model + " --corpus " + corpus_manifest().parent_path().string(),
                            /*with_stderr=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output);
    Manifest m = read_manifest(corpus_manifest());
    std::size_t google = 0;
    for (const auto& e : m.entries) google += e.vendor == "google";
    EXPECT_EQ(j.at("gallery").get<std::string>(), "vendor google");
    EXPECT_EQ(j.at("gallery_size").get<std::size_t>(), google);
    EXPECT_GT(j.at("image_to_image").at("queries").get<int>(), 1000);  // apple -> google
    for (const auto& loc : {"en", "ja", "ka"}) {
        const auto& s = j.at("text_to_image").at(loc);
        for (const char* k : {"unk_rate", "byte_rate", "truncated_rate"}) {
            EXPECT_GE(s.at(k).get<double>(), 0.0) << loc << " " << k;
            EXPECT_LE(s.at(k).get<double>(), 1.0) << loc << " " << k;
        }
        EXPECT_GE(s.at("mean_pieces").get<double>(), 1.0) << loc;
        // The tiny model is trained with byte fallback: no script is unknown.
        EXPECT_EQ(s.at("unk_rate").get<double>(), 0.0) << loc;
    }

    auto md = test::run_qiss("eval --markdown --locales en,ja --gallery-vendor google --model " +
                                 model + " --corpus " + corpus_manifest().parent_path().string(),
                             /*with_stderr=*/false);
    ASSERT_EQ(md.exit_code, 0);
    EXPECT_NE(md.output.find("`<unk>`"), std::string::npos) << md.output;
    EXPECT_NE(md.output.find("truncated"), std::string::npos) << md.output;
    auto same = test::run_qiss("eval --json --gallery-vendor apple --model " + model +
                               " --corpus " + corpus_manifest().parent_path().string());
    EXPECT_EQ(same.exit_code, 1);
    EXPECT_NE(same.output.find("--query-vendor"), std::string::npos) << same.output;
}

namespace {

/// The identity ids of a dump's NAME.tsv, one per row.
std::vector<std::string> dumped_ids(const fs::path& tsv) {
    std::vector<std::string> ids;
    std::ifstream in(tsv);
    for (std::string line; std::getline(in, line);) ids.push_back(line.substr(0, line.find('\t')));
    return ids;
}

}  // namespace

// `qiss eval --dump`: the files hold exactly the rows the report was computed from, so that
// recall recomputed from them equals the report's.
TEST(EvalCli, DumpHoldsTheEmbeddingsBehindTheReport) {
    test::TempDir dir("eval_dump");
    const std::string model = std::string(QISS_TEST_DATA) + "/tiny.qiss";
    const std::string args = "eval --json --locales en,ja --gallery-vendor google --model " +
                             model + " --corpus " + corpus_manifest().parent_path().string();
    auto r = test::run_qiss(args + " --dump " + (dir / "dump").string(), /*with_stderr=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);

    const torch::Tensor gallery = read_npy(dir / "dump/gallery.npy");
    const std::vector<std::string> gallery_ids = dumped_ids(dir / "dump/gallery.tsv");
    ASSERT_EQ(gallery.size(0), j.at("gallery_size").get<int64_t>());
    ASSERT_EQ(gallery_ids.size(), static_cast<std::size_t>(gallery.size(0)));
    EXPECT_TRUE(torch::allclose(gallery.norm(2, 1), torch::ones({gallery.size(0)}), 1e-4, 1e-4));
    std::map<std::string, int64_t> label_of;
    std::vector<int64_t> gallery_labels;
    for (const auto& id : gallery_ids)
        gallery_labels.push_back(label_of.try_emplace(id, label_of.size()).first->second);
    const auto recall = [&](const std::string& name) {
        const torch::Tensor q = read_npy(dir / ("dump/" + name + ".npy"));
        const std::vector<std::string> ids = dumped_ids(dir / ("dump/" + name + ".tsv"));
        EXPECT_EQ(ids.size(), static_cast<std::size_t>(q.size(0))) << name;
        EXPECT_EQ(q.size(1), gallery.size(1)) << name;
        std::vector<int64_t> labels;
        for (const auto& id : ids) labels.push_back(label_of.at(id));
        return recall_stats(relevant_ranks(q, labels, gallery, gallery_labels));
    };
    for (const char* loc : {"en", "ja"}) {
        const RecallStats s = recall(std::string("text_") + loc);
        const auto& reported = j.at("text_to_image").at(loc);
        EXPECT_EQ(s.queries, reported.at("queries").get<std::size_t>()) << loc;
        EXPECT_DOUBLE_EQ(s.r1, reported.at("r1").get<double>()) << loc;
        EXPECT_DOUBLE_EQ(s.r10, reported.at("r10").get<double>()) << loc;
    }
    const RecallStats i2i = recall("image_queries");
    EXPECT_EQ(i2i.queries, j.at("image_to_image").at("queries").get<std::size_t>());
    EXPECT_DOUBLE_EQ(i2i.r1, j.at("image_to_image").at("r1").get<double>());

    // A damaged dump is an error with a message, never a crash; so is a file as the folder.
    fs::resize_file(dir / "dump/gallery.npy", fs::file_size(dir / "dump/gallery.npy") - 4);
    try {
        read_npy(dir / "dump/gallery.npy");
        ADD_FAILURE() << "a truncated .npy file was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("bytes of data"), std::string::npos) << e.what();
    }
    std::ofstream(dir / "file") << "x";
    auto bad = test::run_qiss(args + " --dump " + (dir / "file").string());
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.output.find("--dump"), std::string::npos) << bad.output;

    // A locale is user data: "../evil" still names files inside the dump folder.
    const std::string png = read_manifest(corpus_manifest()).entries.front().path.string();
    std::ofstream(dir / "evil.jsonl") << nlohmann::json{{"path", png},
                                                        {"id", "a"},
                                                        {"split", "test"},
                                                        {"captions", {{"../evil", {"a cat"}}}}}
                                             .dump()
                                      << "\n";
    auto evil =
        test::run_qiss("eval --json --model " + model + " --corpus " +
                       (dir / "evil.jsonl").string() + " --dump " + (dir / "evil").string());
    ASSERT_EQ(evil.exit_code, 0) << evil.output;
    std::set<std::string> written;
    for (const auto& e : fs::directory_iterator(dir / "evil"))
        written.insert(e.path().filename().string());
    EXPECT_EQ(written, (std::set<std::string>{"gallery.npy", "gallery.tsv", "text____evil.npy",
                                              "text____evil.tsv"}));
}

// The text phase's settings may change while it has not started (a run killed after its joint
// epochs resumes with a shorter text phase); any other setting may not.
TEST(TrainCli, TextPhaseSettingsMayChangeUntilTheTextPhaseStarts) {
    test::TempDir dir("train-text-phase");
    fs::path slice = write_slice(dir, 60);
    const std::string model = (dir / "t.qiss").string();
    const std::string common =
        " --corpus " + slice.string() + " --config tiny --epochs 1 --seed 3 --out " + model;
    // A text phase of thousands of 2-text steps: long enough to be killed in, once the joint
    // epoch's checkpoint exists.
    auto state = fs::path(model + ".ckpt") / "state.json";
    kill_once_checkpointed(common + " --set text_epoch_share=1 --set text_batch_size=2", state);
    ASSERT_TRUE(fs::exists(state)) << "no checkpoint was written";
    ASSERT_FALSE(fs::exists(model));

    auto other = test::run_qiss("train" + common + " --set lr=0.001");
    EXPECT_NE(other.exit_code, 0);
    EXPECT_NE(other.output.find("other settings"), std::string::npos) << other.output;

    // A shorter text phase, with two-concept texts (train/text_mix.h) in half of it.
    auto shorter =
        test::run_qiss("train" + common + " --set text_epoch_share=0.05 --set text_mix=0.5");
    ASSERT_EQ(shorter.exit_code, 0) << shorter.output;
    EXPECT_NE(shorter.output.find("resuming"), std::string::npos) << shorter.output;
    EXPECT_NE(shorter.output.find("text epoch 1/1"), std::string::npos) << shorter.output;
    ASSERT_TRUE(fs::exists(model));
    auto info = test::run_qiss("model info " + model);
    ASSERT_EQ(info.exit_code, 0) << info.output;
    EXPECT_NE(info.output.find("\"text_mix\":0.5"), std::string::npos) << info.output;
}
