// `qiss dupes` end to end: the real binary on a collection of emoji and byte-different copies
// of some of them with the same pixels (PNG saved again without compression, BMP over white),
// made here. Whether real edits (resize, JPEG, crop, colour) fall within the default threshold
// depends on the model and is measured by bench/dupes/run.sh (docs/dupes.md); here the tiny
// model of the fixture places distinct emoji up to ~0.99 apart, so the test uses pixel-equal
// copies and a threshold of 0.999, which only a degenerate model would reach between two
// different emoji.
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

namespace fs = std::filesystem;
using namespace qiss;

namespace {

/// An emoji PNG over white (as qiss composites it), BGR.
cv::Mat over_white(const fs::path& png) {
    cv::Mat rgba = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
    cv::Mat out(rgba.size(), CV_8UC3);
    for (int y = 0; y < rgba.rows; ++y)
        for (int x = 0; x < rgba.cols; ++x) {
            const auto p = rgba.at<cv::Vec4b>(y, x);
            const double a = p[3] / 255.0;
            for (int c = 0; c < 3; ++c)
                out.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(p[c] * a + 255 * (1 - a));
        }
    return out;
}

}  // namespace

TEST(Dupes, GroupsEachImageWithItsEditsAndNothingElse) {
    test::TempDir dir("dupes");
    const fs::path in = dir / "in";
    fs::create_directories(in);
    // Twelve emoji of different families (no skin-tone variants, 60 files apart).
    const std::vector<fs::path> all = test::emoji_files_without_skin_tones();
    ASSERT_GT(all.size(), 1000u);
    std::vector<std::string> originals;
    for (std::size_t i = 0; i < 12; ++i) {
        const fs::path src = all[200 + 60 * i];
        const std::string stem = fmt::format("e{}", i);
        fs::copy_file(src, in / (stem + ".png"));
        originals.push_back(stem);
        if (i >= 6) continue;  // six of them get two copies each
        const cv::Mat rgba = cv::imread(src.string(), cv::IMREAD_UNCHANGED);
        cv::imwrite((in / (stem + "-resaved.png")).string(), rgba,
                    {cv::IMWRITE_PNG_COMPRESSION, 0});
        cv::imwrite((in / (stem + "-white.bmp")).string(), over_white(src));
    }
    const fs::path data = dir / "data";
    auto r = test::run_qiss("index --data " + data.string() + " --model " +
                            std::string(QISS_TEST_DATA) + "/tiny.qiss " + in.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;

    r = test::run_qiss("dupes --json --threshold 0.999 --data " + data.string(), false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto groups = nlohmann::json::parse(r.output);
    ASSERT_TRUE(groups.is_array());
    // Each edited image's group is its original and its edits; no group mixes two originals.
    std::map<std::string, std::set<std::string>> group_of;  // original stem -> file names
    for (const auto& g : groups) {
        ASSERT_GE(g.size(), 2u);
        std::set<std::string> stems, files;
        for (const auto& rec : g) {
            ASSERT_TRUE(rec.contains("id") && rec.contains("source")) << rec.dump();
            const std::string file = fs::path(rec["source"].get<std::string>()).filename();
            files.insert(file);
            stems.insert(file.substr(0, file.find_first_of("-.")));
        }
        ASSERT_EQ(stems.size(), 1u) << "a group mixes different images: " << g.dump();
        group_of[*stems.begin()] = files;
    }
    for (std::size_t i = 0; i < 6; ++i) {
        const std::string s = originals[i];
        const std::set<std::string> copies = {s + ".png", s + "-resaved.png", s + "-white.bmp"};
        EXPECT_EQ(group_of[s], copies) << s;
    }
    for (std::size_t i = 6; i < 12; ++i) EXPECT_EQ(group_of.count(originals[i]), 0u);

    // The text form: one block per group and a summary.
    r = test::run_qiss("dupes --threshold 0.999 --data " + data.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("6 groups of near-duplicates (18 images; threshold 0.999) among 24 "
                            "images"),
              std::string::npos)
        << r.output;

    // Bad settings are clear errors.
    r = test::run_qiss("dupes --threshold 0 --data " + data.string());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("invalid near-duplicate threshold 0"), std::string::npos) << r.output;
    r = test::run_qiss("dupes --threshold 1.5 --data " + data.string());
    EXPECT_NE(r.exit_code, 0) << r.output;
    r = test::run_qiss("dupes --data " + (dir / "nowhere").string());
    EXPECT_NE(r.exit_code, 0) << r.output;
}
