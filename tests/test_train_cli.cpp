// `qiss train`, `qiss eval`, `qiss embed` end to end with the real binary, on a small slice of
// the emoji corpus (built by the corpus fixture in tests/CMakeLists.txt).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corpus/manifest.h"
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
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string args = "exec " + std::string(QISS_BINARY) + " train" + common + " --out " +
                           (dir / "c.qiss").string() + " >/dev/null 2>&1";
        ::execl("/bin/sh", "sh", "-c", args.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    auto state = dir / "c.qiss.ckpt" / "state.json";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!fs::exists(state) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
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

    auto v = test::run_qiss("embed --model " + model + " --text Katze", /*with_stderr=*/false);
    ASSERT_EQ(v.exit_code, 0);
    auto vec = nlohmann::json::parse(v.output);
    double norm = 0;
    for (double x : vec) norm += x * x;
    EXPECT_EQ(vec.size(), 256u);
    EXPECT_NEAR(norm, 1.0, 1e-3);
}
